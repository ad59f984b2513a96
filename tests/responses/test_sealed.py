"""Sealed bodies (app.responses.sealed): what the survey page sends with JavaScript,
encrypted to the wave's answer key and padded to one size. They are judged exactly as
plain bodies are, and nothing else opens them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.db import session_scope
from app.files import secret_key, unseal
from app.responses.models import ResumeState
from app.waves.answer_keys import Sizes
from app.waves.models import AnswerKey
from tests.responses.sealing import (
    b64url,
    compact,
    draft_secrets,
    seal_body,
    seal_draft,
    unb64url,
)
from tests.support import answers, close_mini_wave, load_fixture, open_mini_wave, stored_answers

# Fewer rounds than the page's 600,000: the server never derives, so any count will do.
TEST_ITERATIONS = 1_000


@pytest.fixture
def secret(settings) -> bytes:
    return secret_key(settings.secret_key_file)


def key_document(client, wave_id: str) -> dict[str, Any]:
    reply = client.get(f"/api/v1/waves/{wave_id}/answer-key")
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_a_wave_gets_its_key_when_it_opens_and_loses_it_when_it_closes(client, factory, secret):
    wave = open_mini_wave(factory, secret=secret)
    document = key_document(client, wave.id)
    assert document["alg"] == "RSA-OAEP-256+A256GCM"
    assert document["envelope_bytes"] == 384 + 12 + document["plain_bytes"] + 16
    assert document["cells"][0] == ["om", "om-ams", "om-ovj"]
    with session_scope(factory) as session:
        stored = session.scalars(select(AnswerKey)).one()
        # Only sealed under the server's secret: the database alone cannot open envelopes.
        assert b"\x02\x82\x01\x81\x00" not in stored.sealed_private_key  # no DER integer
        assert unseal(secret, stored.sealed_private_key, b"monitor-answer-key\x1f2026")
        close_mini_wave(session, wave.id)
    with session_scope(factory) as session:
        assert session.scalars(select(AnswerKey)).all() == []
    assert client.get(f"/api/v1/waves/{wave.id}/answer-key").status_code == 409
    assert client.get("/api/v1/waves/nope/answer-key").status_code == 404


def test_a_wave_opened_without_the_secret_takes_plain_bodies_only(client, factory):
    wave = open_mini_wave(factory)
    assert client.get(f"/api/v1/waves/{wave.id}/answer-key").status_code == 409
    reply = client.post(f"/api/v1/waves/{wave.id}/sealed/responses", json={"sealed": "AAAA"})
    assert reply.status_code == 409


def test_the_padded_size_holds_the_longest_answer_set():
    """Every question answered with its longest answer, text of control characters
    (six bytes each in JSON), fits: no respondent's submission is ever larger."""
    questionnaire = load_fixture()
    longest = {
        "organisation": "pol",
        "unit": "pol-ams",
        "function_group": "pol-basis",
        "threat": "several",
        "threat_count": 99,
        "reasons": ["minor", "job", "none"],
        "comment": "\x01" * 200,
    }
    assert len(compact(longest)) == questionnaire.answers_bytes()
    sizes = Sizes.of(questionnaire)
    code = "ABCDEF-GHJKMN-PQRSTU"
    draft = b64url(b"\0" * sizes.draft_bytes)
    assert len(compact({"code": code, "lookup": b64url(b"\0" * 32), "draft": draft})) <= (
        sizes.plain_bytes
    )
    token = {"token": {"msg": b64url(b"\0" * 64), "sig": b64url(b"\0" * 512)}}
    assert len(compact({**token, "answers": longest})) <= sizes.plain_bytes


def _exchange(client, wave_id: str, document, body: Any) -> tuple[Any, Any]:
    plain = client.post(f"/api/v1/waves/{wave_id}/responses", json=body)
    sealed = client.post(
        f"/api/v1/waves/{wave_id}/sealed/responses",
        json={"sealed": seal_body(document, wave_id, "response", body)},
    )
    return plain, sealed


