"""The questionnaire in the page (JavaScript on; app/web/static/questionnaire.js), in
Chromium: what an inspecting proxy on the way sees of a respondent is the same requests of
the same sizes whatever they answered, and no answer in clear; the server still records
the right answers, drafts round-trip, and JavaScript off still works on the same wave."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from app.db import session_scope
from app.files import secret_key
from app.responses.models import ResumeState
from app.responses.sealed import BROWSER_DRAFT_ITERATIONS, browser_draft_lookup
from tests.responses.sealing import draft_secrets
from tests.support import open_mini_wave, stored_answers

pytestmark = pytest.mark.browser

VICTIM = {
    "organisation": "pol",
    "unit": "pol-ams",
    "function_group": "pol-basis",
    "threat": "once",
    "threat_count": 3,
    "reasons": ["job"],
    "comment": "Bedreigd door een verdachte",
}
NOT_A_VICTIM = {
    "organisation": "pol",
    "unit": "pol-rot",
    "function_group": "pol-ops",
    "threat": "no",
}
LABELS = {
    "pol": "Politie",
    "pol-ams": "Eenheid Amsterdam",
    "pol-rot": "Eenheid Rotterdam",
    "pol-basis": "Noodhulp en handhaving",
    "pol-ops": "Opsporing",
    "no": "Nee",
    "once": "Eén keer",
    "job": "Hoort bij het werk",
}


@pytest.fixture
def sealed_wave(factory, settings):
    return open_mini_wave(factory, codes=4, secret=secret_key(settings.secret_key_file))


class Recorder:
    """Every request of the tab as an observer on the path sees it: method, address and
    the size and bytes of its body."""

    def __init__(self, page: Any):
        self.requests: list[tuple[str, str, int]] = []
        self.bodies: list[bytes] = []
        page.on("request", self._record)

    def _record(self, request: Any) -> None:
        body = request.post_data_buffer or b""
        self.requests.append((request.method, request.url, len(body)))
        self.bodies.append(body)


def current(page: Any) -> Any:
    """The section on screen (the page shows one at a time)."""
    return page.locator("[data-questionnaire] > section:not([hidden])")


def heading(page: Any) -> str:
    return current(page).get_by_role("heading", level=1).inner_text()


def start(tab: Any, code: str, resume_key: str = "") -> None:
    tab.page.get_by_label("Uw toegangscode").fill(code)
    if resume_key:
        tab.page.get_by_label("Uw herstelsleutel").fill(resume_key)
    tab.page.get_by_role("button", name="Start").click()
    tab.page.locator("[data-questionnaire] > section:not([hidden]) h1").wait_for()


def press(page: Any, name: str) -> None:
    current(page).get_by_role("button", name=name, exact=True).click()


def answer(page: Any, answers: dict[str, Any], questions: list[str]) -> None:
    section = current(page)
    for question in questions:
        if question not in answers:
            continue
        value = answers[question]
        block = section.locator(f"[data-question={question}]")
        if isinstance(value, list):
            for code in value:
                block.get_by_label(LABELS[code], exact=True).check()
        elif isinstance(value, int):
            block.locator("input[data-answer]").fill(str(value))
        elif value in LABELS:
            block.get_by_label(LABELS[value], exact=True).check()
        else:
            block.locator("textarea").fill(value)


def walk(tab: Any, code: str, answers: dict[str, Any]) -> None:
    """A respondent's complete walk: code, both parts, review, send."""
    page = tab.page
    tab.goto("/")
    start(tab, code)
    assert heading(page) == "Achtergrond"
    answer(page, answers, ["organisation", "unit", "function_group"])
    press(page, "Volgende")
    assert heading(page) == "Ervaringen"
    answer(page, answers, ["threat", "threat_count", "reasons", "comment"])
    press(page, "Volgende")
    assert heading(page) == "Controleer uw antwoorden"
    press(page, "Verzenden")
    page.get_by_role("heading", name="Bedankt voor het invullen").wait_for()


def stored(factory) -> list[dict[str, Any]]:
    with session_scope(factory) as session:
        return stored_answers(session)


def test_victim_and_non_victim_send_the_same_requests(open_tab, factory, sealed_wave):
    seen = []
    for n, answers in enumerate((VICTIM, NOT_A_VICTIM)):
        tab = open_tab(f"-{n}")
        recorder = Recorder(tab.page)
        walk(tab, sealed_wave.codes[n], answers)
        if n == 0:
            tab.look("thanks after a sealed submission")
        assert urlsplit(tab.page.url).path == "/"  # the one address, with no fragment
        seen.append(recorder)
        tab.close()
    victim, other = seen
    assert victim.requests == other.requests
    methods = [method for method, _, _ in victim.requests]
    assert methods.count("POST") == 2  # the code check and the answers, once, at the end
    assert [urlsplit(url).path for _, url, _ in victim.requests][-1].endswith("/sealed/responses")
    for recorder, answers, code in zip(
        seen, (VICTIM, NOT_A_VICTIM), sealed_wave.codes, strict=False
    ):
        # The code, each answer as JSON carries it, the free text: none in clear.
        secrets = [code, code.replace("-", "")]
        secrets += [json.dumps({k: v}, separators=(",", ":"))[1:-1] for k, v in answers.items()]
        secrets += [v for v in answers.values() if isinstance(v, str) and len(v) > 8]
        for body in recorder.bodies:
            for secret in secrets:
                assert secret.encode() not in body, f"{secret!r} travels in clear"
    assert sorted(stored(factory), key=lambda a: a["threat"]) == [NOT_A_VICTIM, VICTIM]


