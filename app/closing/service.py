"""Closing a wave: the one place where a wave's data is sealed for good, and what closed
waves no longer need is deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from app.closing.figures import store_wave_estimates
from app.closing.models import Estimate
from app.closing.seal import seal
from app.indicators.definitions import IndicatorSet
from app.method.disclosure import DEFAULT_PROTECTION
from app.problems import Conflict
from app.responses.day_counts import wave_counts
from app.responses.models import ResumeState
from app.waves import answer_keys, tokens
from app.waves.models import InvitationCode, Wave
from app.waves.service import get_wave, hold_wave


def close_wave(
    session: Session,
    wave_id: str,
    min_cell: int,
    indicators: IndicatorSet,
    protection: float = DEFAULT_PROTECTION,
    step: Callable[[str], None] = lambda _: None,
) -> Wave:
    """Stop intake, destroy the answer key, drop resume data, rewrite responses in random
    order, and compute and store the wave's estimates and final response counts (one
    transaction). `step` hears of each stage as it begins (the operator's progress)."""
    hold_wave(session, wave_id, exclusive=True)
    wave = get_wave(session, wave_id)
    if wave.status != "open":
        raise Conflict(f"wave {wave_id} is {wave.state}; only an open wave can be closed")
    wave.status = "closed"
    session.flush()
    answer_keys.destroy(session, wave_id)
    step("sealing the responses (drafts deleted, rewritten in random order)")
    seal(session, wave)
    if wave.tokens:
        step("destroying the token key, who had tokens and which were used")
        tokens.destroy(session, wave.id)
    step(f"computing the figures of {len(indicators.indicators)} indicators")
    store_wave_estimates(session, wave, indicators, min_cell, protection)
    return wave


def suppressed_by_reason(session: Session, wave_id: str) -> dict[str, int]:
    """The wave's suppressed figures counted per reason (figures stored before reasons
    were kept count under "no reason")."""
    rows = session.execute(
        select(Estimate.reason, func.count())
        .where(Estimate.wave_id == wave_id, Estimate.suppressed)
        .group_by(Estimate.reason)
    ).all()
    return {reason or "no reason": n for reason, n in rows}


@dataclass(frozen=True)
class CloseSummary:
    """What a close leaves, for the operator: respondents, and the figures stored."""

    respondents: int
    headcount: int
    figures: int
    suppressed: dict[str, int]  # reason -> figures

    @property
    def rate(self) -> float:
        return self.respondents / self.headcount if self.headcount else 0.0

    @property
    def hidden(self) -> int:
        return sum(self.suppressed.values())


def close_summary(session: Session, wave_id: str) -> CloseSummary:
    """A closed wave's final respondent counts and stored figures."""
    counts = wave_counts(session).get(wave_id)
    figures = session.scalar(
        select(func.count()).select_from(Estimate).where(Estimate.wave_id == wave_id)
    )
    return CloseSummary(
        respondents=counts.respondents if counts else 0,
        headcount=counts.headcount if counts else 0,
        figures=figures or 0,
        suppressed=suppressed_by_reason(session, wave_id),
    )


@dataclass(frozen=True)
class RetentionResult:
    codes: int
    resume_states: int


def apply_retention(session: Session) -> RetentionResult:
    """Delete what closed waves no longer need: unspent codes and any resume data."""
    closed = select(Wave.id).where(Wave.status == "closed")
    # A DELETE's result is a CursorResult, with the row count; its declared type is not.
    codes = cast(
        CursorResult[Any],
        session.execute(delete(InvitationCode).where(InvitationCode.wave_id.in_(closed))),
    )
    states = cast(
        CursorResult[Any],
        session.execute(delete(ResumeState).where(ResumeState.wave_id.in_(closed))),
    )
    return RetentionResult(codes.rowcount, states.rowcount)
