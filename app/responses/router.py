"""Respondent routes. The code travels in request bodies only, never in a URL."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from app.dependencies import CodeAttempt, SessionDep, TodayDep, TransactionalRoute
from app.problems import problem_responses
from app.responses import service
from app.responses.intake import Intake
from app.responses.schemas import (
    CodeAccepted,
    CodeBody,
    DraftBody,
    ProgressBody,
    Recorded,
    SavedAnswers,
    SubmissionBody,
)
from app.waves.schemas import WaveId

# Every route here checks a code: a refused one counts towards the limits on failed
# attempts, and while they are full the route answers 429 (app.ratelimit).
router = APIRouter(
    prefix="/api/v1/waves/{wave_id}",
    tags=["respondents"],
    route_class=TransactionalRoute,
    dependencies=[CodeAttempt],
)


@router.post(
    "/responses",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 409, 413, 422, 429),
)
async def submit_response(wave_id: WaveId, body: SubmissionBody, request: Request) -> Recorded:
    """Record one anonymous response and spend its code, both or neither."""
    intake: Intake = request.app.state.intake
    await intake.submit(service.Submission(wave_id, body.credential(), body.answers))
    return Recorded()


@router.post("/codes/check", responses=problem_responses(403, 404, 409, 422, 429))
def check_code(
    wave_id: WaveId, body: CodeBody, session: SessionDep, today: TodayDep
) -> CodeAccepted:
    """Whether a code can be used, before the first question; spends nothing and says
    nothing about drafts."""
    service.check_code(session, wave_id, body.credential(), today)
    return CodeAccepted()


@router.put(
    "/progress",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(403, 404, 409, 422, 429),
)
def save_progress(
    wave_id: WaveId, body: ProgressBody, session: SessionDep, today: TodayDep
) -> None:
    """Save unfinished answers as the draft of this code and `resume_key`, sealed with a
    key derived from both; each save replaces that draft. Judged like a submission,
    except that required questions may be missing."""
    service.save_progress(session, wave_id, body.credential(), body.resume_key, body.answers, today)


@router.post("/progress/load", responses=problem_responses(403, 404, 409, 422, 429))
def load_progress(
    wave_id: WaveId, body: DraftBody, session: SessionDep, today: TodayDep
) -> SavedAnswers:
    """The answers of the draft of this code and `resume_key`; a wrong or missing key
    gets the 403 of a bad code."""
    return SavedAnswers(
        answers=service.load_progress(session, wave_id, body.credential(), body.resume_key, today)
    )