def test_errors_review_and_change_in_the_page(open_tab, factory, sealed_wave):
    tab = open_tab()
    page = tab.page
    tab.goto("/")
    start(tab, sealed_wave.codes[0].lower())
    press(page, "Volgende")
    summary = current(page).locator(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert summary.get_by_role("link").count() == 1  # unit and group wait for it
    tab.look("sealed page with errors")
    answer(page, NOT_A_VICTIM, ["organisation", "unit", "function_group"])
    press(page, "Volgende")
    answer(page, {"threat": "once", "threat_count": 120}, ["threat", "threat_count"])
    press(page, "Volgende")
    field = current(page).locator("input[aria-invalid=true]")
    assert field.count() == 1
    error = page.locator(f"#{field.get_attribute('aria-describedby').split()[-1]}")
    assert "Vul een getal in van 1 tot en met 99" in error.inner_text()
    field.fill("4")
    press(page, "Volgende")
    assert heading(page) == "Controleer uw antwoorden"
    tab.look("sealed review")
    # Change the screener from the review: the follow-ups go, back to the review.
    current(page).get_by_role(
        "button", name="Wijzigen het antwoord op de vraag: Bent u bedreigd?"
    ).click()
    assert heading(page) == "Ervaringen"
    answer(page, {"threat": "no"}, ["threat"])
    assert not current(page).locator("[data-question=threat_count]").is_visible()
    press(page, "Volgende")
    assert heading(page) == "Controleer uw antwoorden"
    assert "Hoe vaak?" not in current(page).inner_text()
    press(page, "Verzenden")
    page.get_by_role("heading", name="Bedankt voor het invullen").wait_for()
    assert stored(factory) == [NOT_A_VICTIM]


def test_save_and_resume_in_the_page(open_tab, factory, sealed_wave):
    code = sealed_wave.codes[0]
    tab = open_tab()
    page = tab.page
    tab.goto("/")
    start(tab, code)
    answer(page, VICTIM, ["organisation", "unit", "function_group"])
    press(page, "Volgende")
    answer(page, VICTIM, ["threat", "threat_count"])
    press(page, "Opslaan en later verder")
    page.get_by_role("heading", name="Uw antwoorden zijn bewaard").wait_for()
    resume_key = current(page).locator("[data-resume-key]").inner_text()
    assert len(resume_key) == 24
    tab.look("sealed saved")
    assert not page.locator("[data-question]").count(), "the answers left the page"
    tab.close()
    with session_scope(factory) as session:
        draft = session.scalars(select(ResumeState)).one()
        assert b"once" not in draft.sealed and b"pol-ams" not in draft.sealed
    # The page derived its key and lookup as documented, with the full 600,000 rounds of
    # PBKDF2: only then does Python find and open the draft with the code and resume key.
    key, lookup = draft_secrets(sealed_wave.id, code, resume_key, BROWSER_DRAFT_ITERATIONS)
    assert draft.lookup == browser_draft_lookup(sealed_wave.id, code, lookup)
    plain = AESGCM(key).decrypt(
        draft.sealed[:12], draft.sealed[12:], f"monitor-draft\x1f{sealed_wave.id}".encode()
    )
    saved = {k: VICTIM[k] for k in ("organisation", "unit", "function_group", "threat")}
    assert json.loads(plain) == {**saved, "threat_count": 3}

    tab = open_tab("-resumed")
    page = tab.page
    tab.goto("/")
    start(tab, code, resume_key)
    # Every required question is answered: the review, with the answers of the draft.
    assert heading(page) == "Controleer uw antwoorden"
    review = current(page).inner_text()
    assert "Eén keer" in review and "Eenheid Amsterdam" in review
    press(page, "Verzenden")
    page.get_by_role("heading", name="Bedankt voor het invullen").wait_for()
    expected = {k: v for k, v in VICTIM.items() if k not in ("reasons", "comment")}
    assert stored(factory) == [expected]
    with session_scope(factory) as session:
        assert session.scalars(select(ResumeState)).all() == [], "spent with its code"


def test_without_javascript_the_same_wave_takes_plain_forms(open_tab, factory, sealed_wave):
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    tab.goto("/")
    page.get_by_label("Uw toegangscode").fill(sealed_wave.codes[0])
    with page.expect_navigation():
        page.get_by_role("button", name="Start").click()
    assert urlsplit(page.url).path == "/vragenlijst"
    assert page.locator("main").get_attribute("data-step") == "background"


def test_a_refused_code_goes_to_the_servers_page(open_tab, factory, sealed_wave):
    """What the page cannot do it hands over: the server's page says why, in its words."""
    tab = open_tab()
    page = tab.page
    tab.goto("/")
    page.get_by_label("Uw toegangscode").fill("NOT-A-CODE")
    with page.expect_navigation():
        page.get_by_role("button", name="Start").click()
    assert "Deze code kunt u niet gebruiken" in page.locator(".error-summary").inner_text()
    # The sealed check's 403, as Chromium reports every refused request.
    tab.console_errors = [e for e in tab.console_errors if "status of 403" not in e]
