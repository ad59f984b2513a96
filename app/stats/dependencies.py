"""The start-of-day snapshot of respondent counts, as a dependency of the routes that
take responses (so it is written in its own transaction, before the response's)."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from app.dependencies import TodayDep
from app.stats.rates import snapshot_day_counts, snapshot_known
from app.waves.schemas import WaveId


async def day_snapshot(wave_id: WaveId, request: Request, today: TodayDep) -> None:
    # Known snapshots are checked on the event loop; only the first request of a day
    # goes to the database (in a worker thread).
    factory = request.app.state.sessionmaker
    if not snapshot_known(factory, wave_id, today):
        await run_in_threadpool(snapshot_day_counts, factory, wave_id, today)