def test_sealed_and_plain_submissions_are_judged_alike(client, factory, secret):
    wave = open_mini_wave(factory, codes=4, secret=secret)
    document = key_document(client, wave.id)
    cases = [
        {"code": "WRONG", "answers": {"threat_count": 500}},  # 403 before the answers
        {"code": wave.codes[0], "answers": answers(threat="no", threat_count=3, x=1)},  # 422
        {"code": wave.codes[0], "answers": answers(unit="om-ams")},  # 422: another cell
        {"answers": answers()},  # 422: no code (the body model's own error)
        {"code": wave.codes[0], "answers": answers(), "extra": True},  # 422
        {"code": wave.codes[0], "answers": ["not", "a", "mapping"]},  # 422
    ]
    for body in cases:
        plain, sealed = _exchange(client, wave.id, document, body)
        assert plain.status_code in (403, 422)
        assert (sealed.status_code, sealed.json()) == (plain.status_code, plain.json()), body
    # Accepted alike: one code each, the response stored as sent.
    for code, threat in ((wave.codes[0], "once"), (wave.codes[1], "no")):
        body = {"code": code, "answers": answers(threat=threat)}
        sealed = client.post(
            f"/api/v1/waves/{wave.id}/sealed/responses",
            json={"sealed": seal_body(document, wave.id, "response", body)},
        )
        assert (sealed.status_code, sealed.json()) == (201, {"status": "recorded"})
    plain, sealed = _exchange(
        client, wave.id, document, {"code": wave.codes[0], "answers": answers()}
    )
    assert plain.status_code == sealed.status_code == 403  # spent, either way
    with session_scope(factory) as session:
        stored = sorted(a["threat"] for a in stored_answers(session))
    assert stored == ["no", "once"]


def test_unknown_and_closed_waves_come_first(client, factory, secret):
    wave = open_mini_wave(factory, codes=1, secret=secret)
    document = key_document(client, wave.id)
    body = {"sealed": seal_body(document, wave.id, "response", {"answers": {}})}
    assert client.post("/api/v1/waves/nope/sealed/responses", json=body).status_code == 404
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    assert client.post(f"/api/v1/waves/{wave.id}/sealed/responses", json=body).status_code == 409


def test_envelopes_that_do_not_open_are_refused(client, factory, secret):
    """Another size, another route's or wave's envelope, a flipped byte: 422, nothing
    stored, and the code still works."""
    wave = open_mini_wave(factory, codes=1, secret=secret)
    other = open_mini_wave(factory, "2027", codes=1, secret=secret)
    document = key_document(client, wave.id)
    body = {"code": wave.codes[0], "answers": answers()}
    right = seal_body(document, wave.id, "response", body)
    flipped = bytearray(unb64url(right))
    flipped[-40] ^= 1
    attempts = [
        seal_body(document, wave.id, "response", body, size=document["plain_bytes"] + 1),
        seal_body(document, wave.id, "response", body, size=document["plain_bytes"] - 1),
        seal_body(document, wave.id, "check", body),
        seal_body(key_document(client, other.id), other.id, "response", body),
        b64url(bytes(flipped)),
        "not base64!",
        "A" * len(right),
    ]
    for sealed in attempts:
        reply = client.post(f"/api/v1/waves/{wave.id}/sealed/responses", json={"sealed": sealed})
        assert reply.status_code == 422, reply.text
        assert reply.headers["content-type"] == "application/problem+json"
    accepted = client.post(f"/api/v1/waves/{wave.id}/sealed/responses", json={"sealed": right})
    assert accepted.status_code == 201


def test_every_sealed_body_of_a_wave_has_one_size(client, factory, secret):
    wave = open_mini_wave(factory, codes=2, secret=secret)
    document = key_document(client, wave.id)
    short = {"code": wave.codes[0], "answers": answers()}
    long = {
        "code": wave.codes[1],
        "answers": answers(threat="several", threat_count=12, reasons=["job"], comment="x" * 200),
    }
    sizes = {len(seal_body(document, wave.id, "response", b)) for b in (short, long)}
    assert sizes == {len(b64url(b"\0" * document["envelope_bytes"]))}


