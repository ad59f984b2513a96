"""Sealing a closed wave: nothing it keeps may still show the order in which its
responses arrived (CONTRACT section 4)."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from app.responses.models import Response, ResumeState
from app.waves.models import Wave
from app.waves.partitions import response_partition


def seal(session: Session, wave: Wave) -> None:
    """At close: drop resume data and rewrite the responses in random order with new
    ids, so that neither row order, ids nor (PostgreSQL) xmin keep the order of arrival.

    Done in SQL, so that a wave of a million responses never travels through Python.
    Each response gets a new random id in a temporary table; the wave's responses go,
    and come back in the order of their new ids: a random order (the ids are random), in
    which the key's index fills from one end instead of at a million random places. On
    PostgreSQL they go by TRUNCATE of the wave's own partition (app.waves.partitions):
    its table and index get new, empty files, and the old ones, with every tuple the
    intake wrote, live or dead, are emptied when the close commits and unlinked at the
    next checkpoint (no dead tuple is left to vacuum, and no other wave's responses are
    touched or locked). On SQLite a
    wave's responses lie together in the table's key (wave, id), so the DELETE goes
    through one stretch of it, and secure_delete overwrites what it frees.
    """
    session.execute(delete(ResumeState).where(ResumeState.wave_id == wave.id))
    params = {"wave": wave.id}
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    new_id = "lower(hex(randomblob(16)))" if sqlite else "replace(gen_random_uuid()::text, '-', '')"
    session.execute(
        text(
            f"CREATE TEMPORARY TABLE shuffled_response AS SELECT {new_id} "  # noqa: S608 (fixed)
            "AS id, coded, free_text FROM response WHERE wave_id = :wave"
        ),
        params,
    )
    if sqlite:
        session.execute(delete(Response).where(Response.wave_id == wave.id))
    else:
        session.execute(text(f"TRUNCATE {response_partition(connection, wave.id)}"))
    session.execute(
        text(
            "INSERT INTO response (wave_id, id, coded, free_text) "
            "SELECT :wave, id, coded, free_text FROM shuffled_response ORDER BY id"
        ),
        params,
    )
    session.execute(text("DROP TABLE shuffled_response"))


# The tables a submission writes: codes are spent (deleted), tokens are spent (their
# hashes stored, deleted at close), drafts are saved and deleted, and the day's counts
# are replaced; the answer keys, of which the close deletes the wave's: no page may keep
# its (sealed) private key. And those of the token waves' issuing: who had a token, and
# the sealed key, which no dead row may keep either. Not `response`: on PostgreSQL the
# close itself gives the wave's partition new files (seal), and rewriting every other
# wave's responses would only cost time.
WRITTEN_WHILE_OPEN = (
    "invitation_code",
    "spent_token",
    "resume_state",
    "respondent_count",
    "answer_key",
    "token_issue",
    "token_key",
)


# Sessions of the whole server (any database) whose transaction or snapshot began before
# ``target``, an xid: VACUUM FULL keeps every row such a session might still see.
OLDER_SESSIONS = text(
    "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
    "AND (age(backend_xid) > age(CAST(:target AS xid)) "
    "OR age(backend_xmin) > age(CAST(:target AS xid))) ORDER BY pid"
)


def scrub_dead_rows(
    engine: Engine,
    say: Callable[[str], None] = lambda _: None,
    poll_seconds: float = 0.2,
    report_seconds: float = 30.0,
) -> None:
    """After the close has committed: no page of the database may still hold a row as a
    submission wrote it. On PostgreSQL a plain VACUUM only unlinks dead tuples: their
    bytes, with the xmin/xmax of the transactions that wrote and deleted them, stay on the
    page (a response and the code it spent share such a transaction). VACUUM FULL writes
    each table anew into a fresh file, live rows only, and the old file is unlinked.
    But it copies the rows that a transaction still running anywhere on the server (in
    any database) might see: so it first waits until every transaction that began before
    the close has ended, telling the operator which sessions it waits for (``say``).
    SQLite overwrites deleted rows at once (secure_delete, see app.db)."""
    if engine.dialect.name == "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # The next xid to be given: every transaction that began before now has an older
        # one, or a snapshot older than it.
        target = connection.execute(
            text("SELECT xid(pg_snapshot_xmax(pg_current_snapshot()))::text")
        ).scalar_one()
        waited, reported = 0.0, -report_seconds
        while older := connection.execute(OLDER_SESSIONS, {"target": target}).scalars().all():
            if waited - reported >= report_seconds:
                say(
                    f"waiting for {len(older)} session(s) of the database server whose "
                    f"transactions began before the close (pid {', '.join(map(str, older))})"
                    ": until they end, their rows cannot be cleared (the wave is closed; "
                    "interrupted, 'monitor db scrub' clears them later)"
                )
                reported = waited
            time.sleep(poll_seconds)
            waited += poll_seconds
        for table in WRITTEN_WHILE_OPEN:
            connection.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
