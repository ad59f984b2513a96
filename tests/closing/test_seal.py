"""After `monitor wave close`, the database's own files keep no trace of the wave's
submissions (CONTRACT section 4), read as an attacker with the files would read them:
PostgreSQL's raw pages through pageinspect, SQLite's file byte by byte."""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from app.cli import app
from app.closing.seal import scrub_dead_rows
from app.config import get_settings
from app.db import session_scope
from app.responses.models import Response, ResumeState
from app.waves.codes import code_hash
from app.waves.partitions import SCHEMA
from tests.support import answers, close_mini_wave, open_mini_wave

RESPONSES = "/api/v1/waves/{}/responses"
PROGRESS = "/api/v1/waves/{}/progress"
PAGE = 8192
PAGE_HEADER = 24
MAXALIGN = 8


def submit_with_drafts(client, wave, drafts: int, unspent: int = 3, responses: bool = True) -> None:
    """Drafts for the first codes, then a response for each code but the last `unspent`
    (which keep their pages in the code table), each its own request."""
    for code in wave.codes[:drafts]:
        saved = client.put(
            PROGRESS.format(wave.id),
            json={"code": code, "resume_key": "sleutel-" + code, "answers": {"threat": "once"}},
        )
        assert saved.status_code == 204, saved.text
    for i, code in enumerate(wave.codes[: len(wave.codes) - unspent] if responses else (), 1):
        sent = client.post(
            RESPONSES.format(wave.id),
            json={"code": code, "answers": answers(threat="once", threat_count=i)},
        )
        assert sent.status_code == 201, sent.text


def close_as_the_cli_does(factory, engine, wave_id: str) -> None:
    with session_scope(factory) as session:
        close_mini_wave(session, wave_id)
    scrub_dead_rows(engine)


def tuple_headers(page: bytes) -> list[tuple[int, int]]:
    """(xmin, xmax) of everything on a heap page that looks like a tuple header, used or
    not: every MAXALIGNed offset whose header length byte is plausible. This is what a
    reader of the raw file sees; line pointers and VACUUM do not hide it."""
    found = []
    for offset in range(PAGE_HEADER, PAGE - 23, MAXALIGN):
        t_hoff = page[offset + 22]
        if t_hoff % MAXALIGN == 0 and 24 <= t_hoff <= 64:
            found.append(struct.unpack_from("<II", page, offset))
    return found


def postgres_relations(connection) -> list[str]:
    """Every table of the application's schemas (the waves' response partitions too) and
    its TOAST table."""
    rows = connection.execute(
        text(
            "SELECT c.oid::regclass::text, c.reltoastrelid::regclass::text "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname IN ('public', :partitions) AND c.relkind = 'r'"
        ),
        {"partitions": SCHEMA},
    ).all()
    return [name for row in rows for name in row if name and name != "-"]


def test_postgres_pages_hold_no_tuple_of_a_submission_after_close(client, factory, engine, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's pages")
    wave = open_mini_wave(factory, codes=30)
    draft_xids = "SELECT xmin::text::bigint FROM resume_state"
    response_xids = "SELECT xmin::text::bigint FROM response"
    submit_with_drafts(client, wave, drafts=10, responses=False)
    with engine.connect() as connection:
        saved = set(connection.execute(text(draft_xids)).scalars())
    submit_with_drafts(client, wave, drafts=0)
    with engine.connect() as connection:
        # The transactions that recorded a response (and spent its code) or saved a draft.
        submissions = saved | set(connection.execute(text(response_xids)).scalars())
    assert len(submissions) > len(saved) == 10
    close_as_the_cli_does(factory, engine, wave.id)
    assert tuples_of(engine, submissions) == []


def test_the_scrub_waits_for_a_transaction_begun_before_the_close_in_another_database(
    client, factory, engine, db_url
):
    """VACUUM FULL copies every row that a transaction still running might see, and a
    transaction of any database on the server counts: with one left open elsewhere (a
    report, another application), the drafts' rows survived the scrub. The scrub now
    waits for it, says so, and clears them once it has ended."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's pages")
    wave = open_mini_wave(factory, codes=12)
    submit_with_drafts(client, wave, drafts=4, responses=False)
    with engine.connect() as connection:
        drafts = set(connection.execute(text("SELECT xmin::text::bigint FROM resume_state")))
    elsewhere = create_engine(os.environ["MONITOR_TEST_POSTGRES_URL"])  # another database
    said: list[str] = []
    try:
        with elsewhere.connect() as other:
            # a transaction with an xid
            pid = other.execute(text("SELECT pg_backend_pid(), pg_current_xact_id()")).first()[0]
            with session_scope(factory) as session:
                close_mini_wave(session, wave.id)
            scrub = threading.Thread(target=scrub_dead_rows, args=(engine, said.append, 0.05, 0.0))
            scrub.start()
            scrub.join(timeout=2)
            assert scrub.is_alive() and said and str(pid) in said[0]
            other.rollback()
        scrub.join(timeout=60)
        assert not scrub.is_alive()
    finally:
        elsewhere.dispose()
    assert tuples_of(engine, {xid for (xid,) in drafts}) == []


def tuples_of(engine, transactions: set[int]) -> list[tuple[str, int, int, int]]:
    """Every tuple on any page of any table, live or dead, that one of these transactions
    wrote or deleted: (relation, block, xmin, xmax)."""
    traces = []
    with engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        for relation in postgres_relations(connection):
            pages = connection.execute(
                text("SELECT pg_relation_size(CAST(:r AS regclass)) / :size"),
                {"r": relation, "size": PAGE},
            ).scalar_one()
            for block in range(pages):
                page = connection.execute(
                    text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": block}
                ).scalar_one()
                traces += [
                    (relation, block, xmin, xmax)
                    for xmin, xmax in tuple_headers(bytes(page))
                    if xmin in transactions or xmax in transactions
                ]
    return traces


def files_of_the_wave_responses(engine, wave_id: str) -> dict[str, str]:
    """The files of the wave's response partition, of its TOAST table and of their
    indexes, by relation."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.oid::regclass::text, pg_relation_filepath(c.oid) FROM pg_class c "
                "WHERE c.oid IN (SELECT tableoid FROM response WHERE wave_id = :w) "
                "OR c.oid IN (SELECT reltoastrelid FROM pg_class "
                "WHERE oid IN (SELECT tableoid FROM response WHERE wave_id = :w)) "
                "OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN "
                "(SELECT tableoid FROM response WHERE wave_id = :w UNION "
                "SELECT reltoastrelid FROM pg_class "
                "WHERE oid IN (SELECT tableoid FROM response WHERE wave_id = :w)))"
            ),
            {"w": wave_id},
        ).all()
    return dict(rows)


