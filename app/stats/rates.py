"""Response rates from per-cell respondent counts.

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

import numpy as np
from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.indicators.derive import load_answers
from app.questionnaires.conditions import AnswerTable
from app.questionnaires.service import get_version
from app.stats.groups import cell_groups, hierarchy, node, respondent_cells
from app.stats.models import BREAKDOWNS, RespondentCount
from app.stats.suppression import suppress_hierarchy
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
class Rate:
    group: str | None
    respondents: int | None
    headcount: int
    rate: float | None
    suppressed: bool
    as_of: date | None  # the day at whose start an open wave was counted


def response_rates(session: Session, wave: Wave, by: str, min_cell: int) -> list[Rate]:
    """Respondents over headcount per group of a breakdown, from the stored counts (a
    wave not yet opened has none: its frame, with no respondents), with the same
    small-group suppression as the figures (headcounts and organisation totals are public)."""
    stored = session.scalars(
        select(RespondentCount)
        .where(RespondentCount.wave_id == wave.id)
        .order_by(
            RespondentCount.organisation, RespondentCount.unit, RespondentCount.function_group
        )
    ).all()
    cells = [FrameRow(c.organisation, c.unit, c.function_group, c.headcount) for c in stored]
    if not stored:
        cells = frame_cells(session, wave.id)
    respondents = np.array([c.respondents for c in stored] or [0] * len(cells), dtype=int)
    headcount = np.array([c.headcount for c in cells], dtype=int)
    totals: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
    for level in BREAKDOWNS:
        codes, group = cell_groups(cells, level)
        totals[level] = (
            codes,
            np.bincount(group, respondents, minlength=len(codes)).astype(int),
            np.bincount(group, headcount, minlength=len(codes)).astype(int),
        )
    hidden = suppress_hierarchy(
        {
            node(level, code): int(count[i])
            for level, (codes, count, _) in totals.items()
            for i, code in enumerate(codes)
        },
        hierarchy(cells),
        min_cell,
    )
    as_of = stored[0].as_of if stored else None
    codes, group_respondents, group_headcount = totals[by]
    rates = []
    for code, count, size in zip(codes, group_respondents, group_headcount, strict=True):
        shown = node(by, code) not in hidden
        rates.append(
            Rate(
                group=None if by == "none" else code,
                respondents=int(count) if shown else None,
                headcount=int(size),
                rate=float(count / size) if shown else None,
                suppressed=not shown,
                as_of=as_of,
            )
        )
    return rates
