"""The survey pages over plain HTTP, as a browser without JavaScript uses them."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import func, select

from app.db import session_scope
from app.questionnaires.schema import Support
from app.questionnaires.service import publish
from app.responses.models import ResumeState
from app.waves.codes import normalize
from app.waves.models import InvitationCode
from app.waves.service import create_wave
from app.web.security import STRICT_CSP
from app.web.session import COOKIE
from tests.support import TODAY, close_mini_wave, load_fixture, open_mini_wave, stored_answers
from tests.web.pages import Respondent, displayed_questions

SURVEY = "/vragenlijst"  # the address of every page after the code page
# Where a respondent is, as the page says in <main data-step> (tests/web/pages.py).
BACKGROUND, SCREENER, REVIEW = "background", "screener", "review"


def count(factory, model) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def all_stored_answers(factory) -> list[dict]:
    with factory() as session:
        return stored_answers(session)


def through_background(respondent: Respondent, organisation: str = "pol") -> None:
    """Answer the background page; without JavaScript the unit and function group
    appear only once the organisation is known."""
    unit, group = {"pol": ("pol-ams", "pol-basis"), "om": ("om-ams", "om-ovj")}[organisation]
    respondent.answer({"organisation": organisation})
    assert respondent.response.status_code == 200
    respondent.answer({"unit": unit, "function_group": group})
    assert respondent.step() == SCREENER


def test_code_page(respondent, wave):
    respondent.get("/")
    page = respondent.page
    assert page.find("html")["lang"] == "nl"
    assert page.find("h1").text() == "Mini-monitor"
    form = page.find("form")
    assert form["method"] == "post" and form["action"] == "/vragenlijst/start"
    assert page.find("title").text() == "Mini-monitor"
    code = page.by_id("code")
    assert page.find("label", for_="code").text() == "Uw toegangscode"
    assert "hint-code" in code["aria-describedby"]
    assert page.find("input", name="wave")["value"] == wave.id  # the one open wave
    assert page.find("a", href="/snel-weg").text() == "Snel weg"


def test_a_respondent_without_javascript_completes_the_survey(respondent, wave, factory):
    respondent.start(wave.codes[0])
    assert respondent.path() == SURVEY and respondent.step() == BACKGROUND
    page = respondent.page
    assert page.find("title").text() == "Mini-monitor"
    assert page.find("p", class_="progress").text() == "Onderdeel 1 van 2"
    # Routing per page: the unit lists wait for the organisation.
    assert displayed_questions(page) == ["organisation"]
    respondent.answer({"organisation": "pol"})
    page = respondent.page
    assert respondent.step() == BACKGROUND
    assert displayed_questions(page) == ["organisation", "unit", "function_group"]
    assert "Er zijn vragen bijgekomen" in page.find("div", class_="notice").text()
    offered = [n["value"] for n in page.find_all("input", name="unit") if not n.is_hidden()]
    assert offered == ["pol-ams", "pol-rot"]  # no OM offices for police staff
    assert page.by_id("organisation-pol").has("checked")
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})

    assert respondent.step() == SCREENER
    assert respondent.page.find("p", class_="progress").text() == "Onderdeel 2 van 2"
    assert displayed_questions(respondent.page) == ["threat", "comment"]
    respondent.answer({"threat": "once", "comment": "Op straat\r\nna een aanhouding"})
    assert displayed_questions(respondent.page) == ["threat", "threat_count", "reasons", "comment"]
    respondent.answer({"threat_count": "2", "reasons": ["minor", "job"]})

    assert respondent.path() == SURVEY and respondent.step() == REVIEW
    page = respondent.page
    rows = {
        row.find("dt").text(): row.find("dd", class_="answers__answer").text()
        for row in page.find_all("div", class_="answers__row")
    }
    assert rows == {
        "Bij welke organisatie werkt u?": "Politie",
        "In welke eenheid werkt u?": "Eenheid Amsterdam",
        "Wat is uw functiegroep?": "Opsporing",
        "Bent u bedreigd?": "Eén keer",
        "Hoe vaak?": "2",
        "Waarom niet gemeld?": "Niet ernstig genoeg Hoort bij het werk",
        "Toelichting": "Op straat na een aanhouding",
    }
    # "Change" sends the form (the part to change in its body), so the address stays.
    change = page.find_all("button", value="change:screener")
    assert len(change) == 4 and "Wijzigen" in change[1].text()
    assert "Hoe vaak?" in change[1].text()
    assert page.find("section", class_="support") is None  # the mini survey has none

    respondent.answer({}, action="send")
    assert respondent.response.status_code == 200
    assert respondent.page.find("h1").text() == "Bedankt voor het invullen"
    assert "Niemand kan zien welke antwoorden van u zijn" in respondent.page.text()
    # The session has ended: the survey's address now says the answers arrived.
    respondent.get(SURVEY)
    assert respondent.page.find("h1").text() == "Uw antwoorden zijn aangekomen"
    assert all_stored_answers(factory) == [
        {
            "organisation": "pol",
            "unit": "pol-ams",
            "function_group": "pol-ops",
            "threat": "once",
            "threat_count": 2,
            "reasons": ["minor", "job"],
            "comment": "Op straat\nna een aanhouding",
        }
    ]
    assert count(factory, InvitationCode) == len(wave.codes) - 1
    assert count(factory, ResumeState) == 0
    # The code is spent: it opens nothing any more, and the page says why that may be.
    respondent.start(wave.codes[0])
    assert respondent.response.status_code == 422
    assert "al verzonden, dan zijn uw antwoorden aangekomen" in respondent.page.text()


def test_a_validation_error_is_shown_at_the_top_and_tied_to_its_field(respondent, wave, factory):
    respondent.start(wave.codes[0])
    through_background(respondent)
    respondent.answer({"threat": "several"})
    respondent.answer({"threat_count": "veel"})
    assert respondent.response.status_code == 422
    page = respondent.page
    # The same title as any other page: "Error:" in it would tell a page with a number.
    assert page.find("title").text() == "Mini-monitor"
    summary = page.find("div", class_="error-summary")
    assert summary.has("autofocus") and summary["tabindex"] == "-1" and summary["role"] == "alert"
    link = summary.find("a")
    # To the question's place on the page: a fragment followed without the page script
    # stays in the history, and a question's id there would say which page it was.
    assert link["href"] == "#vraag-2"
    assert page.by_id("vraag-2")["data-question"] == "threat_count"
    assert "Vul een heel getal in" in link.text() and "Hoe vaak?" in link.text()
    field = page.by_id("field-threat_count")
    assert field["aria-invalid"] == "true"
    assert field["value"] == "veel"  # what was typed stays
    assert "error-threat_count" in field["aria-describedby"].split()
    assert "Vul een heel getal in" in page.by_id("error-threat_count").text()
    assert page.find("label", for_="field-threat_count") is not None
    # Out of range, then right.
    respondent.answer({"threat_count": "100"})
    assert (
        "Vul een getal in van 1 tot en met 99" in respondent.page.by_id("error-threat_count").text()
    )
    respondent.answer({"threat_count": "3"})
    assert respondent.step() == REVIEW


def test_a_missing_answer_in_a_choice_group(respondent, wave):
    respondent.start(wave.codes[0])
    respondent.answer({})
    page = respondent.page
    assert respondent.response.status_code == 422
    assert page.find("div", class_="error-summary").find("a")["href"] == "#vraag-1"
    fieldset = page.by_id("vraag-1").find("fieldset")
    assert fieldset["aria-describedby"] == "error-organisation"
    assert page.by_id("error-organisation").text() == "Fout: Kies een antwoord"
    assert all(r["aria-invalid"] == "true" for r in page.find_all("input", name="organisation"))


def test_the_errors_speak_english_too(respondent, wave):
    respondent.start(wave.codes[0], lang="en")
    respondent.answer({})
    assert respondent.page.find("title").text() == "Mini monitor"
    assert respondent.page.find("h2", id="error-summary-title").text() == "There is a problem"
    assert respondent.page.by_id("error-organisation").text() == "Error: Choose an answer"


def test_changing_an_answer_drops_the_answers_it_hides(respondent, wave, factory):
    respondent.start(wave.codes[0])
    through_background(respondent)
    respondent.answer({"threat": "once"})
    respondent.answer({"threat_count": "4", "reasons": ["job"]})
    respondent.answer({}, action="change:screener")
    assert respondent.path() == SURVEY and respondent.step() == SCREENER
    respondent.answer({"threat": "no"})
    assert respondent.step() == REVIEW  # back to the review after a change
    questions = [dt.text() for dt in respondent.page.find_all("dt")]
    assert "Hoe vaak?" not in questions and "Waarom niet gemeld?" not in questions
    respondent.answer({}, action="send")
    assert all_stored_answers(factory)[0]["threat"] == "no"
    assert "threat_count" not in all_stored_answers(factory)[0]


def test_another_organisation_asks_for_the_unit_again(respondent, wave):
    respondent.start(wave.codes[0])
    through_background(respondent)
    respondent.go_to(BACKGROUND)
    # Without JavaScript the police units are still on screen while OM is chosen.
    respondent.answer({"organisation": "om"})
    page = respondent.page
    assert respondent.response.status_code == 200
    assert page.find("div", class_="error-summary") is None
    offered = [n["value"] for n in page.find_all("input", name="unit") if not n.is_hidden()]
    assert offered == ["om-ams"]
    assert not any(n.has("checked") for n in page.find_all("input", name="unit"))
    respondent.answer({"unit": "om-ams", "function_group": "om-ovj"})
    assert respondent.step() == SCREENER


def test_save_and_continue_later(respondent, wave, factory):
    respondent.start(wave.codes[0])
    through_background(respondent)
    respondent.answer({"comment": "half af"}, action="stop")
    assert COOKIE not in respondent.client.cookies
    closes = TODAY + timedelta(days=30)
    assert f"tot en met {closes.day} " in respondent.page.text()
    assert count(factory, ResumeState) == 1
    resume_key = respondent.page.by_id("resume-key").text()

    # Another day: the same code, without the key, starts again (the draft stays hidden).
    respondent.client.cookies.clear()
    respondent.start(wave.codes[0])
    assert respondent.step() == BACKGROUND
    assert not respondent.page.by_id("unit-pol-ams").has("checked")
    # With the key: on where the respondent was.
    respondent.client.cookies.clear()
    respondent.start(wave.codes[0].lower().replace("-", " "), resume_key=resume_key)
    assert respondent.step() == SCREENER
    page = respondent.page
    assert page.by_id("field-comment").text() == "half af"
    respondent.go_to(BACKGROUND)
    assert respondent.page.by_id("unit-pol-ams").has("checked")


def test_a_wrong_code_is_refused_on_the_code_page(respondent, wave, factory):
    respondent.start("AAAAAA-BBBBBB-CCCCCC")
    assert respondent.response.status_code == 422
    page = respondent.page
    assert page.find("div", class_="error-summary").find("a")["href"] == "#code"
    assert page.by_id("code")["aria-invalid"] == "true"
    assert "Deze code kunt u niet gebruiken" in page.by_id("error-code").text()
    assert COOKIE not in respondent.client.cookies
    respondent.start("")
    assert "Vul uw toegangscode in" in respondent.page.by_id("error-code").text()


def test_the_respondent_picks_the_wave_when_several_are_open(respondent, factory):
    first = open_mini_wave(factory, "2026")
    second = open_mini_wave(factory, "2026-b")
    respondent.get("/")
    choices = [n["value"] for n in respondent.page.find_all("input", name="wave")]
    assert choices == ["2026", "2026-b"]
    assert respondent.page.find("legend").text() == "Welke vragenlijst wilt u invullen?"
    respondent.answer({"code": second.codes[0]})
    assert "Kies een vragenlijst" in respondent.page.by_id("error-wave").text()
    respondent.start(first.codes[0], wave="2026-b")  # a code of the other wave
    assert "Deze code kunt u niet gebruiken" in respondent.page.by_id("error-code").text()
    respondent.start(second.codes[0], wave="2026-b")
    assert respondent.step() == BACKGROUND


def test_no_open_wave(respondent, factory):
    with session_scope(factory) as session:
        publish(session, load_fixture())
        create_wave(session, "draft", "mini-2026.1", TODAY, TODAY + timedelta(days=9))
    respondent.get("/")
    assert respondent.page.find("h1").text() == "Er is nu geen vragenlijst open"
    assert respondent.page.find("form") is None


def test_language_switch(respondent, wave):
    respondent.get("/")
    switch = respondent.page.find("a", class_="language-switch")
    assert switch.text() == "English" and switch["lang"] == "en"
    respondent.get(switch["href"])
    page = respondent.page
    assert page.find("html")["lang"] == "en"
    assert page.find("h1").text() == "Mini monitor"
    assert page.find("label", for_="code").text() == "Your access code"
    assert page.find("a", class_="quick-exit").text() == "Quick exit"
    respondent.start(wave.codes[0], lang="en")
    assert respondent.response.url.query == b"lang=en"
    assert respondent.page.find("h1").text() == "Background"
    assert respondent.page.find("legend").text() == "Which organisation do you work for?"
    assert respondent.page.find("form")["action"] == "/vragenlijst?lang=en"
    back = respondent.page.find("a", class_="language-switch")
    assert back.text() == "Nederlands" and back["href"] == SURVEY
    # The switch on the one address shows the same page in the other language.
    respondent.answer({"organisation": "pol"})
    respondent.get(respondent.page.find("a", class_="language-switch")["href"])
    assert respondent.step() == BACKGROUND
    assert respondent.page.find("h1").text() == "Achtergrond"
    assert respondent.page.by_id("organisation-pol").has("checked")


def test_quick_exit_clears_the_cookie_and_leaves(client, respondent, wave):
    respondent.start(wave.codes[0])
    assert COOKIE in client.cookies
    reply = client.get("/snel-weg", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"] == "https://www.rijksoverheid.nl"
    assert reply.headers["clear-site-data"] == '"storage"'
    cleared = reply.headers["set-cookie"]
    assert cleared.startswith(f'{COOKIE}=""') and "Max-Age=0" in cleared
    assert "Path=/vragenlijst" in cleared
    assert COOKIE not in client.cookies
    # Without the cookie the survey pages lead back to the code page.
    reply = client.get(SURVEY, follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/?melding=session"


def test_a_form_post_from_another_site_is_refused(client, wave):
    reply = client.post(
        "/vragenlijst/start",
        data={"code": wave.codes[0], "wave": wave.id},
        headers={"Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert reply.status_code == 403
    assert COOKIE not in client.cookies


def test_security_headers_on_every_response(client, respondent, wave):
    respondent.start(wave.codes[0])
    for url in ("/", SURVEY, "/api/v1/waves/open", "/nope", "/openapi.json"):
        headers = client.get(url).headers
        assert headers["content-security-policy"] == STRICT_CSP, url
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "camera=()" in headers["permissions-policy"]
        assert headers["cache-control"] == "no-store", url
    css = client.get(respondent.page.find("link", rel="stylesheet")["href"])
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert css.headers["content-security-policy"] == STRICT_CSP
    assert "immutable" in css.headers["cache-control"]
    assert client.get("/static/../../app/main.py").status_code == 404


def test_the_base_styles_are_the_dashboards_own_file(client, respondent):
    respondent.get("/")
    links = [link["href"] for link in respondent.page.find_all("link", rel="stylesheet")]
    assert [href.split("?")[0] for href in links] == ["/static/base.css", "/static/survey.css"]
    base = client.get(links[0])
    assert base.status_code == 200 and base.headers["content-type"].startswith("text/css")
    assert base.content == client.get("/dashboard/base.css").content


def test_pages_carry_no_inline_script_or_style(respondent, wave):
    respondent.start(wave.codes[0])
    respondent.answer({"organisation": "pol"})
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    respondent.answer({"threat": "no"})
    pages = [respondent.page]  # the review, then back through the modules
    respondent.go_to(SCREENER)
    pages.append(respondent.page)
    respondent.go_to(BACKGROUND)
    pages.append(respondent.page)
    respondent.get("/")
    for page in [*pages, respondent.page]:
        step = page.find("main").get("data-step")
        assert all(s.has("src") and not s.text() for s in page.find_all("script")), step
        assert page.find_all("style") == [], step
        assert not [
            n for n in page.walk() if n.has("style") or any(a.startswith("on") for a in n.attrs)
        ]


def test_nothing_about_answers_in_cookies_and_the_code_never_in_a_url(respondent, wave):
    code = wave.codes[0]
    respondent.start(code)
    through_background(respondent)
    respondent.answer({"threat": "several"})
    respondent.answer({"threat_count": "7", "comment": "geheim"})
    respondent.answer({}, action="change:background")
    respondent.answer({})
    assert respondent.step() == REVIEW
    respondent.go_to(SCREENER)
    respondent.answer({}, action="stop")
    resume_key = respondent.page.by_id("resume-key").text()
    respondent.start(code, resume_key=resume_key)
    assert respondent.step() == REVIEW
    respondent.answer({}, action="send")
    assert respondent.page.find("h1").text() == "Bedankt voor het invullen"

    secrets = {code, normalize(code), code.replace("-", ""), resume_key, wave.id}
    for url in respondent.urls + respondent.locations:
        assert code not in url and normalize(code) not in url and resume_key not in url, url
    session_cookies = [c for c in respondent.set_cookies if c.startswith(f"{COOKIE}=")]
    assert session_cookies
    for cookie in session_cookies:
        value = cookie.split(";")[0].split("=", 1)[1]
        # Sealed: nothing of the code, the key or the wave can be read from it.
        sealed = base64.urlsafe_b64decode(value) if value != '""' else b""
        assert not any(s.encode() in sealed or s in value for s in secrets), cookie
        assert (
            "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/vragenlijst" in cookie
        )
        assert value == '""' or "Max-Age=1200" in cookie


def test_support_information_for_those_it_is_meant_for(respondent, factory):
    questionnaire = load_fixture().model_copy(
        update={
            "id": "mini-2026.2",
            "thanks": {
                "nl": "Dank u wel. De uitkomsten komen in het voorjaar.",
                "en": "Thank you.",
            },
            "support": Support.model_validate(
                {
                    "show_if": {"question": "threat", "in": ["several"]},
                    "text": {"nl": "Bel de vertrouwenspersoon.", "en": "Call the counsellor."},
                }
            ),
        }
    )
    wave = open_mini_wave(factory, questionnaire=questionnaire)
    respondent.start(wave.codes[0])
    through_background(respondent)
    respondent.answer({"threat": "once"})
    respondent.answer({})
    assert respondent.step() == REVIEW
    assert respondent.page.find("section", class_="support") is None
    respondent.answer({}, action="change:screener")
    respondent.answer({"threat": "several"})
    support = respondent.page.find("section", class_="support")
    assert support.find("h2").text() == "Hulp en steun"
    assert "Bel de vertrouwenspersoon." in support.text()
    respondent.answer({}, action="send")
    page = respondent.page
    assert "De uitkomsten komen in het voorjaar." in page.text()  # the questionnaire's thanks
    assert "Bel de vertrouwenspersoon." in page.find("section", class_="support").text()

    respondent.client.cookies.clear()
    respondent.start(wave.codes[1])
    through_background(respondent)
    respondent.answer({"threat": "no"})
    respondent.answer({}, action="send")
    assert "Bel de vertrouwenspersoon." not in respondent.page.text()


def test_a_closed_wave_sends_the_respondent_to_the_code_page(client, respondent, wave, factory):
    respondent.start(wave.codes[0])
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    reply = client.get(SURVEY, follow_redirects=False)
    assert reply.headers["location"] == "/?melding=closed"
    assert COOKIE not in client.cookies
    respondent.get(reply.headers["location"])
    assert "Deze vragenlijst is gesloten" in respondent.page.text()