def test_sealed_code_check(client, factory, secret):
    wave = open_mini_wave(factory, codes=1, secret=secret)
    document = key_document(client, wave.id)
    route = f"/api/v1/waves/{wave.id}/sealed/codes/check"

    def check(code: str) -> int:
        sealed = seal_body(document, wave.id, "check", {"code": code})
        return client.post(route, json={"sealed": sealed}).status_code

    assert check(wave.codes[0]) == 200
    assert check("WRONG") == 403


def test_page_drafts_round_trip_unreadable_to_the_server(client, factory, secret):
    wave = open_mini_wave(factory, codes=2, secret=secret)
    document = key_document(client, wave.id)
    settings = document["draft"]
    assert settings["kdf"] == "PBKDF2-SHA256" and settings["iterations"] >= 600_000
    code, resume_key = wave.codes[0], "my own resume key"
    key, lookup = draft_secrets(wave.id, code, resume_key, TEST_ITERATIONS)
    given = answers(threat="once", comment="mijn chef bedreigde mij")
    draft = seal_draft(key, given, settings["answers_bytes"], wave.id)
    assert len(draft) == settings["draft_bytes"]

    def save(body: dict[str, Any]) -> Any:
        sealed = seal_body(document, wave.id, "progress", body)
        return client.put(f"/api/v1/waves/{wave.id}/sealed/progress", json={"sealed": sealed})

    def load(code: str, lookup: bytes) -> Any:
        sealed = seal_body(
            document, wave.id, "progress/load", {"code": code, "lookup": b64url(lookup)}
        )
        return client.post(f"/api/v1/waves/{wave.id}/sealed/progress/load", json={"sealed": sealed})

    body = {"code": code, "lookup": b64url(lookup), "draft": b64url(draft)}
    assert save(body).status_code == 204
    assert save({**body, "code": "WRONG"}).status_code == 403
    assert save({**body, "draft": b64url(draft[:-1])}).status_code == 422  # unpadded
    loaded = load(code, lookup)
    assert loaded.status_code == 200 and unb64url(loaded.json()["draft"]) == draft
    # Another resume key (another lookup), or another code with this lookup: the 403
    # of a bad code, which does not say that a draft exists.
    _, other_lookup = draft_secrets(wave.id, code, "another resume key", TEST_ITERATIONS)
    assert load(code, other_lookup).status_code == 403
    assert load(wave.codes[1], lookup).status_code == 403
    with session_scope(factory) as session:
        row = session.scalars(select(ResumeState)).one()
        assert b"chef" not in row.sealed and "threat" not in row.lookup
        assert row.lookup != b64url(lookup)
    # Spending the code deletes the draft, as it deletes the server's own drafts.
    sealed = seal_body(document, wave.id, "response", {"code": code, "answers": given})
    assert (
        client.post(
            f"/api/v1/waves/{wave.id}/sealed/responses", json={"sealed": sealed}
        ).status_code
        == 201
    )
    with session_scope(factory) as session:
        assert session.scalars(select(ResumeState)).all() == []


def test_page_drafts_go_at_close(client, factory, secret):
    wave = open_mini_wave(factory, codes=1, secret=secret)
    document = key_document(client, wave.id)
    key, lookup = draft_secrets(wave.id, wave.codes[0], "resume key 1", TEST_ITERATIONS)
    draft = seal_draft(key, answers(), document["draft"]["answers_bytes"], wave.id)
    body = {"code": wave.codes[0], "lookup": b64url(lookup), "draft": b64url(draft)}
    sealed = seal_body(document, wave.id, "progress", body)
    assert (
        client.put(f"/api/v1/waves/{wave.id}/sealed/progress", json={"sealed": sealed}).status_code
        == 204
    )
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    with session_scope(factory) as session:
        assert session.scalars(select(ResumeState)).all() == []
