"""The survey's session cookie, attacked as a colleague at a shared computer and as a
network observer would (CONTRACT section 4): it carries no code, cannot be altered,
travels only over https when the browser used https, and ends when left idle."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select

from app.responses.models import Response
from app.web import session as web_session
from app.web.session import COOKIE
from tests.web.pages import Respondent

START = "/vragenlijst/start"


def session_cookie(respondent: Respondent) -> str:
    cookies = [c for c in respondent.set_cookies if c.startswith(f"{COOKIE}=")]
    assert cookies
    return cookies[-1]


def test_a_copied_cookie_shows_nothing_and_an_altered_one_is_refused(respondent, wave):
    respondent.start(wave.codes[0])
    value = respondent.client.cookies[COOKIE]
    sealed = base64.urlsafe_b64decode(value)
    for secret in (wave.codes[0], wave.codes[0].replace("-", ""), wave.id):
        assert secret.encode() not in sealed and secret not in value
    page = respondent.path()
    assert page == "/vragenlijst" and respondent.step() == "background"
    flipped = bytearray(sealed)
    flipped[-1] ^= 1
    respondent.client.cookies.set(
        COOKIE, base64.urlsafe_b64encode(bytes(flipped)).decode(), path="/vragenlijst"
    )
    respondent.get(page)
    assert respondent.path() == "/"  # no session: back to the code page


def test_the_session_ends_after_the_idle_time(respondent, wave, monkeypatch):
    respondent.start(wave.codes[0])
    page = respondent.path()
    assert "Max-Age=1200" in session_cookie(respondent)
    now = web_session._minute()
    monkeypatch.setattr(web_session, "_minute", lambda: now + 15)
    respondent.get(page)
    assert respondent.step() == "background"  # active: and the visit renews the session
    monkeypatch.setattr(web_session, "_minute", lambda: now + 30)
    respondent.get(page)
    assert respondent.step() == "background"
    monkeypatch.setattr(web_session, "_minute", lambda: now + 51)
    respondent.get(page)
    assert respondent.path() == "/" and "melding=session" in str(respondent.response.url)


@pytest.mark.parametrize(
    ("base_url", "forwarded", "secure"),
    [
        ("http://testserver", None, False),
        ("https://testserver", None, True),
        # A client that is not our proxy cannot talk the cookie into (or out of) Secure.
        ("http://testserver", "https", False),
    ],
)
def test_the_cookie_is_secure_whenever_the_browser_used_https(
    client, wave, base_url, forwarded, secure
):
    client.base_url = base_url
    respondent = Respondent(client)
    headers = {"X-Forwarded-Proto": forwarded} if forwarded else {}
    respondent.get("/")
    respondent.post(START, [("code", wave.codes[0]), ("wave", wave.id)], headers=headers)
    assert ("Secure" in session_cookie(respondent)) == secure


def test_behind_our_proxy_the_forwarded_scheme_decides(settings, wave):
    from fastapi.testclient import TestClient

    from app.main import create_app

    # TestClient's requests come from the address "testclient".
    proxied = settings.model_copy(update={"proxy_addresses": ["testclient"]})
    with TestClient(create_app(proxied)) as client:
        respondent = Respondent(client)
        respondent.get("/")
        respondent.post(
            START,
            [("code", wave.codes[0]), ("wave", wave.id)],
            headers={"X-Forwarded-Proto": "https"},
        )
        assert "Secure" in session_cookie(respondent)


def test_the_cookie_holds_the_step_but_its_length_does_not_say_which(respondent, wave):
    """The page /vragenlijst shows is sealed in the cookie, padded: its length is the same
    on a short module id, a long one and the review, with or without added questions."""
    respondent.start(wave.codes[0])
    lengths = {len(respondent.client.cookies[COOKIE])}
    respondent.answer({"organisation": "pol"})  # adds questions: their ids are sealed too
    lengths.add(len(respondent.client.cookies[COOKIE]))
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    lengths.add(len(respondent.client.cookies[COOKIE]))
    respondent.answer({"threat": "no"})
    assert respondent.step() == "review"
    lengths.add(len(respondent.client.cookies[COOKIE]))
    assert len(lengths) == 1


def send_the_mini_survey(respondent: Respondent, code: str) -> None:
    respondent.start(code)
    respondent.answer({"organisation": "pol"})
    respondent.answer({"unit": "pol-ams", "function_group": "pol-ops"})
    respondent.answer({"threat": "no"})
    assert respondent.step() == "review"
    respondent.answer({}, action="send")
    assert respondent.page.find("h1").text() == "Bedankt voor het invullen"


def test_after_sending_the_survey_address_says_the_answers_arrived(respondent, wave, factory):
    """Back (or reload) after sending: the one address says the answers arrived, in the
    same title, from a cookie that no longer holds the code and is as long as before."""
    respondent.start(wave.codes[1])
    session_length = len(respondent.client.cookies[COOKIE])
    title = respondent.page.find("title").text()
    send_the_mini_survey(respondent, wave.codes[0])
    marker = respondent.client.cookies[COOKIE]
    assert len(marker) == session_length  # padded alike: sending does not show in its size
    assert "Max-Age=1200" in session_cookie(respondent)
    sealed = base64.urlsafe_b64decode(marker)
    cipher = AESGCM(respondent.client.app.state.secret_key)
    plain = json.loads(cipher.decrypt(sealed[:12], sealed[12:], b"survey-session"))
    assert plain[:2] == ["sent", wave.id] and len(plain) == 3  # the wave and the minute

    respondent.get("/vragenlijst")
    assert respondent.path() == "/vragenlijst" and respondent.step() == "sent"
    assert respondent.page.find("h1").text() == "Uw antwoorden zijn aangekomen"
    assert "Er is niets meer te doen" in respondent.page.text()
    assert respondent.page.find("title").text() == title
    respondent.get("/vragenlijst?lang=en")
    assert respondent.page.find("h1").text() == "Your answers have arrived"
    # The review's form sent again from the history stores nothing and says the same.
    respondent.post("/vragenlijst", [("_action", "send"), ("_page", "review")])
    assert respondent.step() == "sent"
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Response)) == 1


def test_the_sent_marker_ends_like_a_session(respondent, wave, monkeypatch):
    send_the_mini_survey(respondent, wave.codes[0])
    now = web_session._minute()
    monkeypatch.setattr(web_session, "_minute", lambda: now + 15)
    respondent.get("/vragenlijst")
    assert respondent.step() == "sent"
    monkeypatch.setattr(web_session, "_minute", lambda: now + 21)  # not renewed by a visit
    respondent.get("/vragenlijst")
    assert respondent.path() == "/"
    notice = respondent.page.find("div", class_="notice").text()
    assert "Heeft u de vragenlijst al verzonden? Dan zijn uw antwoorden aangekomen" in notice


def test_the_quick_exit_removes_the_sent_marker(respondent, wave):
    send_the_mini_survey(respondent, wave.codes[0])
    respondent.client.follow_redirects = False
    respondent.get("/snel-weg")
    assert COOKIE not in respondent.client.cookies
