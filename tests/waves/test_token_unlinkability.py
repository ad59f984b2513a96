"""The operator's attack (issue 16): 100 staff members sign in, each has a token signed and
answers with it at once, in the same order (the worst case: issue and arrival orders are
the same). After the close, the operator holds every table, every log line, every file
(the database, the server's secret keys), and even every request body of both routes (as
a TLS-inspecting proxy would), and tries to match staff members to responses.

Each attack is first run where it works (on the open wave, or against a client that does
not blind), so that it is known to find a link when there is one."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from app.closing.seal import scrub_dead_rows
from app.config import Settings
from app.db import session_scope
from app.files import secret_key
from app.main import create_app
from app.waves import blindrsa
from app.waves.tokens import subject_hash
from tests.closing.test_seal import tuples_of
from tests.support import answers, close_mini_wave, open_mini_wave
from tests.waves import blind_client
from tests.waves.identity import bearer, with_sign_in

STAFF = [f"medewerker.{i:03d}" for i in range(100)]
# With 100 responses in random order, 10 or more in their issue place happens about once
# in 10^7 runs (the number of fixed points of a random permutation is about Poisson(1)).
CHANCE = 10


def issue_and_answer(api: TestClient, wave_id: str, blind: bool = True) -> list[dict]:
    """Each staff member in turn: a token (blinded, or not, for the control), then a
    response with it whose free text names them, so that the test knows the truth."""
    served = api.get(f"/api/v1/waves/{wave_id}/token-key").json()
    n, e = (int.from_bytes(blindrsa.from_b64(served[x]), "big") for x in ("n", "e"))
    key = rsa.RSAPublicNumbers(e, n).public_key()
    seen = []
    for i, subject in enumerate(STAFF):
        prepared = blind_client.prepare(os.urandom(32))
        blinded = blind_client.blind(key, prepared, r=None if blind else 1)
        body = {"blinded_msg": blindrsa.to_b64(blinded.blinded_msg)}
        signed = api.post(f"/api/v1/waves/{wave_id}/tokens", json=body, headers=bearer(subject))
        assert signed.status_code == 200, signed.text
        blind_sig = blindrsa.from_b64(signed.json()["blind_sig"])
        sig = blind_client.finalize(key, prepared, blind_sig, blinded.inv)
        token = {"msg": blindrsa.to_b64(prepared), "sig": blindrsa.to_b64(sig)}
        sent = api.post(
            f"/api/v1/waves/{wave_id}/responses",
            json={"token": token, "answers": answers(comment=f"wie:{i:03d}")},
        )
        assert sent.status_code == 201, sent.text
        seen.append(
            {"subject": subject, "blinded": blinded.blinded_msg, "sig": sig, "n": n, "e": e}
        )
    return seen


def stored_order(engine) -> list[int]:
    """Whose response is where in the table's stored order (SQLite: a table without rowid
    lies in the order of its key; PostgreSQL: heap order): what the operator reads from
    the rows themselves."""
    order = "wave_id, id" if engine.dialect.name == "sqlite" else "ctid"
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT free_text FROM response ORDER BY {order}"))
        return [int(a.split("wie:")[1][:3]) for (a,) in rows]


def matched_by_order(engine) -> int:
    """The operator's guess: the k-th response stored is the k-th staff member issued."""
    return sum(1 for place, who in enumerate(stored_order(engine)) if place == who)


def everything_stored(engine, db_url: str) -> bytes:
    """Every value of every table, and (SQLite) the database's files byte by byte."""
    chunks = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(repr(tuple(row)).encode())
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        chunks += [p.read_bytes() for p in path.parent.glob(path.name + "*")]
    return b"\n".join(chunks)


@pytest.fixture
def signed_in(settings: Settings, tmp_path: Path) -> Settings:
    return with_sign_in(settings, tmp_path)


def test_the_operator_cannot_match_staff_to_responses(
    signed_in, factory, engine, db_url, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    secret = secret_key(signed_in.token_secret_file)
    wave = open_mini_wave(factory, codes=1, token_secret=secret)
    with TestClient(create_app(signed_in)) as api:
        seen = issue_and_answer(api, wave.id)
    # While the wave is open, PostgreSQL's heap order is the arrival order (README: an
    # operator watching live sees responses arrive): the attack works there. SQLite keeps
    # responses without rowid, in the order of their random ids, open or closed.
    if engine.dialect.name == "postgresql":
        assert matched_by_order(engine) >= 90
    else:
        assert matched_by_order(engine) < 10
    issuing_xids: set[int] = set()
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            issuing_xids = set(
                connection.execute(text("SELECT xmin::text::bigint FROM token_issue")).scalars()
            )
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    scrub_dead_rows(engine)

    # 1. The stored order of the responses: no better than chance.
    assert matched_by_order(engine) < CHANCE
    # 2. Every table and file: no subject, no keyed hash of one (the operator has the key
    #    and can make them), no hash of a token used, no token.
    stored = everything_stored(engine, db_url)
    for s in seen:
        traces = [
            s["subject"].encode(),
            subject_hash(secret, wave.id, s["subject"]).encode(),
            blindrsa.to_b64(s["sig"]).encode(),
            s["sig"],
        ]
        assert not [t for t in traces if t in stored], s["subject"]
    with engine.connect() as connection:
        for table in ("token_key", "token_issue", "spent_token"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    # 3. Every log line: no subject, no token, no blinded message.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/tokens" in logged and "/responses" in logged  # the log was captured
    for s in seen:
        assert s["subject"] not in logged
        assert blindrsa.to_b64(s["sig"])[:16] not in logged
        assert blindrsa.to_b64(s["blinded"])[:16] not in logged
    # 4. PostgreSQL: no tuple of any table, live or dead, names an issuing transaction.
    if issuing_xids:
        assert tuples_of(engine, issuing_xids) == []
    # 5. Every request body, even with the private key: a blinded message is unrelated to
    #    the token it became (see the control below, where it is not).
    assert matched_by_request_bodies(seen) == 0


def matched_by_request_bodies(seen: list[dict]) -> int:
    """The proxy's attack: a token's signature raised to e is its encoded message, which
    is what an unblinded request would have carried."""
    encoded = {pow(int.from_bytes(s["sig"], "big"), s["e"], s["n"]): i for i, s in enumerate(seen)}
    return sum(
        1 for i, s in enumerate(seen) if encoded.get(int.from_bytes(s["blinded"], "big")) == i
    )


def test_the_request_body_attack_finds_a_client_that_does_not_blind(signed_in, factory):
    wave = open_mini_wave(factory, codes=1, token_secret=secret_key(signed_in.token_secret_file))
    with TestClient(create_app(signed_in)) as api:
        seen = issue_and_answer(api, wave.id, blind=False)
    assert matched_by_request_bodies(seen) == len(STAFF)
