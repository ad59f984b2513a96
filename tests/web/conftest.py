"""One Chromium for the browser tests of a session: Debian's /usr/bin/chromium, driven by
Playwright (the Python package only; no browser of its own is ever downloaded)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support import open_mini_wave
from tests.web.pages import Respondent

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).parents[2] / "test-output" / "screenshots"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def launched_chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright, closed afterwards; skipped (failed in CI) when
    either is missing."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def wave(factory: Any) -> Any:
    """The mini questionnaire's wave, open, with codes."""
    return open_mini_wave(factory)


@pytest.fixture
def respondent(client: TestClient) -> Respondent:
    """A respondent without JavaScript (tests/web/pages.py), following redirects."""
    client.follow_redirects = True
    return Respondent(client)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    yield from launched_chromium()


class Tab:
    """A page of a fresh browser context, watching what the page does: every request (to
    see that nothing leaves the app) and every console error (a CSP violation shows there).
    axe-core is added through the DevTools protocol, which the pages' CSP does not limit."""

    def __init__(self, browser: Any, base_url: str, name: str, **context_options: Any):
        self.context = browser.new_context(locale="nl-NL", **context_options)
        self.context.add_init_script(path=str(AXE))
        self.page = self.context.new_page()
        self.base_url = base_url
        self.name = name
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.shots = 0
        self.closed = False
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    def _console(self, message: Any) -> None:
        # A page sent again with its errors has status 422, which Chromium reports too.
        if message.type == "error" and "status of 422" not in message.text:
            self.console_errors.append(message.text)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def screenshot(self, label: str) -> None:
        self.shots += 1
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.page.screenshot(
            path=SCREENSHOTS / f"{self.name}-{self.shots:02d}-{slug}.png", full_page=True
        )

    def check_accessibility(self, label: str) -> None:
        """axe-core finds no violation of WCAG 2.1 A or AA on the page as it is now."""
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
        )
        violations = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result["violations"]
        ]
        assert not violations, f"{label}: " + "\n".join(violations)

    def look(self, label: str) -> None:
        self.check_accessibility(label)
        self.screenshot(label)

    def close(self) -> None:
        assert not self.console_errors, self.console_errors
        # A blob: URL of this origin is the page's own memory (ReDoc's search worker).
        own = (self.base_url, f"blob:{self.base_url}/")
        foreign = [url for url in self.requests if not url.startswith(own)]
        assert not foreign, f"requests that left the app: {foreign}"
        self.context.close()
        self.closed = True


@pytest.fixture
def open_tab(chromium: Any, live_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Opens tabs (each in a new browser context) on the live server; closes them after."""
    tabs: list[Tab] = []
    test_name = request.node.name.replace("[", "-").rstrip("]")

    def open_one(suffix: str = "", **context_options: Any) -> Tab:
        tab = Tab(chromium, live_server, test_name + suffix, **context_options)
        tabs.append(tab)
        return tab

    yield open_one
    for tab in tabs:
        if not tab.closed:
            tab.close()


# --- added for tests/dashboard: one browser per session -----------------------------------
# Playwright's sync API can run only once per thread. While the browser of this directory
# is open, tests elsewhere (tests/dashboard/conftest.py) use it instead of their own; it is
# published on the session for them. Nothing here changes what the fixtures above do.
SHARED_BROWSER = "monitor_shared_chromium"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    result = yield
    browser = getattr(item, "funcargs", {}).get("chromium")
    if browser is not None:
        setattr(item.session, SHARED_BROWSER, browser)
    return result
