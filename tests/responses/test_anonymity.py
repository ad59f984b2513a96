"""Each guarantee of CONTRACT section 4, tested on both databases."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.types import Date, DateTime, Integer, Time

from app.closing.seal import scrub_dead_rows
from app.db import session_scope
from app.problems import Forbidden
from app.responses.coded import decode
from app.responses.models import Response, ResumeState
from app.responses.service import load_progress, save_progress
from app.waves.codes import code_hash
from tests.support import TODAY, answers, close_mini_wave, open_mini_wave, start_monitor, submit

URL = "/api/v1/waves/{}/responses"


def all_text_in_database(engine) -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                chunks.append(" ".join(map(str, row)))
    return "\n".join(chunks)


def test_responses_carry_no_time_sequence_or_request_data(engine):
    columns = {c["name"]: c for c in inspect(engine).get_columns("response")}
    assert set(columns) == {"id", "wave_id", "coded", "free_text"}
    assert not any(
        isinstance(c["type"], DateTime | Date | Time | Integer) for c in columns.values()
    )


def test_response_ids_are_random(client, factory):
    wave = open_mini_wave(factory, codes=20)
    for code in wave.codes:
        assert (
            client.post(URL.format(wave.id), json={"code": code, "answers": answers()}).status_code
            == 201
        )
    with factory() as session:
        ids = list(session.scalars(select(Response.id)))
    assert len(ids) == 20 and all(len(i) == 32 for i in ids)
    assert len({i[:4] for i in ids}) > 15  # no shared prefix as with time-ordered ids


def test_codes_are_stored_only_as_hashes_and_a_spent_code_leaves_no_trace(client, factory, engine):
    wave = open_mini_wave(factory, codes=3)
    spent, unspent = wave.codes[0], wave.codes[1]
    assert (
        client.post(URL.format(wave.id), json={"code": spent, "answers": answers()}).status_code
        == 201
    )
    everything = all_text_in_database(engine)
    for code in wave.codes:
        assert code not in everything and code.replace("-", "") not in everything
    assert code_hash(unspent) in everything
    # a spent code looks exactly like one that was never issued: its hash is nowhere
    assert code_hash(spent) not in everything


def test_sqlite_file_holds_no_code_nor_spent_hash(client, factory, db_url, engine):
    if not db_url.startswith("sqlite"):
        pytest.skip("file-level check for SQLite")
    wave = open_mini_wave(factory, codes=2)
    assert (
        client.post(
            URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()}
        ).status_code
        == 201
    )
    path = Path(db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert code_hash(wave.codes[0]).encode() not in raw  # secure_delete overwrote it
    assert wave.codes[0].encode() not in raw


def test_postgres_response_shares_no_xmin_with_anything_naming_its_code(
    client, factory, db_url, engine
):
    if db_url.startswith("sqlite"):
        pytest.skip("xmin is PostgreSQL's")
    wave = open_mini_wave(factory, codes=4)
    with session_scope(factory) as session:
        save_progress(session, wave.id, wave.codes[0], "sleutel-1", {"organisation": "pol"}, TODAY)
    assert (
        client.post(
            URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()}
        ).status_code
        == 201
    )
    with engine.connect() as connection:
        response_xmins = set(connection.execute(text("SELECT xmin::text FROM response")).scalars())
        others = set()
        # Every other table, the wave's row included (no foreign key share-locks it).
        for table in inspect(connection).get_table_names():
            if table != "response":
                others |= set(
                    connection.execute(text(f'SELECT xmin::text FROM "{table}"')).scalars()
                )
                others |= set(
                    connection.execute(text(f'SELECT xmax::text FROM "{table}"')).scalars()
                )
    assert response_xmins and not response_xmins & others


def arrival_order_after_close(factory, engine, wave, n: int) -> list[int]:
    for i, code in enumerate(wave.codes[:n], start=1):
        with session_scope(factory) as session:
            submit(session, wave.id, code, answers(threat="once", threat_count=i), TODAY)
    with factory() as session:
        ids_before = set(session.scalars(select(Response.id)))
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    scrub_dead_rows(engine)
    with engine.connect() as connection:
        order = "" if engine.dialect.name == "sqlite" else " ORDER BY ctid"
        rows = connection.execute(text(f"SELECT id, coded, free_text FROM response{order}")).all()
    if engine.dialect.name == "sqlite":
        # The order in the file itself, as one who reads its bytes sees it: where each
        # response lies (SQLite fills a page's cells from its end, as they are inserted).
        path = Path(engine.url.database)
        raw = path.read_bytes()
        rows.sort(key=lambda row: raw.index(row.id.encode()))
    assert not ids_before & {row.id for row in rows}  # new ids
    return [a["threat_count"] for a in decode(wave.questionnaire, [r[1:] for r in rows])]


def test_closing_rewrites_responses_in_random_order(factory, engine):
    n = 80
    wave = open_mini_wave(factory, codes=n)
    stored = arrival_order_after_close(factory, engine, wave, n)
    assert sorted(stored) == list(range(1, n + 1))  # nothing lost
    assert stored != list(range(1, n + 1))
    rho = np.corrcoef(np.arange(n), np.array(stored))[0, 1]
    assert abs(rho) < 0.45  # about 4 standard deviations from "unrelated"
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            xmins = set(connection.execute(text("SELECT xmin::text FROM response")).scalars())
        assert len(xmins) == 1  # all rewritten by the close: xmin no longer orders arrivals


def test_resume_data_is_sealed_and_deleted_on_submit_and_close(factory, engine):
    wave = open_mini_wave(factory, codes=3)
    secret = "Mijn teamleider heet Jansen"
    with session_scope(factory) as session:
        save_progress(
            session,
            wave.id,
            wave.codes[0],
            "sleutel-1",
            {"organisation": "pol", "comment": secret},
            TODAY,
        )
        save_progress(session, wave.id, wave.codes[1], "sleutel-2", {"organisation": "om"}, TODAY)
    with factory() as session:
        sealed = list(session.scalars(select(ResumeState.sealed)))
    assert len(sealed) == 2 and not any(b"Jansen" in s or b"pol" in s for s in sealed)
    with session_scope(factory) as session:
        assert (
            load_progress(session, wave.id, wave.codes[0], "sleutel-1", TODAY)["comment"] == secret
        )
        with pytest.raises(Forbidden):
            load_progress(session, wave.id, wave.codes[0], "sleutel-2", TODAY)
        submit(session, wave.id, wave.codes[0], answers(), TODAY)
    with factory() as session:
        assert len(list(session.scalars(select(ResumeState.lookup)))) == 1
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    with factory() as session:
        assert list(session.scalars(select(ResumeState.lookup))) == []


def test_served_app_logs_no_address_and_no_code(db_url, factory, tmp_path):
    """`monitor serve` as operators run it: its log has requests, never who or which code."""
    wave = open_mini_wave(factory, codes=2)
    log = tmp_path / "server.log"
    with log.open("w") as sink:
        server, port = start_monitor(
            db_url, env={"MONITOR_LOG_LEVEL": "debug"}, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            good = httpx.post(
                base + URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()}
            )
            bad = httpx.post(
                base + URL.format(wave.id), json={"code": wave.codes[1], "answers": {"threat": 1}}
            )
            assert (good.status_code, bad.status_code) == (201, 422)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)
    output = log.read_text()
    assert "POST /api/v1/waves/2026/responses 201" in output
    for secret in ("127.0.0.1", wave.codes[0], wave.codes[1], code_hash(wave.codes[0])):
        assert secret not in output.replace(f"127.0.0.1:{port}", ""), secret
