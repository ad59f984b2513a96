"""On PostgreSQL each wave's responses lie in a partition of their own, made with the
wave; closing one wave rewrites its partition and leaves every other wave's as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.db import session_scope
from app.waves.partitions import SCHEMA
from tests.support import TODAY, answers, close_mini_wave, open_mini_wave, submit


def stored(engine, wave_id: str) -> set[tuple[str, str, str, str]]:
    """(table, ctid, xmin, id) of each of the wave's responses."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT tableoid::regclass::text, ctid::text, xmin::text, id FROM response "
                "WHERE wave_id = :w"
            ),
            {"w": wave_id},
        ).all()
    return {tuple(row) for row in rows}


def test_each_wave_has_its_partition_and_a_close_touches_only_its_own(factory, engine, db_url):
    if db_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's partitions")
    closing = open_mini_wave(factory, "2026", codes=6)
    staying = open_mini_wave(factory, "2026-b", codes=6)
    with engine.connect() as connection:
        partitions = connection.execute(
            text(
                "SELECT c.relnamespace::regnamespace::text, c.relname FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'response'::regclass ORDER BY c.relname"
            )
        ).all()
    assert [tuple(p) for p in partitions] == [(SCHEMA, "2026"), (SCHEMA, "2026-b")]
    for wave in (closing, staying):
        for code in wave.codes:
            with session_scope(factory) as session:
                submit(session, wave.id, code, answers(), TODAY)
    before = {wave.id: stored(engine, wave.id) for wave in (closing, staying)}
    assert {table for table, *_ in before["2026-b"]} == {f'{SCHEMA}."2026-b"'}
    with session_scope(factory) as session:
        close_mini_wave(session, closing.id)
    assert stored(engine, staying.id) == before[staying.id]
    after = stored(engine, closing.id)
    assert {table for table, *_ in after} == {f'{SCHEMA}."2026"'}
    assert len(after) == len(before[closing.id])
    assert not {row_id for *_, row_id in after} & {row_id for *_, row_id in before[closing.id]}
