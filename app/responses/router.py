"""Respondent routes. The code travels in request bodies only, never in a URL."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from app.db import session_scope
from app.dependencies import CodeAttempt, SessionDep, TodayDep, TransactionalRoute, utc_date
from app.problems import Conflict, problem_responses
from app.responses import sealed, service
from app.responses.intake import Intake
from app.responses.schemas import (
    AnswerKeyDocument,
    BrowserDraft,
    BrowserDraftBody,
    BrowserDraftKey,
    CodeAccepted,
    CodeBody,
    DraftBody,
    ProgressBody,
    Recorded,
    SavedAnswers,
    SealedBody,
    SubmissionBody,
)
from app.waves import answer_keys
from app.waves.schemas import WaveId
from app.waves.service import frame_cell_set

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


# --- sealed bodies: what the survey page sends with JavaScript (app.responses.sealed) -----
# Each opens its envelope and hands what is inside to the plain route above.


def _secret(request: Request) -> bytes:
    secret: bytes = request.app.state.secret_key
    return secret


@router.post(
    "/sealed/responses",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 409, 413, 422, 429),
)
async def submit_sealed_response(wave_id: WaveId, body: SealedBody, request: Request) -> Recorded:
    """`POST /responses` with its body sealed to the wave's answer key: the same
    judgement, errors and order (404, 409, 403, 422); 422 too for an envelope that
    does not open."""

    def unseal() -> SubmissionBody:
        # In a session of its own, ended before the intake writes (SQLite has one
        # connection).
        with session_scope(request.app.state.sessionmaker) as session:
            text = sealed.open_sealed(
                session, _secret(request), wave_id, body.sealed, "response", utc_date()
            )
        return sealed.parse_body(SubmissionBody, text)

    return await submit_response(wave_id, await run_in_threadpool(unseal), request)


@router.post("/sealed/codes/check", responses=problem_responses(403, 404, 409, 422, 429))
def check_sealed_code(
    wave_id: WaveId, body: SealedBody, request: Request, session: SessionDep, today: TodayDep
) -> CodeAccepted:
    """`POST /codes/check` with its body sealed to the wave's answer key."""
    text = sealed.open_sealed(session, _secret(request), wave_id, body.sealed, "check", today)
    return check_code(wave_id, sealed.parse_body(CodeBody, text), session, today)


@router.put(
    "/sealed/progress",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(403, 404, 409, 422, 429),
)
def save_sealed_progress(
    wave_id: WaveId, body: SealedBody, request: Request, session: SessionDep, today: TodayDep
) -> None:
    """Keep a draft that the page encrypted with a key derived from the code and the
    resume key (the server cannot read it), under a lookup derived alongside it; each save
    replaces that draft. Sealed to the wave's answer key like a submission."""
    text = sealed.open_sealed(session, _secret(request), wave_id, body.sealed, "progress", today)
    draft = sealed.parse_body(BrowserDraftBody, text)
    sealed.save_browser_draft(
        session, wave_id, draft.credential(), draft.lookup, draft.draft, today
    )


@router.post("/sealed/progress/load", responses=problem_responses(403, 404, 409, 422, 429))
def load_sealed_progress(
    wave_id: WaveId, body: SealedBody, request: Request, session: SessionDep, today: TodayDep
) -> BrowserDraft:
    """The page's encrypted draft under this code and lookup; without one, the 403 of a
    bad code."""
    text = sealed.open_sealed(
        session, _secret(request), wave_id, body.sealed, "progress/load", today
    )
    key = sealed.parse_body(BrowserDraftKey, text)
    return BrowserDraft(
        draft=sealed.load_browser_draft(session, wave_id, key.credential(), key.lookup, today)
    )


# Reading the key checks no code: it is not held up by the limits on failed attempts.
keys_router = APIRouter(
    prefix="/api/v1/waves/{wave_id}", tags=["respondents"], route_class=TransactionalRoute
)


@keys_router.get("/answer-key", responses=problem_responses(404, 409))
def get_answer_key(wave_id: WaveId, session: SessionDep, today: TodayDep) -> AnswerKeyDocument:
    """The wave's public answer key and the sizes to pad to: what the survey page needs
    to seal what it sends. 409 for a wave that is not open, or has no key."""
    wave, sizes = sealed.wave_and_sizes(session, wave_id, today)
    key = answer_keys.find(session, wave.id)
    if key is None:
        raise Conflict(f"wave {wave_id} has no answer key: its pages send plain forms")
    return AnswerKeyDocument(
        alg=answer_keys.ALGORITHM,
        key=sealed.b64url_encode(key.public_key),
        plain_bytes=sizes.plain_bytes,
        envelope_bytes=sizes.envelope_bytes,
        associated_data=answer_keys.ASSOCIATED_DATA,
        draft=sealed.draft_settings(sizes),
        cells=[list(cell) for cell in sorted(frame_cell_set(session, wave.id))],
    )
