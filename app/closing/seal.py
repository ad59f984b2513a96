"""Sealing a closed wave: nothing it keeps may still show the order in which its
responses arrived (CONTRACT section 4)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from app.responses.models import Response, ResumeState
from app.waves.models import Wave


def seal(session: Session, wave: Wave) -> None:
    """At close: drop resume data and rewrite the responses in random order with new
    ids, so that neither row order, ids nor (PostgreSQL) xmin keep the order of arrival.

    Done in SQL, so that a wave of a million responses never travels through Python.
    Each response gets a new random id and they go back in the order of those ids: a
    random order (the ids are random), in which the key's index fills from one end
    instead of at a million random places. A wave's responses lie together in the
    table's key (wave, id), so the old ones go as one stretch of it. PostgreSQL does it
    in one statement (the deleted rows are what is inserted); SQLite, which cannot insert
    what a DELETE returns, through a temporary table.
    """
    session.execute(delete(ResumeState).where(ResumeState.wave_id == wave.id))
    params = {"wave": wave.id}
    if session.get_bind().dialect.name != "sqlite":
        session.execute(
            text(
                "WITH old AS (DELETE FROM response WHERE wave_id = :wave "
                "RETURNING coded, free_text) "
                "INSERT INTO response (wave_id, id, coded, free_text) "
                "SELECT :wave, replace(gen_random_uuid()::text, '-', ''), coded, free_text "
                "FROM old ORDER BY 2"
            ),
            params,
        )
        return
    session.execute(
        text(
            "CREATE TEMPORARY TABLE shuffled_response AS SELECT lower(hex(randomblob(16))) "
            "AS id, coded, free_text FROM response WHERE wave_id = :wave"
        ),
        params,
    )
    session.execute(delete(Response).where(Response.wave_id == wave.id))
    session.execute(
        text(
            "INSERT INTO response (wave_id, id, coded, free_text) "
            "SELECT :wave, id, coded, free_text FROM shuffled_response ORDER BY id"
        ),
        params,
    )
    session.execute(text("DROP TABLE shuffled_response"))


# The tables a submission writes: responses come and go, codes are spent (deleted),
# tokens are spent (their hashes stored, deleted at close), drafts are saved and deleted,
# and the day's counts are replaced; the answer keys, of which the close deletes the
# wave's: no page may keep its (sealed) private key. And those of the token waves'
# issuing: who had a token, and the sealed key, which no dead row may keep either.
WRITTEN_WHILE_OPEN = (
    "response",
    "invitation_code",
    "spent_token",
    "resume_state",
    "respondent_count",
    "answer_key",
    "token_issue",
    "token_key",
)


def scrub_dead_rows(engine: Engine) -> None:
    """After the close has committed: no page of the database may still hold a row as a
    submission wrote it. On PostgreSQL a plain VACUUM only unlinks dead tuples: their
    bytes, with the xmin/xmax of the transactions that wrote and deleted them, stay on the
    page (a response and the code it spent share such a transaction). VACUUM FULL writes
    each table anew into a fresh file, live rows only, and the old file is unlinked.
    SQLite overwrites deleted rows at once (secure_delete, see app.db)."""
    if engine.dialect.name == "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in WRITTEN_WHILE_OPEN:
            connection.execute(text(f"VACUUM (FULL, ANALYZE) {table}"))
