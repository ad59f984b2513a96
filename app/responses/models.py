from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class Response(Base):
    """One anonymous response. Deliberately nothing but the wave, a random id and the
    answers: no time, no sequence, no code, nothing from the request.

    The answers are coded (app.responses.coded): one record of small numbers, and the
    words of any free-text answers apart. The key is (wave, id). On SQLite the table has
    no rowid: a wave's responses lie together in the key's order, which is random, so
    that closing a wave rewrites one stretch of the table instead of a million scattered
    index entries. On PostgreSQL each wave's responses are a partition of their own
    (app.waves.partitions), which the close empties into new files and fills again."""

    __tablename__ = "response"
    __table_args__ = {  # noqa: RUF012 (read by SQLAlchemy)
        "sqlite_with_rowid": False,
        "postgresql_partition_by": "LIST (wave_id)",
    }

    # No foreign key, on purpose: PostgreSQL checks one by share-locking the wave row,
    # which writes the inserting transaction into that row's xmax (the wave row would
    # show when the latest response came) and makes concurrent submissions queue on one
    # row. Responses are only ever written for an existing, open wave (the intake checks).
    wave_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    coded: Mapped[bytes] = mapped_column(LargeBinary)
    free_text: Mapped[str | None] = mapped_column(Text)


class ResumeState(Base):
    """A draft: answers saved for later, sealed with a key derived from the respondent's
    code and resume key (app/responses/drafts.py). No foreign key to the wave, for the
    reason the response has none."""

    __tablename__ = "resume_state"

    lookup: Mapped[str] = mapped_column(String(64), primary_key=True)
    wave_id: Mapped[str] = mapped_column(String(32), index=True)
    code_tag: Mapped[str] = mapped_column(String(64), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class RespondentCount(Base):
    """Respondents and headcount per frame cell, for response rates.

    While a wave is open these are the counts at the start of the UTC day `as_of` (one
    snapshot per wave, replaced daily), so that no one can time a submission by watching
    the rates; at close they become the final counts (`as_of` NULL), read as they are.
    """

    __tablename__ = "respondent_count"

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    function_group: Mapped[str] = mapped_column(String(32), primary_key=True)
    respondents: Mapped[int] = mapped_column(Integer)
    headcount: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date | None] = mapped_column(Date)
