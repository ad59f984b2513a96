"""The dashboard as files: served at /dashboard/ with the right types, caching and
security headers, and written so that the strict CSP allows all of it (no inline script
or style, nothing from elsewhere). What it does in a browser: test_dashboard_browser.py."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.web.security import STRICT_CSP

DASHBOARD = Path(__file__).parents[2] / "dashboards"
WEB_FILES = sorted(p.name for p in DASHBOARD.iterdir() if p.suffix in (".html", ".js", ".css"))


def test_the_page_is_served_with_the_security_headers(client):
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == STRICT_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    # Kept, but checked again every time: the file names do not change with their content.
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"]
    assert response.text == (DASHBOARD / "index.html").read_text(encoding="utf-8")

    again = client.get("/dashboard/", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["cache-control"] == "no-cache"

    moved = client.get("/dashboard", follow_redirects=False)
    assert moved.status_code in (301, 307, 308)
    assert moved.headers["location"].endswith("/dashboard/")


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("dashboard.js", "text/javascript; charset=utf-8"),
        ("charts.js", "text/javascript; charset=utf-8"),
        ("i18n.js", "text/javascript; charset=utf-8"),
        ("download.js", "text/javascript; charset=utf-8"),
        ("dashboard.css", "text/css; charset=utf-8"),
        ("base.css", "text/css; charset=utf-8"),
    ],
)
def test_every_file_has_its_content_type(client, name, content_type):
    response = client.get(f"/dashboard/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["content-security-policy"] == STRICT_CSP


@pytest.mark.parametrize(
    "path", ["README.md", "missing.js", ".hidden.js", "%2e%2e/app/main.py", "..%2fpyproject.toml"]
)
def test_nothing_else_is_served(client, path):
    response = client.get(f"/dashboard/{path}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["cache-control"] == "no-store"


def test_only_reading_is_allowed(client):
    assert client.post("/dashboard/", content=b"x").status_code == 405
    assert client.head("/dashboard/dashboard.js").status_code == 200


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True


def test_the_page_keeps_to_the_strict_csp():
    page = _Page()
    page.feed((DASHBOARD / "index.html").read_text(encoding="utf-8"))
    names = [tag for tag, _ in page.tags]
    assert "style" not in names
    assert not page.inline_script
    for tag, attrs in page.tags:
        assert "style" not in attrs, f"<{tag}> has a style attribute"
        assert not [a for a in attrs if a.startswith("on")], f"<{tag}> has an event handler"
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"^(https?:)?//", value), f"<{tag} {key}={value}> leaves the app"
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "dashboard.js"}]
    api = [a for t, a in page.tags if t == "meta" and a.get("name") == "monitor-api"]
    assert api == [{"name": "monitor-api", "content": "/api/v1"}]


@pytest.mark.parametrize("name", [n for n in WEB_FILES if n.endswith((".js", ".css"))])
def test_scripts_and_styles_load_nothing_from_elsewhere(name):
    text = (DASHBOARD / name).read_text(encoding="utf-8")
    # XML namespaces (SVG; the .xlsx parts of download.js) are names, not addresses anything
    # is fetched from.
    addresses = {
        a
        for a in re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"')]*", text)
        if a != "http://www.w3.org/2000/svg"
        and not a.startswith("http://schemas.openxmlformats.org/")
    }
    assert not addresses
    if name.endswith(".js"):
        for risky in (
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            ".style.",
            "cssText",
            'setAttribute("style"',
        ):
            assert risky not in text, f"{name} uses {risky}"
    else:
        assert "@import" not in text


def test_every_module_the_page_imports_is_there(client):
    seen, todo = set(), ["dashboard.js"]
    while todo:
        name = todo.pop()
        seen.add(name)
        response = client.get(f"/dashboard/{name}")
        assert response.status_code == 200, name
        for imported in re.findall(r'from\s+"\./([\w-]+\.js)"', response.text):
            if imported not in seen:
                todo.append(imported)
    assert seen == {n for n in WEB_FILES if n.endswith(".js")}
