"""The API documentation pages load nothing from elsewhere: their assets are vendored
(app/web/vendor, as its README records them) and served by the app. In a browser:
tests/web/test_api_docs_browser.py."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.web.pages import parse

VENDOR = Path(__file__).parents[2] / "app" / "web" / "vendor"


def recorded_hashes() -> dict[str, str]:
    """The SHA-256 of each vendored file, as the vendor README records it."""
    text = (VENDOR / "README.md").read_text()
    return {path: digest for digest, path in re.findall(r"^\s+([0-9a-f]{64})  (\S+)$", text, re.M)}


def test_the_vendored_files_are_those_the_readme_records():
    recorded = recorded_hashes()
    assert len(recorded) == 4
    for path, digest in recorded.items():
        assert hashlib.sha256((VENDOR / path).read_bytes()).hexdigest() == digest, path
    for licence in ("swagger_ui/LICENSE", "swagger_ui/NOTICE", "redoc/LICENSE"):
        assert (VENDOR / licence).stat().st_size > 0, licence


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_load_only_from_this_server(client, path):
    reply = client.get(path)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    page = parse(reply.text)
    urls = [n["src"] for n in page.find_all("script") if n.has("src")]
    urls += [n["href"] for n in page.find_all("link")]
    assert urls and all(url.startswith("/static/") for url in urls), urls
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200 and asset.content, url
        assert "immutable" in asset.headers["cache-control"]
        name = url.split("?")[0].removeprefix("/static/")
        assert [p for p in recorded_hashes() if p.endswith("/" + name)], f"{name} is not vendored"
    policy = reply.headers["content-security-policy"]
    assert "http" not in policy and "frame-ancestors 'none'" in policy
    # Inline script only by hash: the page's own starter, nothing injected later.
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    inline = [n.raw_text() for n in page.find_all("script") if not n.has("src")]
    assert len(inline) == (1 if path == "/docs" else 0)
    assert policy.count("'sha256-") == len(inline)


def test_fastapi_s_cdn_pages_are_gone(client):
    assert client.get("/docs/oauth2-redirect").status_code == 404
    for path in ("/docs", "/redoc"):
        assert "cdn.jsdelivr.net" not in client.get(path).text
