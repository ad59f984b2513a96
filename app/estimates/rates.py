"""Response rates from per-cell respondent counts (app.responses.day_counts: while a
wave is open, the counts at the start of the UTC day; after close, the final counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing.models import AnswerGroupCount
from app.method.groups import BREAKDOWNS, cell_groups, node, suppress_respondents
from app.problems import Conflict
from app.responses.models import RespondentCount
from app.waves.models import Wave
from app.waves.service import FrameRow, frame_cells


@dataclass(frozen=True)
class Rate:
    group: str | None
    respondents: int | None
    headcount: int | None  # None by a background answer: the frame does not count them
    rate: float | None
    suppressed: bool
    as_of: date | None  # the day at whose start an open wave was counted


def response_rates(session: Session, wave: Wave, by: str, min_cell: int) -> list[Rate]:
    """Respondents over headcount per group of a breakdown, from the stored counts (a
    wave not yet opened has none: its frame, with no respondents), with the same
    small-group suppression as the figures (headcounts are public), audited so that no
    hidden count follows from the published ones to fewer than three values."""
    if by not in BREAKDOWNS:
        return _answer_group_rates(session, wave, by)
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
    # The same hidden groups as the wave's figures (app.closing.figures): the counts of
    # all breakdowns are the margins of one table, audited together.
    hidden = suppress_respondents(cells, respondents, min_cell, wave.status == "closed")
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


def _answer_group_rates(session: Session, wave: Wave, by: str) -> list[Rate]:
    """Respondents per group of a breakdown by a background answer, as counted and
    suppressed at close (app.closing.figures); no headcount, so no rate."""
    stored = session.scalars(
        select(AnswerGroupCount)
        .where(AnswerGroupCount.wave_id == wave.id, AnswerGroupCount.breakdown == by)
        .order_by(AnswerGroupCount.group_code)
    ).all()
    if not stored:
        raise Conflict(
            f"wave {wave.id} has no respondent counts by {by}: they are counted when a wave "
            "closes, from its answers, for a questionnaire version that has this breakdown"
        )
    return [Rate(c.group_code, c.respondents, None, None, c.suppressed, as_of=None) for c in stored]


# Why a rate is hidden or not yet current, for analysts reading the API (Dutch, English).
_HIDDEN = {
    "nl": "Verborgen: minder dan {min_cell} respondenten, of verborgen zodat een kleine "
    "groep niet uit de andere cijfers is af te leiden.",
    "en": "Hidden: fewer than {min_cell} respondents, or hidden so that a small group "
    "cannot be worked out from the other figures.",
}
_COUNTED_AT_DAY_START = {
    "nl": "Geteld aan het begin van {day} (UTC); wat daarna binnenkomt, telt vanaf de "
    "volgende dag mee, zodat niemand één inzending kan herkennen.",
    "en": "Counted at the start of {day} (UTC); responses after that count from the next "
    "day on, so that no one can single out one submission.",
}


def rate_note(rate: Rate, min_cell: int, lang: str) -> str | None:
    """Why a rate is hidden, and for an open wave from when its counts are (on its first
    day every group is hidden: nothing had arrived at the start of the day)."""
    parts = []
    if rate.suppressed:
        parts.append(_HIDDEN[lang].format(min_cell=min_cell))
    if rate.as_of is not None:
        parts.append(_COUNTED_AT_DAY_START[lang].format(day=rate.as_of.isoformat()))
    return " ".join(parts) or None
