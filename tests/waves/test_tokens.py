"""Tokens instead of codes (CONTRACT section 3): the wave's key, one token per signed-in
member of staff, and a token used where a code goes, refused as a bad code is."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import OperationalError

from app.config import Settings
from app.db import session_scope
from app.files import secret_key
from app.main import create_app
from app.waves import blindrsa
from app.waves.models import SpentToken, TokenIssue, TokenKey
from tests.support import answers, close_mini_wave, open_mini_wave
from tests.waves import blind_client
from tests.waves.identity import bearer, with_sign_in

RESPONSES = "/api/v1/waves/{}/responses"
PROGRESS = "/api/v1/waves/{}/progress"
LOAD = "/api/v1/waves/{}/progress/load"
CHECK = "/api/v1/waves/{}/codes/check"


@pytest.fixture
def signed_in(settings: Settings, tmp_path: Path) -> Settings:
    return with_sign_in(settings, tmp_path)


@pytest.fixture
def api(signed_in: Settings):
    with TestClient(create_app(signed_in)) as client:
        yield client


@pytest.fixture
def wave(factory, signed_in):
    return open_mini_wave(factory, codes=3, token_secret=secret_key(signed_in.token_secret_file))


def public_key(api: TestClient, wave_id: str) -> rsa.RSAPublicKey:
    answer = api.get(f"/api/v1/waves/{wave_id}/token-key")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["alg"] == "RSABSSA-SHA384-PSS-Randomized"
    n, e = (int.from_bytes(blindrsa.from_b64(body[x]), "big") for x in ("n", "e"))
    return rsa.RSAPublicNumbers(e, n).public_key()


def get_token(api: TestClient, wave_id: str, subject: str) -> dict[str, str]:
    """What the survey page does: prepare a message, blind it, have it signed with the
    staff member's sign-in, unblind: {"msg", "sig"} for a request body."""
    key = public_key(api, wave_id)
    prepared = blind_client.prepare(os.urandom(32))
    blinded = blind_client.blind(key, prepared)
    signed = api.post(
        f"/api/v1/waves/{wave_id}/tokens",
        json={"blinded_msg": blindrsa.to_b64(blinded.blinded_msg)},
        headers=bearer(subject),
    )
    assert signed.status_code == 200, signed.text
    sig = blind_client.finalize(
        key, prepared, blindrsa.from_b64(signed.json()["blind_sig"]), blinded.inv
    )
    return {"msg": blindrsa.to_b64(prepared), "sig": blindrsa.to_b64(sig)}


def test_the_wave_key_is_3072_bits_and_served_only_for_an_open_token_wave(api, wave, factory):
    assert public_key(api, wave.id).key_size == 3072
    plain = open_mini_wave(factory, "plain", codes=1)
    assert api.get(f"/api/v1/waves/{plain.id}/token-key").status_code == 404
    assert api.get("/api/v1/waves/nope/token-key").status_code == 404
    assert [w["tokens"] for w in api.get("/api/v1/waves/open").json()] == [True, False]
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    assert api.get(f"/api/v1/waves/{wave.id}/token-key").status_code == 409


def test_the_private_key_is_kept_sealed(api, wave, factory, signed_in):
    with factory() as session:
        stored = session.scalars(select(TokenKey)).one()
    assert b"PRIVATE" not in stored.sealed_private_key
    # Not a DER key: sealed bytes look random; the server's secret opens them.
    from app.files import unseal

    plain = unseal(
        secret_key(signed_in.token_secret_file),
        stored.sealed_private_key,
        f"token-key\x1f{wave.id}".encode(),
    )
    assert plain[:2] == b"\x30\x82"  # the DER key inside