def test_postgres_close_leaves_the_files_the_intake_wrote_empty(client, factory, engine, db_url):
    """The wave's responses lie in a table of their own, whose files (heap, TOAST and
    their indexes) the close replaces: the files the intake wrote are empty once it has
    committed, before any VACUUM (PostgreSQL truncates a dropped file at once and unlinks
    it at the next checkpoint)."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's files")
    wave = open_mini_wave(factory, codes=12)
    submit_with_drafts(client, wave, drafts=0)
    with engine.connect() as connection:
        tables = connection.execute(
            text("SELECT DISTINCT tableoid::regclass::text FROM response WHERE wave_id = :w"),
            {"w": wave.id},
        ).scalars()
        assert list(tables) == [f'{SCHEMA}."{wave.id}"']
    intake = files_of_the_wave_responses(engine, wave.id)
    assert len(intake) == 4  # heap, its key, TOAST, TOAST's index
    assert file_sizes(engine, intake)[f'{SCHEMA}."{wave.id}"'] > 0
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    sealed = files_of_the_wave_responses(engine, wave.id)
    assert sealed.keys() == intake.keys()
    assert not set(sealed.values()) & set(intake.values())
    assert set(file_sizes(engine, intake).values()) <= {None, 0}


def file_sizes(engine, files: dict[str, str]) -> dict[str, int | None]:
    """The size of each file (None: gone)."""
    with engine.connect() as connection:
        return {
            relation: connection.execute(
                text("SELECT size FROM pg_stat_file(:path, true)"), {"path": path}
            ).scalar_one()
            for relation, path in files.items()
        }


def test_the_page_reader_finds_what_a_plain_vacuum_leaves(client, factory, engine, db_url):
    """The attack above, against what the close did before: a plain VACUUM unlinks dead
    tuples but leaves their bytes, with the xmax of the submission that spent each code."""
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's pages")
    wave = open_mini_wave(factory, codes=8)
    submit_with_drafts(client, wave, drafts=0)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        submissions = set(
            connection.execute(text("SELECT xmin::text::bigint FROM response")).scalars()
        )
        connection.execute(text("VACUUM invitation_code"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        page = connection.execute(text("SELECT get_raw_page('invitation_code', 0)")).scalar_one()
    spent_by = {xmax for _, xmax in tuple_headers(bytes(page))} & submissions
    assert spent_by  # a dead code tuple, still on its page, names the submission that spent it


def test_sqlite_file_holds_no_spent_code_nor_response_as_stored_before_close(
    client, factory, engine, db_url
):
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's file")
    wave = open_mini_wave(factory, codes=20)
    submit_with_drafts(client, wave, drafts=5)
    with factory() as session:
        ids_before = list(session.scalars(select(Response.id)))
    close_as_the_cli_does(factory, engine, wave.id)
    with factory() as session:
        assert session.scalars(select(ResumeState.lookup)).all() == []
        assert not set(ids_before) & set(session.scalars(select(Response.id)))
    path = Path(db_url.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    for code in wave.codes[:-3]:  # spent
        assert code_hash(code).encode() not in raw
    for old_id in ids_before:
        assert old_id.encode() not in raw


def test_monitor_db_scrub_clears_what_an_interrupted_close_left(
    client, factory, engine, db_url, monkeypatch
):
    """A close interrupted while it waited to scrub (the operator's Ctrl-C) has sealed the
    wave but left the drafts' rows, with their transactions, on the pages: the page
    reader finds them. `monitor db scrub` runs the scrub again, and it finds none."""
    wave = open_mini_wave(factory, codes=12)
    submit_with_drafts(client, wave, drafts=4, responses=False)
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    get_settings.cache_clear()
    if db_url.startswith("sqlite"):  # nothing to scrub: SQLite overwrites deleted rows
        assert monitor_ok("db", "scrub")
        return
    with engine.connect() as connection:
        drafts = {
            xid
            for (xid,) in connection.execute(text("SELECT xmin::text::bigint FROM resume_state"))
        }
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)  # and no scrub
    assert tuples_of(engine, drafts)
    assert "no page of the database" in monitor_ok("db", "scrub")
    assert tuples_of(engine, drafts) == []


def monitor_ok(*args: str) -> str:
    try:
        result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.stderr
    return result.stderr
