"""The start-of-day snapshot of respondent counts, as a dependency of the routes that
take responses (so it is written in its own transaction, before the response's)."""

from __future__ import annotations

from fastapi import Request

from app.dependencies import TodayDep
from app.stats.rates import snapshot_day_counts


def day_snapshot(wave_id: str, request: Request, today: TodayDep) -> None:
    snapshot_day_counts(request.app.state.sessionmaker, wave_id, today)
