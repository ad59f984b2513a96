"""The survey's addresses, statuses and titles as an observer sees them (CONTRACT section 4,
issue 10 item 4): a browser history, a proxy log or the server's own access log must show
no module name and no difference between someone who reported an incident and someone who
did not. Played here as that observer would, with a browser without JavaScript: the
access log lines the walk leaves (method, path, status) and the titles of its pages."""

from __future__ import annotations

import logging

import pytest

from app.web.session import COOKIE
from tests.support import load_fixture
from tests.web.pages import Respondent, form_data

MODULES = [m.id for m in load_fixture().modules]
NEUTRAL_PATHS = {"/", "/vragenlijst/start", "/vragenlijst"}


def access_log(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, int]]:
    """(method, path, status) of every line of the server's access log so far."""
    lines = [r.getMessage().split() for r in caplog.records if r.name == "app.access"]
    return [(method, path, int(status)) for method, path, status, _ in lines]


def titles(respondent: Respondent, seen: list[str]) -> None:
    assert respondent.page is not None
    seen.append(respondent.page.find("title").text())


def walk(respondent: Respondent, code: str, threat: str) -> list[str]:
    """A whole survey without JavaScript: background, the screener (a victim says 'once'
    and gets the follow-ups), review, send. Returns the title of every page seen."""
    seen: list[str] = []
    respondent.start(code)
    titles(respondent, seen)
    respondent.answer({"organisation": "pol"})  # adds the unit and function group
    titles(respondent, seen)
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    titles(respondent, seen)
    respondent.answer({"threat": threat})  # 'once' adds follow-ups; 'no' moves on
    titles(respondent, seen)
    if threat != "no":
        respondent.answer({"threat_count": "2", "reasons": ["job"]})
        titles(respondent, seen)
    assert respondent.page.find("main")["data-step"] == "review"
    respondent.answer({}, action="send")
    titles(respondent, seen)
    assert "Bedankt voor het invullen" in respondent.page.text()
    return seen


def test_the_access_log_and_the_titles_are_the_same_for_a_victim_and_a_non_victim(
    client, respondent, wave, caplog
):
    caplog.set_level(logging.INFO, logger="app.access")
    victim_titles = walk(respondent, wave.codes[0], "once")
    victim = access_log(caplog)
    caplog.clear()
    client.cookies.clear()
    other_titles = walk(Respondent(client), wave.codes[1], "no")
    other = access_log(caplog)

    for log in (victim, other):
        paths = {path for _, path, _ in log}
        assert paths <= NEUTRAL_PATHS, paths
        assert not [p for p in paths for m in MODULES if m in p]
        # Post-redirect-get on every accepted page, whether it added questions or moved
        # on: a POST answered 303, then the one address loaded with 200.
        posts = [i for i, line in enumerate(log) if line[:2] == ("POST", "/vragenlijst")]
        *pages, send = posts
        for i in pages:
            assert log[i + 1 : i + 2] == [("GET", "/vragenlijst", 200)], log
            assert log[i][2] == 303, log
        assert log[send][2] == 200  # the thank-you page answers its POST
    # The only difference: the victim's walk has one more page round trip (the README
    # says so). The distinct lines are the same, and so is every title.
    assert set(victim) == set(other)
    assert len(victim) == len(other) + 2
    assert set(victim_titles) == set(other_titles) == {"Mini-monitor"}
    for url in respondent.locations:
        assert not [m for m in MODULES if m in url], url


def test_a_page_that_gains_questions_answers_like_one_that_moves_on(client, respondent, wave):
    respondent.start(wave.codes[0])
    client.follow_redirects = False
    page = respondent.page
    gained = respondent.post("/vragenlijst", form_data(page, {"organisation": "pol"}))
    assert gained.status_code == 303 and gained.headers["location"] == "/vragenlijst"
    respondent.get("/vragenlijst")
    assert respondent.response.status_code == 200
    page = respondent.page
    notice = page.find("div", class_="notice")
    assert notice is not None and "Er zijn vragen bijgekomen" in notice.text()
    moved = respondent.post(
        "/vragenlijst", form_data(page, {"unit": "pol-ams", "function_group": "pol-ops"})
    )
    assert moved.status_code == 303 and moved.headers["location"] == "/vragenlijst"
    # The notice is shown once: loaded again, the page is the next one, without it.
    respondent.get("/vragenlijst")
    assert respondent.page.find("main")["data-step"] == "screener"
    assert respondent.page.find("div", class_="notice") is None


def test_errors_come_back_with_the_same_title_and_an_announced_summary(respondent, wave):
    respondent.start(wave.codes[0])
    title = respondent.page.find("title").text()
    respondent.answer({})
    assert respondent.response.status_code == 422
    assert respondent.page.find("title").text() == title == "Mini-monitor"
    summary = respondent.page.find("div", class_="error-summary")
    assert summary["role"] == "alert" and summary.has("autofocus")


def test_back_saves_the_valid_answers_of_the_page(respondent, wave):
    respondent.start(wave.codes[0])
    respondent.answer({"organisation": "pol"})
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    # Half a page, one answer invalid: the valid ones are kept, and back it goes.
    respondent.answer({"threat": "several", "comment": "onderweg"}, action="back")
    assert respondent.response.status_code == 200
    assert respondent.page.find("main")["data-step"] == "background"
    respondent.answer({})
    page = respondent.page
    assert page.find("main")["data-step"] == "screener"
    assert page.by_id("threat-several").has("checked")
    assert page.by_id("field-comment").text() == "onderweg"


def test_after_the_quick_exit_the_survey_address_shows_the_code_page(client, respondent, wave):
    respondent.start(wave.codes[0])
    respondent.answer({"organisation": "pol"})
    client.get("/snel-weg", follow_redirects=False)
    assert COOKIE not in client.cookies
    # Back in the history is the one survey address: loaded again (never from a cache),
    # it has no session, so it shows the code page and no answer.
    respondent.get("/vragenlijst")
    assert respondent.path() == "/"
    assert respondent.page.find("input", id="code") is not None
    assert not respondent.page.find_all("input", checked="")


def test_no_survey_page_has_an_address_of_its_own(client, respondent, wave):
    respondent.start(wave.codes[0])
    for module in MODULES:
        assert client.get(f"/vragenlijst/onderdeel/{module}").status_code == 404
    assert client.get("/vragenlijst/controleren").status_code == 404
    assert client.get("/vragenlijst/bewaard").status_code == 404


def test_a_form_of_another_page_changes_nothing(client, respondent, wave):
    """A form sent from an older tab, or again from the history, is not taken for the
    page the respondent is on now (the address cannot tell them apart)."""
    respondent.start(wave.codes[0])
    respondent.answer({"organisation": "pol"})
    background = respondent.page
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    respondent.answer({"threat": "several", "comment": "eerder"}, action="back")
    respondent.answer({})
    assert respondent.step() == "screener"
    respondent.post("/vragenlijst", form_data(background, {"organisation": "om"}))
    assert respondent.response.status_code == 200 and respondent.step() == "screener"
    assert respondent.page.by_id("threat-several").has("checked")
    respondent.go_to("background")
    assert respondent.page.by_id("organisation-pol").has("checked")
