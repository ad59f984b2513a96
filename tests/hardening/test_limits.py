"""Limits, CORS and an unreachable database: clear answers, nothing kept.

The limits (CONTRACT section 4): no per-address limit on valid submissions by default (a
whole intranet may reach the server from one proxy address); failed code attempts are
limited per address and in total (429 with Retry-After); only a valid API key exempts.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.ratelimit import SlidingWindow
from tests.builders import bearer
from tests.support import answers, open_mini_wave

URL = "/api/v1/waves/{}/responses"
CHECK = "/api/v1/waves/{}/codes/check"
LOAD = "/api/v1/waves/{}/progress/load"
PROGRESS = "/api/v1/waves/{}/progress"
TRENDS = "/api/v1/trends/threat"


def too_many(reply) -> None:
    assert reply.status_code == 429, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["status"] == 429
    assert int(reply.headers["retry-after"]) >= 1


def test_valid_submissions_from_one_address_are_never_limited(client, factory):
    """A whole intranet behind one proxy: 500 colleagues submit from one address."""
    wave = open_mini_wave(factory, codes=500)
    statuses = [
        client.post(URL.format(wave.id), json={"code": code, "answers": answers()}).status_code
        for code in wave.codes
    ]
    assert statuses == [201] * 500


def test_failed_code_attempts_are_limited_per_address(settings, factory):
    wave = open_mini_wave(factory, codes=2)
    limited = settings.model_copy(update={"code_failures_per_address": 4})
    app = create_app(limited)
    with TestClient(app, client=("10.1.1.1", 5000)) as client:
        # Every route that takes a code counts its refusals alike.
        assert client.post(CHECK.format(wave.id), json={"code": "nope"}).status_code == 403
        assert client.post(LOAD.format(wave.id), json={"code": "nope"}).status_code == 403
        assert (
            client.put(PROGRESS.format(wave.id), json={"code": "nope", "answers": {}}).status_code
            == 403
        )
        wrong = {"code": "nope", "answers": answers()}
        assert client.post(URL.format(wave.id), json=wrong).status_code == 403
        too_many(client.post(URL.format(wave.id), json=wrong))
        # Further attempts are refused before the code is looked at, valid ones too...
        too_many(
            client.post(URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()})
        )
        too_many(client.post(CHECK.format(wave.id), json={"code": wave.codes[0]}))
        assert client.get("/api/v1/waves/open").status_code == 200  # reading is not limited
    # ...from that address only.
    with TestClient(app, client=("10.2.2.2", 5000)) as other:
        reply = other.post(URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()})
        assert reply.status_code == 201


def test_the_code_page_counts_and_refuses_alike(settings, factory):
    wave = open_mini_wave(factory, codes=1)
    limited = settings.model_copy(update={"code_failures_per_address": 2})
    with TestClient(create_app(limited)) as client:
        form = {"wave": wave.id, "code": "AAAAAA-BBBBBB-CCCCCC"}
        assert client.post("/vragenlijst/start", data=form).status_code == 422
        assert client.post("/vragenlijst/start", data=form).status_code == 422
        refused = client.post("/vragenlijst/start", data={**form, "code": wave.codes[0]})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["content-type"].startswith("text/html")
        assert "te vaak" in refused.text  # the code page again, saying why
        # The API counts the page's refusals: one address, one budget.
        too_many(client.post(CHECK.format(wave.id), json={"code": wave.codes[0]}))


def test_failures_spread_over_many_addresses_hit_the_total(settings, factory):
    """A botnet guessing codes from many addresses meets one budget for them all."""
    wave = open_mini_wave(factory, codes=1)
    limited = settings.model_copy(
        update={
            "code_failures_total": 5,
            "proxy_addresses": ["testclient"],  # behind our proxy: the client is forwarded
        }
    )
    with TestClient(create_app(limited)) as client:

        def attempt(n: int, code: str = "nope"):
            headers = {"X-Forwarded-For": f"192.0.2.{n}"}
            return client.post(CHECK.format(wave.id), json={"code": code}, headers=headers)

        assert [attempt(n).status_code for n in range(5)] == [403] * 5
        too_many(attempt(6))
        too_many(attempt(7, wave.codes[0]))


def test_an_invalid_authorization_header_does_not_exempt(settings, factory):
    wave = open_mini_wave(factory, codes=1)
    limited = settings.model_copy(update={"code_failures_per_address": 2})
    with TestClient(create_app(limited)) as client:
        forged = {"Authorization": "Bearer not-a-key"}
        wrong = {"code": "nope", "answers": answers()}
        statuses = [
            client.post(URL.format(wave.id), json=wrong, headers=forged).status_code
            for _ in range(3)
        ]
        assert statuses == [403, 403, 429]


def test_the_optional_write_limit_has_no_exemption_by_header(settings, factory):
    """MONITOR_RATE_LIMIT (off by default) still limits writes per address when set, and a
    made-up Authorization header does not lift it."""
    assert Settings().rate_limit == 0
    wave = open_mini_wave(factory, codes=3)
    limited = settings.model_copy(update={"rate_limit": 2})
    with TestClient(create_app(limited)) as client:
        forged = {"Authorization": "Bearer not-a-key"}
        statuses = [
            client.post(
                URL.format(wave.id), json={"code": code, "answers": answers()}, headers=forged
            ).status_code
            for code in wave.codes
        ]
        assert statuses == [201, 201, 429]


def test_failed_keys_are_limited_but_a_valid_key_is_exempt(settings, factory):
    """Guessing keys meets the same limit (each failure is audited, so the audit log
    cannot be flooded); a valid key still works from an address that is refused."""
    limited = settings.model_copy(update={"code_failures_per_address": 2})
    analyst = bearer(factory, "analyst", "anna")
    with TestClient(create_app(limited)) as client:
        guess = {"Authorization": "Bearer guessed-key"}
        assert [client.get(TRENDS, headers=guess).status_code for _ in range(2)] == [401, 401]
        too_many(client.get(TRENDS, headers=guess))
        assert client.get(TRENDS, headers=analyst).status_code == 200


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
