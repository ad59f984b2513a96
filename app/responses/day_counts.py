"""The day's respondent counts of an open wave, and the final counts at close.

While a wave is open the counts are those at the start of the UTC day: the first
submission of a day (or, if none came yet, the first reader) first stores the counts as
they are, in a transaction of its own, never in one with a response. At close the
snapshot gives way to the final counts. Nothing finer than a day is ever kept.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from weakref import WeakKeyDictionary

from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.questionnaires.service import get_version
from app.responses.answers import AnswerTable, load_answers, respondent_cells
from app.responses.models import RespondentCount
from app.waves.models import Wave
from app.waves.service import FrameRow, frame_cells


def store_counts(
    session: Session, wave_id: str, table: AnswerTable, frame: list[FrameRow], as_of: date | None
) -> None:
    """Replace the wave's counts with one row per frame cell, empty cells too (so that a
    day's snapshot of a wave without responses is there all the same)."""
    counts = Counter(respondent_cells(table))
    session.execute(delete(RespondentCount).where(RespondentCount.wave_id == wave_id))
    session.execute(
        insert(RespondentCount),
        [
            {
                "wave_id": wave_id,
                "organisation": c.organisation,
                "unit": c.unit,
                "function_group": c.function_group,
                "respondents": counts[c.organisation, c.unit, c.function_group],
                "headcount": c.headcount,
                "as_of": as_of,
            }
            for c in frame
        ],
    )


# Per session factory (one per app), the (wave, day) snapshots this process knows are
# kept, so that only the first request of a day pays for the check.
_known: WeakKeyDictionary[sessionmaker[Session], set[tuple[str, date]]] = WeakKeyDictionary()


def snapshot_known(factory: sessionmaker[Session], wave_id: str, today: date) -> bool:
    return (wave_id, today) in _known.get(factory, ())


def snapshot_day_counts(factory: sessionmaker[Session], wave_id: str, today: date) -> None:
    """Keep an open wave's counts as at the start of `today` (UTC), unless already kept."""
    if snapshot_known(factory, wave_id, today):
        return
    if _take_snapshot(factory, wave_id, today):
        _known.setdefault(factory, set()).add((wave_id, today))


def _take_snapshot(factory: sessionmaker[Session], wave_id: str, today: date) -> bool:
    """Whether the day's snapshot is there now (False: the wave is not open)."""
    with session_scope(factory) as session:
        taken = select(
            exists().where(RespondentCount.wave_id == wave_id, RespondentCount.as_of == today)
        )
        if session.scalar(taken):
            return True
        # The row lock makes concurrent first submissions of a day take turns (PostgreSQL;
        # SQLite's BEGIN IMMEDIATE already does); the second then finds the snapshot.
        wave = session.get(Wave, wave_id, with_for_update=True)
        if wave is None or wave.status != "open":
            return False
        if not session.scalar(taken):
            table = load_answers(session, wave.id, get_version(session, wave.questionnaire_id))
            store_counts(session, wave.id, table, frame_cells(session, wave.id), as_of=today)
        return True


@dataclass(frozen=True)
class WaveCount:
    respondents: int
    headcount: int
    as_of: date | None  # an open wave's day, at whose start it was counted; None: final


def wave_counts(session: Session) -> dict[str, WaveCount]:
    """Per wave with stored counts, its respondents and headcount in all: an open wave's
    as at the start of its latest counted day, a closed wave's final counts."""
    rows = session.execute(
        select(
            RespondentCount.wave_id,
            func.sum(RespondentCount.respondents),
            func.sum(RespondentCount.headcount),
            func.max(RespondentCount.as_of),
        ).group_by(RespondentCount.wave_id)
    )
    return {
        wave_id: WaveCount(int(respondents), int(headcount), as_of)
        for wave_id, respondents, headcount, as_of in rows
    }
