"""Group commit for the API's submissions.

Every submission costs a transaction, and a commit waits for the disk (SQLite's journal,
PostgreSQL's WAL). Under load that wait, not the work, set the pace: about 190
submissions a second on two cores. Here the submissions that arrive while one batch is
being written wait together and go into the next batch, one transaction for all of
them (`service.record`): the same checks, each submission still stored with its code
spent or refused with nothing stored, and a reply only after the commit, so that an
acknowledged response has been stored. A lone submission is written at once.

One writer thread per process keeps batches in order and the thread pool free for the
other routes. Nothing of a submission outlives its batch; a batch's responses share a
transaction, which tells no more than the wave they belong to.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.dependencies import utc_date
from app.problems import ProblemError
from app.responses.day_counts import snapshot_day_counts
from app.responses.service import Submission, record

# Enough to absorb 200 concurrent respondents in one or two batches; small enough that
# one batch's IN lists and its transaction stay short.
MAX_BATCH = 250

Waiting = tuple[Submission, asyncio.Future[ProblemError | None]]


class Intake:
    def __init__(self, factory: sessionmaker[Session]):
        self._factory = factory
        self._waiting: list[Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="intake")

    async def submit(self, submission: Submission) -> None:
        """Record one submission with whatever else is waiting; raise its problem, if any."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[ProblemError | None] = loop.create_future()
        self._waiting.append((submission, outcome))
        if self._writer is None:
            self._writer = loop.create_task(self._write_waiting())
        refused = await outcome
        if refused is not None:
            raise refused

    async def _write_waiting(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[:MAX_BATCH]
                del self._waiting[:MAX_BATCH]
                failure = await self._answer(batch)
                if failure is None:
                    continue
                if len(batch) == 1 or isinstance(failure, OperationalError):
                    _fail(batch, failure)  # e.g. the database is unreachable: 503 for each
                    continue
                # A submission that breaks its batch (a bug) must not fail the others: each
                # is written again on its own.
                for waiting in batch:
                    alone = await self._answer([waiting])
                    if alone is not None:
                        _fail([waiting], alone)
        finally:
            self._writer = None

    async def _answer(self, batch: list[Waiting]) -> Exception | None:
        """Write a batch and answer each of its submissions; if the batch failed, why."""
        loop = asyncio.get_running_loop()
        try:
            outcomes = await loop.run_in_executor(
                self._thread, self._write, [submission for submission, _ in batch]
            )
        except Exception as failure:
            return failure
        for (_, outcome), refused in zip(batch, outcomes, strict=True):
            if not outcome.done():  # the client may have gone away meanwhile
                outcome.set_result(refused)
        return None

    def _write(self, submissions: list[Submission]) -> list[ProblemError | None]:
        today = utc_date()
        # Response rates of an open wave show the start of the day: its counts are kept,
        # in a transaction of their own, before the day's first response is stored.
        for wave_id in {submission.wave_id for submission in submissions}:
            snapshot_day_counts(self._factory, wave_id, today)
        with session_scope(self._factory) as session:
            return record(session, submissions, today)

    def close(self) -> None:
        """After the server has stopped taking requests (every waiting one is answered)."""
        self._thread.shutdown(wait=True)


def _fail(batch: list[Waiting], failure: Exception) -> None:
    for _, outcome in batch:
        if not outcome.done():
            outcome.set_exception(failure)
