"""Start with the police account, in Chromium: the page gets the staff member's sign-in
from a stand-in for the intranet's identity provider (another origin, as on the
intranet), a blind-signed token for it, and answers with it; a second token for the same
person is refused, and a spent token gets nowhere."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.files import secret_key
from app.responses.models import Response
from app.waves.models import SpentToken, TokenIssue
from tests.support import open_mini_wave
from tests.waves.identity import sign_in, with_sign_in
from tests.web.conftest import AXE, WCAG_21_AA
from tests.web.test_survey_browser import answer_visible_questions, click_and_wait, step

pytestmark = pytest.mark.browser


class IdentityProvider:
    """GET /token with the intranet's cookie: the signed-in person's JWT, as JSON. CORS
    lets our survey's origin read it with credentials, as the intranet's provider must."""

    def __init__(self) -> None:
        self.subject = "j.jansen"
        self.calls = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.calls += 1
                body = json.dumps({"access_token": sign_in(provider.subject)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Access-Control-Allow-Origin", self.headers["Origin"] or "")
                self.send_header("Access-Control-Allow-Credentials", "true")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture
def provider() -> Iterator[IdentityProvider]:
    provider = IdentityProvider()
    yield provider
    provider.stop()


@pytest.fixture
def settings(settings: Settings, tmp_path: Path, provider: IdentityProvider) -> Settings:
    signed_in = with_sign_in(settings, tmp_path)
    return signed_in.model_copy(update={"identity_token_url": provider.url})


@pytest.fixture
def token_wave(factory, settings):
    return open_mini_wave(factory, codes=2, token_secret=secret_key(settings.token_secret_file))


class Browser:
    """One browser profile (its localStorage is where the page keeps the token)."""

    def __init__(self, chromium: Any, base: str, provider: IdentityProvider):
        self.context = chromium.new_context(locale="nl-NL")
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.allowed = (base, provider.url)

    def _console(self, message: Any) -> None:
        if message.type == "error" and "status of 4" not in message.text:
            self.errors.append(message.text)

    def open_start(self) -> Any:
        self.page.goto(self.base + "/")
        return self.page.locator("[data-token-start]")

    def stored_token(self, wave_id: str) -> str | None:
        return self.page.evaluate("w => localStorage.getItem('monitor-token:' + w)", wave_id)

    def start_with_token(self) -> None:
        """Open the start page, wait for the token, and start with it."""
        self.open_start()
        token_ready(self.page)
        click_and_wait(self.page, "Start met mijn politieaccount")

    def answer_and_send(self, choice: int) -> None:
        while step(self.page) != "review":
            answer_visible_questions(self.page, choice=choice)
            click_and_wait(self.page, "Volgende")
        click_and_wait(self.page, "Verzenden")

    def status(self) -> str:
        """What the page says once it has its token, or knows that it gets none."""
        from playwright.sync_api import expect

        status = self.page.locator("[data-token-status]")
        expect(status).to_be_visible()
        expect(status).not_to_contain_text("wordt opgehaald")
        return status.inner_text()

    def axe(self) -> list[str]:
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
        )
        return [v["id"] for v in result["violations"]]

    def close(self) -> None:
        self.context.close()
        assert not self.errors, self.errors
        assert all(url.startswith(self.allowed) for url in self.requests), self.requests


@pytest.fixture
def browser(chromium, live_server, provider) -> Iterator[Browser]:
    browser = Browser(chromium, live_server, provider)
    yield browser
    browser.close()


def token_ready(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator("[data-token-button]")).to_be_enabled()


def count(factory, model) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_staff_member_answers_with_a_token_and_gets_only_one(
    browser, chromium, live_server, provider, token_wave, factory
):
    page = browser.page
    section = browser.open_start()
    section.wait_for(state="visible")
    assert "niemand, ook de beheerders" in section.inner_text()
    # Fetched when the page opens, before anything is pressed.
    token_ready(page)
    assert "klaar" in browser.status()
    assert provider.calls == 1 and count(factory, TokenIssue) == 1
    assert browser.axe() == []
    assert set(json.loads(browser.stored_token(token_wave.id) or "{}")) == {"msg", "sig"}
    # A reload keeps the token: no second one is asked for.
    browser.start_with_token()
    assert provider.calls == 1 and count(factory, TokenIssue) == 1
    browser.answer_and_send(choice=1)
    assert count(factory, Response) == 1 and count(factory, SpentToken) == 1
    assert browser.stored_token(token_wave.id) is None
    # The same person again, in this browser or another: no second token (409).
    browser.open_start()
    assert "al een toegangsbewijs gekregen" in browser.status()
    other = Browser(chromium, live_server, provider)
    other.open_start()
    assert "al een toegangsbewijs gekregen" in other.status()
    assert count(factory, TokenIssue) == 1 and count(factory, Response) == 1
    other.close()


def test_a_spent_token_sent_again_is_refused_and_forgotten(browser, token_wave, factory):
    page = browser.page
    browser.open_start()
    token_ready(page)
    token = browser.stored_token(token_wave.id)
    browser.start_with_token()
    browser.answer_and_send(choice=0)
    # A copy of the spent token put back (a backup of the profile, say): refused at start.
    put_back = "([w, t]) => localStorage.setItem('monitor-token:' + w, t)"
    page.evaluate(put_back, [token_wave.id, token])
    browser.start_with_token()
    assert "kunt u niet meer gebruiken" in page.locator(".error-summary").inner_text()
    # The page forgets it, and asks for a new one, which the same person does not get.
    assert "al een toegangsbewijs gekregen" in browser.status()
    assert browser.stored_token(token_wave.id) is None
    assert count(factory, Response) == 1


def test_without_javascript_the_code_is_the_way_in(chromium, live_server, provider, token_wave):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    assert not page.locator("[data-token-start]").is_visible()
    page.get_by_label("Uw toegangscode").fill(token_wave.codes[0])
    click_and_wait(page, "Start")
    assert step(page) == "background"
    assert provider.calls == 0
    context.close()


def test_save_and_resume_with_the_token_kept_in_the_browser(browser, provider, token_wave, factory):
    page = browser.page
    browser.start_with_token()
    answer_visible_questions(page)
    click_and_wait(page, "Volgende")
    assert step(page) == "screener"
    click_and_wait(page, "Opslaan en later verder")
    assert "Kom terug in dezelfde browser" in page.locator("main").inner_text()
    resume_key = page.locator("#resume-key").inner_text()
    browser.open_start()
    token_ready(page)
    page.get_by_label("Uw herstelsleutel").fill(resume_key)
    click_and_wait(page, "Start met mijn politieaccount")
    assert step(page) == "screener"  # where the answers left off
    assert provider.calls == 1 and count(factory, TokenIssue) == 1