def test_a_token_answers_once_and_a_second_token_is_refused(api, wave, factory):
    token = get_token(api, wave.id, "j.jansen")
    again = api.post(
        f"/api/v1/waves/{wave.id}/tokens",
        json={"blinded_msg": blindrsa.to_b64(b"\x01" * 384)},
        headers=bearer("j.jansen"),
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    sent = api.post(RESPONSES.format(wave.id), json={"token": token, "answers": answers()})
    assert sent.status_code == 201, sent.text
    spent = api.post(RESPONSES.format(wave.id), json={"token": token, "answers": answers()})
    bad_code = api.post(RESPONSES.format(wave.id), json={"code": "NOPE", "answers": answers()})
    assert spent.status_code == bad_code.status_code == 403
    assert spent.json() == bad_code.json()
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenIssue)) == 1
        assert session.scalar(select(func.count()).select_from(SpentToken)) == 1


def test_forged_and_foreign_tokens_get_the_answer_a_bad_code_gets(api, wave, factory, signed_in):
    other = open_mini_wave(
        factory, "2026-b", codes=1, token_secret=secret_key(signed_in.token_secret_file)
    )
    foreign = get_token(api, other.id, "j.jansen")
    mine = get_token(api, wave.id, "p.de.vries")
    k = 384
    forged = [
        foreign,  # signed with the other wave's key
        {"msg": mine["msg"], "sig": blindrsa.to_b64(os.urandom(k))},
        {"msg": blindrsa.to_b64(os.urandom(64)), "sig": mine["sig"]},  # another message
        {"msg": mine["msg"], "sig": mine["sig"][:-4]},  # cut short
        {"msg": mine["msg"] + "=", "sig": mine["sig"]},  # not base64url without padding
        {"msg": "", "sig": ""},
    ]
    bad_code = api.post(RESPONSES.format(wave.id), json={"code": "NOPE", "answers": answers()})
    for token in forged:
        refused = api.post(RESPONSES.format(wave.id), json={"token": token, "answers": answers()})
        assert refused.status_code == 403, token
        assert refused.json() == bad_code.json()
    # Refused tokens spent nothing: the real one still answers.
    sent = api.post(RESPONSES.format(wave.id), json={"token": mine, "answers": answers()})
    assert sent.status_code == 201


def test_issuing_needs_a_staff_sign_in_and_a_signable_message(api, wave):
    path = f"/api/v1/waves/{wave.id}/tokens"
    body = {"blinded_msg": blindrsa.to_b64(b"\x01" * 384)}
    assert api.post(path, json=body).status_code == 401
    assert api.post(path, json=body, headers={"Authorization": "Bearer a.b.c"}).status_code == 401
    assert api.post(path, json=body, headers=bearer("x.contractor", staff=False)).status_code == 403
    for bad in ("not base64!", blindrsa.to_b64(b"\x01" * 383), blindrsa.to_b64(b"\xff" * 384)):
        refused = api.post(path, json={"blinded_msg": bad}, headers=bearer("a.smit"))
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["code"] == "invalid_blinded_message"
    # Credentials first, whatever the body: then the body's shape (422).
    broken = {"content": b"{not json", "headers": {"Content-Type": "application/json"}}
    assert api.post(path, **broken).status_code == 401
    refused = api.post(path, content=b"{not json", headers={**broken["headers"], **bearer("a")})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert api.post(path, json={"blinded": "AQ"}, headers=bearer("a.smit")).status_code == 422
    # Nothing was kept of the refused requests: a.smit may still have a token.
    assert api.post(path, json=body, headers=bearer("a.smit")).status_code == 200
    assert api.post("/api/v1/waves/nope/tokens", json=body, headers=bearer("b")).status_code == 404


def test_a_server_without_single_sign_on_issues_no_tokens(client, factory, tmp_path):
    wave = open_mini_wave(factory, codes=1, token_secret=os.urandom(32))
    answer = client.post(
        f"/api/v1/waves/{wave.id}/tokens", json={"blinded_msg": "AQ"}, headers=bearer("a")
    )
    assert answer.status_code == 404


