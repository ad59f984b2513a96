"""The API documentation in Chromium, on a server with no way out: Swagger UI at /docs
and ReDoc at /redoc draw the API's operations from /openapi.json, and every request the
pages make goes to this server (the tab fails the test otherwise, and on any console
error, a CSP violation included)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
# ReDoc's sidebar credit always asks for Redocly's logo on their CDN; the page's policy
# blocks that in the browser, before it reaches the network, and ReDoc leaves it out.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


def operations(base_url: str) -> list[tuple[str, str]]:
    """(method, path) of every operation in the OpenAPI schema."""
    schema = httpx.get(base_url + "/openapi.json").json()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


def test_swagger_ui_shows_every_operation_offline(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    tab.goto("/docs")
    page = tab.page
    blocks = page.locator(".opblock")
    expected = operations(live_server)
    expect(blocks).to_have_count(len(expected), timeout=15000)
    shown = {
        (b.locator(".opblock-summary-method").inner_text(), b.get_attribute("id"))
        for b in blocks.all()
    }
    paths = {b.locator(".opblock-summary-path").get_attribute("data-path") for b in blocks.all()}
    assert paths == {path for _, path in expected}
    assert {method for method, _ in shown} == {method for method, _ in expected}
    expect(page.locator(".info .title")).to_contain_text("Staff victimisation monitor")
    tab.screenshot("swagger-ui")
    assert any(url.startswith(live_server + "/static/swagger-ui-bundle.js") for url in tab.requests)
    tab.close()  # nothing left the server, no console error


def test_redoc_shows_every_operation_offline(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    failed: list[tuple[str, str]] = []
    page.on("requestfailed", lambda request: failed.append((request.url, request.failure)))
    tab.goto("/redoc")
    expected = operations(live_server)
    # ReDoc prints each operation's method and path in its right-hand panel.
    endpoints = page.locator("[data-section-id^='tag/'] .http-verb + span")
    expect(endpoints).to_have_count(len(expected), timeout=15000)
    assert sorted(endpoints.all_inner_texts()) == sorted(path for _, path in expected)
    expect(page.locator("h1")).to_contain_text("Staff victimisation monitor")
    tab.screenshot("redoc")
    assert any(url.startswith(live_server + "/static/redoc.standalone.js") for url in tab.requests)
    expect(page.get_by_role("img", name="redocly logo")).to_have_count(0)
    assert (REDOC_LOGO, "csp") in failed  # Chromium: blocked by the Content-Security-Policy
    tab.requests = [url for url in tab.requests if url != REDOC_LOGO]
    tab.console_errors = [e for e in tab.console_errors if REDOC_LOGO not in e]
    tab.close()  # nothing else left the server, no other console error
