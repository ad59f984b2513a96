"""Closing a wave: the one place where a wave's data is sealed for good, and what closed
waves no longer need is deleted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from app.closing.figures import store_wave_estimates
from app.closing.models import REASONS, Estimate
from app.closing.seal import seal
from app.indicators.definitions import IndicatorSet
from app.method.disclosure import DEFAULT_PROTECTION
from app.problems import Conflict
from app.responses.models import RespondentCount, ResumeState
from app.waves.models import InvitationCode, Wave
from app.waves.service import get_wave, hold_wave


def close_wave(
    session: Session,
    wave_id: str,
    min_cell: int,
    indicators: IndicatorSet,
    protection: float = DEFAULT_PROTECTION,
) -> Wave:
    """Stop intake, drop resume data, rewrite responses in random order, and compute and
    store the wave's estimates and final response counts (one transaction)."""
    hold_wave(session, wave_id, exclusive=True)
    wave = get_wave(session, wave_id)
    if wave.status != "open":
        raise Conflict(f"wave {wave_id} is {wave.status}; only an open wave can be closed")
    wave.status = "closed"
    session.flush()
    seal(session, wave)
    store_wave_estimates(session, wave, indicators, min_cell, protection)
    return wave


@dataclass(frozen=True)
class CloseSummary:
    """What `monitor wave close` reports: the response and the fate of the figures."""

    respondents: int
    headcount: int
    published: int
    suppressed: Counter[str]  # reason -> figures ('' for figures without one)

    def __str__(self) -> str:
        rate = self.respondents / self.headcount if self.headcount else 0.0
        reasons = ", ".join(
            f"{reason or 'no reason'} {self.suppressed[reason]}"
            for reason in (*REASONS, "")
            if self.suppressed[reason]
        )
        hidden = sum(self.suppressed.values())
        return (
            f"{self.respondents} respondents of {self.headcount} staff ({rate:.1%}); "
            f"{self.published} figures published, {hidden} suppressed"
            + (f" ({reasons})" if reasons else "")
        )


def close_summary(session: Session, wave_id: str) -> CloseSummary:
    """A closed wave's final respondent count and its figures, published and suppressed
    by reason, as stored."""
    respondents, headcount = session.execute(
        select(
            func.coalesce(func.sum(RespondentCount.respondents), 0),
            func.coalesce(func.sum(RespondentCount.headcount), 0),
        ).where(RespondentCount.wave_id == wave_id)
    ).one()
    figures = session.execute(
        select(Estimate.suppressed, Estimate.reason, func.count())
        .where(Estimate.wave_id == wave_id)
        .group_by(Estimate.suppressed, Estimate.reason)
    ).all()
    return CloseSummary(
        respondents=int(respondents),
        headcount=int(headcount),
        published=sum(n for suppressed, _, n in figures if not suppressed),
        suppressed=Counter({reason or "": n for suppressed, reason, n in figures if suppressed}),
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