def test_the_one_token_rule_holds_against_concurrent_requests(api, wave, factory):
    key = public_key(api, wave.id)
    bodies = [
        {"blinded_msg": blindrsa.to_b64(blind_client.blind(key, b"m" * 40).blinded_msg)}
        for _ in range(6)
    ]
    statuses: list[int] = []

    def ask(body: dict[str, str]) -> None:
        path = f"/api/v1/waves/{wave.id}/tokens"
        statuses.append(api.post(path, json=body, headers=bearer("twin")).status_code)

    threads = [threading.Thread(target=ask, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [409] * 5


def test_one_token_spent_by_concurrent_submissions_records_one_response(api, wave, factory):
    token = get_token(api, wave.id, "j.jansen")
    statuses: list[int] = []

    def send() -> None:
        body = {"token": token, "answers": answers()}
        statuses.append(api.post(RESPONSES.format(wave.id), json=body).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [403] * 7


def test_save_and_resume_with_a_token(api, wave):
    token = get_token(api, wave.id, "j.jansen")
    draft = {"token": token, "resume_key": "mijn-eigen-sleutel", "answers": {"threat": "once"}}
    assert api.put(PROGRESS.format(wave.id), json=draft).status_code == 204
    load = {"token": token, "resume_key": "mijn-eigen-sleutel"}
    loaded = api.post(LOAD.format(wave.id), json=load)
    assert loaded.json() == {"answers": {"threat": "once"}}
    wrong = api.post(LOAD.format(wave.id), json={**load, "resume_key": "een-andere-sleutel"})
    assert wrong.status_code == 403
    assert api.post(CHECK.format(wave.id), json={"token": token}).status_code == 200
    sent = api.post(RESPONSES.format(wave.id), json={"token": token, "answers": answers()})
    assert sent.status_code == 201
    assert api.post(LOAD.format(wave.id), json=load).status_code == 403


def test_a_body_with_both_or_neither_is_invalid(api, wave):
    token = {"msg": "AA", "sig": "AA"}
    both = api.post(RESPONSES.format(wave.id), json={"code": "X", "token": token, "answers": {}})
    neither = api.post(RESPONSES.format(wave.id), json={"answers": {}})
    assert both.status_code == neither.status_code == 422
    assert "missing_credential" in both.text


def test_failed_tokens_count_with_failed_codes(factory, signed_in):
    limited = signed_in.model_copy(update={"code_failures_per_address": 3})
    wave = open_mini_wave(factory, codes=1, token_secret=secret_key(signed_in.token_secret_file))
    forged = {"msg": "AAAA", "sig": "AAAA"}
    with TestClient(create_app(limited)) as api:
        for _ in range(3):
            body = {"token": forged, "answers": answers()}
            assert api.post(RESPONSES.format(wave.id), json=body).status_code == 403
        body = {"code": wave.codes[0], "answers": answers()}
        assert api.post(RESPONSES.format(wave.id), json=body).status_code == 429


def test_closing_destroys_the_key_and_the_token_tables(api, wave, factory, engine):
    for subject in ("a", "b", "c"):
        token = get_token(api, wave.id, subject)
        body = {"token": token, "answers": answers()}
        assert api.post(RESPONSES.format(wave.id), json=body).status_code == 201
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    with factory() as session:
        for table in ("token_key", "token_issue", "spent_token"):
            assert session.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table
        assert session.scalar(text("SELECT count(*) FROM response")) == 3


def test_the_token_tables_keep_no_time_and_no_order(api, wave, engine):
    for subject in ("a", "b"):
        token = get_token(api, wave.id, subject)
        body = {"token": token, "answers": answers()}
        assert api.post(RESPONSES.format(wave.id), json=body).status_code == 201
    columns = {
        table: {c["name"] for c in inspect(engine).get_columns(table)}
        for table in ("token_issue", "spent_token")
    }
    assert columns == {
        "token_issue": {"subject_hash", "wave_id"},
        "spent_token": {"msg_hash", "wave_id"},
    }
    if engine.dialect.name == "sqlite":
        # WITHOUT ROWID: no hidden counter of arrivals (a rowid table answers this).
        for table in columns:
            with engine.connect() as connection, pytest.raises(OperationalError):
                connection.execute(text(f"SELECT rowid FROM {table}"))
        with engine.connect() as connection:
            connection.execute(text("SELECT rowid FROM wave"))
