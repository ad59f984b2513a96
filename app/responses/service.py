"""Anonymous intake: check a code, save and resume, spend the code and store the answers.

Nothing here keeps a time, a sequence, the code or anything from the request next to a
response (CONTRACT section 4). The code is spent by deleting its hash row.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.problems import Code, Conflict, FieldError, Forbidden, InvalidInput, ProblemError
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version
from app.responses import drafts
from app.responses.coded import encode as coded_answers
from app.responses.credentials import Credential, Key, key_of, secret_of, spend, usable
from app.responses.models import Response
from app.responses.validation import validate_many
from app.waves.models import Wave
from app.waves.service import accepts_responses, frame_cell_set, get_wave, hold_wave

# One message for unknown, foreign and spent codes: it tells an attacker nothing.
CODE_REFUSED = "This code cannot be used for this survey."


def open_wave_for(
    session: Session, wave_id: str, today: date, *, for_writing: bool = False
) -> Wave:
    """The wave, if it takes responses now: 404, then 409.

    Writers hold the wave (`hold_wave`) before they read it: a close waits for them, and
    they see a close that came first.
    """
    if for_writing:
        hold_wave(session, wave_id, exclusive=False)
    wave = get_wave(session, wave_id)
    if not accepts_responses(wave, today):
        raise Conflict(f"wave {wave_id} is not open for responses")
    return wave


def require_credential(session: Session, wave: Wave, credential: Credential) -> None:
    """403 unless the code or token is an unspent one of this wave."""
    if not usable(session, wave, [credential]):
        raise Forbidden(CODE_REFUSED)


def check_code(session: Session, wave_id: str, credential: Credential, today: date) -> None:
    """404, 409 or 403 unless the code or token can be used now; it says nothing about
    drafts."""
    wave = open_wave_for(session, wave_id, today)
    require_credential(session, wave, credential)


@dataclass(frozen=True)
class Submission:
    """One respondent's answers as sent: held in memory only until they are recorded."""

    wave_id: str
    code: Credential  # a code, or a token where a code goes
    answers: dict[str, Any]


def record(
    session: Session, submissions: Sequence[Submission], today: date
) -> list[ProblemError | None]:
    """Judge and store submissions together: for each, None when its response is stored
    and its code (or token) spent, or the problem that refused it (404, 409, 403, 422), in
    which case nothing of it is stored.

    A code is checked before the answers: an unusable code gets 403 whatever the answers.
    Codes are spent by one DELETE, tokens by one INSERT of new keys: of several
    submissions with one code or token, whether in this batch or in concurrent
    transactions, exactly one is stored.
    """
    outcomes: list[ProblemError | None] = [None] * len(submissions)
    by_wave: dict[str, list[int]] = {}
    for i, submission in enumerate(submissions):
        by_wave.setdefault(submission.wave_id, []).append(i)
    for wave_id, indexes in by_wave.items():
        try:
            wave = open_wave_for(session, wave_id, today, for_writing=True)
        except ProblemError as refused:
            for i in indexes:
                outcomes[i] = refused
            continue
        judged = _record_for_wave(session, wave, [submissions[i] for i in indexes])
        for i, outcome in zip(indexes, judged, strict=True):
            outcomes[i] = outcome
    return outcomes


def _record_for_wave(
    session: Session, wave: Wave, submissions: list[Submission]
) -> list[ProblemError | None]:
    questionnaire = get_version(session, wave.questionnaire_id)
    judged = validate_many(
        questionnaire, [s.answers for s in submissions], frame_cell_set(session, wave.id)
    )
    digests = [key_of(s.code) for s in submissions]
    known = usable(session, wave, [s.code for s in submissions])
    claims: dict[Key, int] = {}  # the first valid submission for each usable credential
    for k, (_, errors) in enumerate(judged):
        if not errors and digests[k] in known:
            claims.setdefault(digests[k], k)
    spent = spend(session, wave, claims.keys())
    outcomes: list[ProblemError | None] = []
    stored: list[int] = []
    for k, (_, errors) in enumerate(judged):
        if errors and digests[k] in known:
            outcomes.append(
                InvalidInput(f"{len(errors)} answer(s) need attention; nothing was stored", errors)
            )
        elif not errors and claims.get(digests[k]) == k and digests[k] in spent:
            outcomes.append(None)
            stored.append(k)
        else:
            outcomes.append(Forbidden(CODE_REFUSED))
    if stored:
        drafts.delete_for_codes(session, wave.id, [secret_of(submissions[k].code) for k in stored])
        store_responses(session, wave.id, questionnaire, [judged[k][0] for k in stored])
    return outcomes


def store_responses(
    session: Session,
    wave_id: str,
    questionnaire: Questionnaire,
    validated: Sequence[Mapping[str, Any]],
) -> None:
    """Insert validated answers as responses: the wave, a random id, the answers coded
    (app.responses.coded); nothing else."""
    session.execute(
        insert(Response),
        [
            {"wave_id": wave_id, "id": uuid.uuid4().hex, "coded": coded, "free_text": text}
            for coded, text in coded_answers(questionnaire, validated)
        ],
    )


# --- save and resume ------------------------------------------------------------------


def save_progress(
    session: Session,
    wave_id: str,
    credential: Credential,
    resume_key: str | None,
    answers: dict[str, Any],
    today: date,
) -> None:
    """Keep unfinished answers as the draft of this code and resume key: 404, 409, 403
    (code, or no key), then 422 (a key of the wrong length, or answers that would not be
    accepted in a submission; required questions may still be missing)."""
    wave = open_wave_for(session, wave_id, today, for_writing=True)
    require_credential(session, wave, credential)
    if resume_key is None:
        raise Forbidden(CODE_REFUSED)
    errors = (
        []
        if drafts.acceptable_resume_key(resume_key)
        else [
            FieldError(
                "resume_key",
                *Code.INVALID_RESUME_KEY.says(min=drafts.RESUME_KEY_MIN, max=drafts.RESUME_KEY_MAX),
            )
        ]
    )
    questionnaire = get_version(session, wave.questionnaire_id)
    _, judged = validate_many(questionnaire, [answers], frame_cell_set(session, wave.id))[0]
    errors += [e for e in judged if e.code != Code.REQUIRED]
    if errors:
        raise InvalidInput(
            f"{len(errors)} problem(s) in the saved answers; nothing was saved", errors
        )
    code = secret_of(credential)
    drafts.store(session, wave.id, code, drafts.draft_key(wave.id, code, resume_key), answers)


def find_progress(
    session: Session, wave: Wave, credential: Credential, resume_key: str | None
) -> dict[str, Any] | None:
    """The draft of this code (or token) and key, if there is one (the code already
    checked)."""
    if not drafts.acceptable_resume_key(resume_key):
        return None
    assert resume_key is not None
    key = drafts.draft_key(wave.id, secret_of(credential), resume_key)
    return drafts.read(session, wave.id, key)


def load_progress(
    session: Session, wave_id: str, credential: Credential, resume_key: str | None, today: date
) -> dict[str, Any]:
    """The draft's answers: 404, 409, then one 403 for a bad code and for a wrong or
    missing key alike (it tells nobody whether a draft exists)."""
    wave = open_wave_for(session, wave_id, today)
    require_credential(session, wave, credential)
    found = find_progress(session, wave, credential, resume_key)
    if found is None:
        raise Forbidden(CODE_REFUSED)
    return found


# --- closing --------------------------------------------------------------------------
