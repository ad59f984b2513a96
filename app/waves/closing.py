"""Closing a wave: the one place where a wave's data is sealed for good."""

from __future__ import annotations

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.problems import Conflict
from app.responses.service import seal_closed_wave
from app.waves.models import Wave
from app.waves.service import get_wave


def close_wave(session: Session, wave_id: str) -> Wave:
    """Stop intake, drop resume data, rewrite responses in random order (one transaction)."""
    wave = get_wave(session, wave_id)
    if wave.status != "open":
        raise Conflict(f"wave {wave_id} is {wave.status}; only an open wave can be closed")
    wave.status = "closed"
    session.flush()
    seal_closed_wave(session, wave)
    return wave


def scrub_dead_rows(engine: Engine) -> None:
    """After the close has committed: remove the old row versions that still show arrival
    order (PostgreSQL's dead tuples with their xmin; SQLite overwrites deleted rows at
    once, see app.db)."""
    if engine.dialect.name == "sqlite":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("response", "invitation_code", "resume_state"):
            connection.execute(text(f"VACUUM {table}"))
