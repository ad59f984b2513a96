"""Submissions recorded together (`service.record`, `intake.Intake`): each one judged as if
alone, one transaction for all, and a close that never loses or half-takes a response."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from app.db import session_scope
from app.problems import Conflict, Forbidden, InvalidInput, NotFound
from app.responses import intake as intake_module
from app.responses.intake import Intake
from app.responses.models import RespondentCount, ResumeState
from app.responses.service import Submission, open_wave_for, record, save_progress
from app.waves.models import InvitationCode
from tests.support import TODAY, answers, close_mini_wave, open_mini_wave, stored_answers


def sorted_answers(factory) -> list[dict]:
    with factory() as session:
        return sorted(
            stored_answers(session),
            key=lambda a: a.get("threat_count", 0),
        )


def unspent(factory) -> set[str]:
    with factory() as session:
        return set(session.scalars(select(InvitationCode.code_hash)))


def test_a_mixed_batch_gets_what_each_submission_would_get_alone(factory):
    wave = open_mini_wave(factory, codes=6)
    closed = open_mini_wave(factory, wave_id="closed", codes=1)
    with session_scope(factory) as session:
        close_mini_wave(session, closed.id)
    first, twice, wrong, other = wave.codes[:4]
    with session_scope(factory) as session:
        save_progress(session, wave.id, first, "sleutel-1", {"organisation": "pol"}, TODAY)
    before = unspent(factory)
    batch = [
        Submission(wave.id, first, answers(threat="once", threat_count=1)),
        Submission(wave.id, twice, answers(threat="once", threat_count=2)),
        Submission(wave.id, twice, answers(threat="once", threat_count=3)),  # same code again
        Submission(wave.id, wrong, {"organisation": "pol", "threat": "maybe"}),  # known code
        Submission(wave.id, "NOT-A-CODE", {"threat": "maybe"}),  # 403 before 422
        Submission(wave.id, closed.codes[0], answers()),  # another wave's code
        Submission(closed.id, closed.codes[0], answers()),
        Submission("nowhere", other, answers()),
        Submission(wave.id, other, answers(threat="once", threat_count=4)),
    ]
    with session_scope(factory) as session:
        outcomes = record(session, batch, TODAY)

    kinds = [type(o) if o is not None else None for o in outcomes]
    assert kinds == [
        None,
        None,
        Forbidden,
        InvalidInput,
        Forbidden,
        Forbidden,
        Conflict,
        NotFound,
        None,
    ]
    assert {e.loc for e in outcomes[3].errors} >= {"answers.threat", "answers.unit"}
    assert [a["threat_count"] for a in sorted_answers(factory)] == [1, 2, 4]
    # Exactly the three codes that were used are spent; the resume data went with the first.
    assert len(before - unspent(factory)) == 3
    assert unspent(factory) <= before
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ResumeState)) == 0


def test_a_refused_batch_member_leaves_the_others_and_its_code_untouched(factory):
    wave = open_mini_wave(factory, codes=2)
    with session_scope(factory) as session:
        outcomes = record(
            session,
            [
                Submission(wave.id, wave.codes[0], {"threat": "??"}),
                Submission(wave.id, wave.codes[1], answers()),
            ],
            TODAY,
        )
    assert isinstance(outcomes[0], InvalidInput) and outcomes[1] is None
    with session_scope(factory) as session:  # the refused code still works afterwards
        assert record(session, [Submission(wave.id, wave.codes[0], answers())], TODAY) == [None]
    assert len(sorted_answers(factory)) == 2


def submit_concurrently(
    intake: Intake, submissions: list[Submission]
) -> list[BaseException | None]:
    async def run() -> list[BaseException | None]:
        return await asyncio.gather(
            *(intake.submit(s) for s in submissions), return_exceptions=True
        )

    try:
        return asyncio.run(run())
    finally:
        intake.close()


def test_submissions_that_arrive_together_share_one_transaction(factory, monkeypatch):
    wave = open_mini_wave(factory, codes=10)
    batches: list[int] = []

    def counting_record(session, submissions, today):
        batches.append(len(submissions))
        return record(session, submissions, today)

    monkeypatch.setattr(intake_module, "record", counting_record)
    monkeypatch.setattr(intake_module, "MAX_BATCH", 4)
    submissions = [
        Submission(wave.id, code, answers(threat="once", threat_count=i))
        for i, code in enumerate(wave.codes, start=1)
    ]
    submissions.append(Submission(wave.id, wave.codes[0], answers()))  # spent in this run
    outcomes = submit_concurrently(Intake(factory), submissions)

    assert outcomes[:10] == [None] * 10
    assert isinstance(outcomes[10], Forbidden)
    assert batches == [4, 4, 3]
    assert [a["threat_count"] for a in sorted_answers(factory)] == list(range(1, 11))


def test_a_failed_batch_fails_each_of_its_submissions_and_the_next_batch_runs(factory, monkeypatch):
    wave = open_mini_wave(factory, codes=3)
    calls = []

    def failing_once(session, submissions, today):
        calls.append(len(submissions))
        if len(calls) == 1:
            raise OperationalError("INSERT", {}, Exception("connection refused"))
        return record(session, submissions, today)

    monkeypatch.setattr(intake_module, "record", failing_once)
    monkeypatch.setattr(intake_module, "MAX_BATCH", 2)
    outcomes = submit_concurrently(
        Intake(factory), [Submission(wave.id, code, answers()) for code in wave.codes]
    )
    assert [type(o) for o in outcomes] == [OperationalError, OperationalError, type(None)]
    assert len(sorted_answers(factory)) == 1


def test_a_submission_that_breaks_its_batch_fails_alone(factory, monkeypatch):
    wave = open_mini_wave(factory, codes=2)
    batches = []

    def record_with_a_bug(session, submissions, today):
        batches.append(len(submissions))
        if any(s.code == "BOOM" for s in submissions):
            raise ValueError("a bug this input finds")
        return record(session, submissions, today)

    monkeypatch.setattr(intake_module, "record", record_with_a_bug)
    outcomes = submit_concurrently(
        Intake(factory),
        [
            Submission(wave.id, wave.codes[0], answers()),
            Submission(wave.id, "BOOM", answers()),
            Submission(wave.id, wave.codes[1], answers()),
        ],
    )
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], ValueError)
    assert batches == [3, 1, 1, 1]
    assert len(sorted_answers(factory)) == 2


def test_the_api_answers_a_burst_of_submissions_each_with_its_own_status(client, factory):
    wave = open_mini_wave(factory, codes=30)
    url = f"/api/v1/waves/{wave.id}/responses"
    bodies = [{"code": code, "answers": answers()} for code in wave.codes]
    bodies += [{"code": wave.codes[0], "answers": answers()}, {"code": "x", "answers": {}}]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda body: client.post(url, json=body).status_code, bodies))
    assert statuses[:30] == [201] * 30
    assert sorted(statuses[30:]) == [403, 403]
    assert len(sorted_answers(factory)) == 30


def test_a_close_waits_for_a_batch_being_written_and_later_batches_find_it_closed(factory):
    wave = open_mini_wave(factory, codes=2)
    writer = factory()
    open_wave_for(writer, wave.id, TODAY, for_writing=True)  # a batch has begun
    closed = threading.Event()

    def close() -> None:
        with session_scope(factory) as session:
            close_mini_wave(session, wave.id)
        closed.set()

    closing = threading.Thread(target=close)
    closing.start()
    try:
        assert not closed.wait(1.0), "the close did not wait for the batch"
        assert record(writer, [Submission(wave.id, wave.codes[0], answers())], TODAY) == [None]
        writer.commit()
    finally:
        writer.close()
        closing.join(60)
    assert closed.is_set()
    # The response is part of the closed wave: counted in its final respondent counts.
    with factory() as session:
        final = select(func.sum(RespondentCount.respondents)).where(
            RespondentCount.wave_id == wave.id, RespondentCount.as_of.is_(None)
        )
        assert session.scalar(final) == 1
    with session_scope(factory) as session:
        late = record(session, [Submission(wave.id, wave.codes[1], answers())], TODAY)
    assert isinstance(late[0], Conflict)
    assert len(sorted_answers(factory)) == 1
