"""Rate limits, CORS and an unreachable database: clear answers, nothing kept."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.ratelimit import SlidingWindow
from tests.support import answers, open_mini_wave

URL = "/api/v1/waves/{}/responses"


def test_respondent_writes_are_rate_limited_per_address(settings, factory):
    wave = open_mini_wave(factory, codes=1)
    limited = settings.model_copy(update={"rate_limit": 3})
    with TestClient(create_app(limited)) as client:
        statuses = [
            client.post(
                URL.format(wave.id), json={"code": "nope", "answers": answers()}
            ).status_code
            for _ in range(4)
        ]
        assert statuses == [403, 403, 403, 429]
        reply = client.post(URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()})
        assert reply.status_code == 429
        assert reply.headers["content-type"] == "application/problem+json"
        assert int(reply.headers["retry-after"]) >= 1
        assert client.get("/api/v1/waves/open").status_code == 200  # reading is not limited


def test_addresses_are_forgotten_after_their_window():
    window = SlidingWindow(limit=2, window=60)
    assert window.allow("a", 0) == 0 and window.allow("a", 1) == 0
    assert window.allow("a", 2) == 58  # the first event leaves the window at 60
    assert window.allow("b", 30) == 0
    assert window.allow("c", 200) == 0  # sweeps everything older than the window
    assert window.keys() == 1


def test_cors_only_for_configured_origins(settings):
    allowed = settings.model_copy(update={"cors_origins": ["https://dashboard.intranet"]})
    with TestClient(create_app(allowed)) as client:
        ok = client.get("/api/v1/waves/open", headers={"Origin": "https://dashboard.intranet"})
        other = client.get("/api/v1/waves/open", headers={"Origin": "https://evil.example"})
    assert ok.headers["access-control-allow-origin"] == "https://dashboard.intranet"
    assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(settings)) as client:
        none = client.get("/api/v1/waves/open", headers={"Origin": "https://dashboard.intranet"})
    assert "access-control-allow-origin" not in none.headers


def test_unreachable_database_gives_503_problem():
    settings = Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        reply = client.get("/api/v1/waves/open")
    assert reply.status_code == 503
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.headers["retry-after"]
    assert "psycopg" not in reply.text and "Traceback" not in reply.text
