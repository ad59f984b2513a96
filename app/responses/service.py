"""Anonymous intake: check a code, save and resume, spend the code and store the answers.

Nothing here keeps a time, a sequence, the code or anything from the request next to a
response (CONTRACT section 4). The code is spent by deleting its hash row.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from app.problems import Conflict, FieldError, Forbidden, InvalidInput, ProblemError
from app.questionnaires.service import get_version
from app.responses.models import Response, ResumeState
from app.responses.validation import validate_many
from app.waves.codes import code_hash, normalize
from app.waves.models import InvitationCode, Wave
from app.waves.service import accepts_responses, frame_cell_set, get_wave, hold_wave

# One message for unknown, foreign and spent codes: it tells an attacker nothing.
CODE_REFUSED = "This code cannot be used for this survey."


def canonical_answers(answers: dict[str, Any]) -> str:
    return json.dumps(answers, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


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


def require_code(session: Session, wave: Wave, code: str) -> str:
    """The code's hash if it is an unspent code of this wave, else 403."""
    digest = code_hash(code)
    valid = session.scalar(
        select(
            exists().where(InvitationCode.code_hash == digest, InvitationCode.wave_id == wave.id)
        )
    )
    if not valid:
        raise Forbidden(CODE_REFUSED)
    return digest


@dataclass(frozen=True)
class CodeStatus:
    resume_available: bool


def check_code(session: Session, wave_id: str, code: str, today: date) -> CodeStatus:
    wave = open_wave_for(session, wave_id, today)
    require_code(session, wave, code)
    saved = session.get(ResumeState, _resume_lookup(wave.id, code)) is not None
    return CodeStatus(resume_available=saved)


@dataclass(frozen=True)
class Submission:
    """One respondent's answers as sent: held in memory only until they are recorded."""

    wave_id: str
    code: str
    answers: dict[str, Any]


def record(
    session: Session, submissions: Sequence[Submission], today: date
) -> list[ProblemError | None]:
    """Judge and store submissions together: for each, None when its response is stored
    and its code spent, or the problem that refused it (404, 409, 403, 422), in which case
    nothing of it is stored.

    A code is checked before the answers: an unusable code gets 403 whatever the answers.
    Codes are spent by one DELETE: of several submissions with one code, whether in this
    batch or in concurrent transactions, exactly one is stored.
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
    digests = [code_hash(s.code) for s in submissions]
    # The wave's codes among those sent, by primary key; then the valid ones are spent by
    # hash alone (a hash names one code of one wave), which keeps the query planner on
    # the primary key. RETURNING tells which this transaction really spent.
    known = set(
        session.scalars(
            select(InvitationCode.code_hash).where(
                InvitationCode.code_hash.in_(set(digests)), InvitationCode.wave_id == wave.id
            )
        )
    )
    claims: dict[str, int] = {}  # the first valid submission for each of the wave's codes
    for k, (_, errors) in enumerate(judged):
        if not errors and digests[k] in known:
            claims.setdefault(digests[k], k)
    spent = (
        set(
            session.scalars(
                delete(InvitationCode)
                .where(InvitationCode.code_hash.in_(claims))
                .returning(InvitationCode.code_hash)
                .execution_options(synchronize_session=False)
            )
        )
        if claims
        else set()
    )
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
        lookups = [_resume_lookup(wave.id, submissions[k].code) for k in stored]
        session.execute(
            delete(ResumeState)
            .where(ResumeState.lookup.in_(lookups))
            .execution_options(synchronize_session=False)
        )
        store_responses(session, wave.id, [judged[k][0] for k in stored])
    return outcomes


def store_responses(session: Session, wave_id: str, validated: list[dict[str, Any]]) -> None:
    """Insert validated answers as responses: a random id, the wave, the answers; nothing else."""
    session.execute(
        insert(Response),
        [
            {"id": uuid.uuid4().hex, "wave_id": wave_id, "answers": canonical_answers(a)}
            for a in validated
        ],
    )


# --- save and resume ------------------------------------------------------------------
# Saved answers are sealed with AES-GCM under a key derived from the code itself (not
# from its stored hash), so the database alone cannot read them.


def _derive(purpose: str, wave_id: str, code: str) -> bytes:
    return hashlib.sha256(f"{purpose}\x1f{wave_id}\x1f{normalize(code)}".encode()).digest()


def _resume_lookup(wave_id: str, code: str) -> str:
    return _derive("resume-lookup", wave_id, code).hex()


def save_progress(
    session: Session, wave_id: str, code: str, answers: dict[str, Any], today: date
) -> None:
    wave = open_wave_for(session, wave_id, today, for_writing=True)
    require_code(session, wave, code)
    questions = get_version(session, wave.questionnaire_id).question_map()
    unknown = [qid for qid in answers if qid not in questions]
    if unknown:
        raise InvalidInput(
            "unknown questions in saved answers",
            [
                FieldError(f"answers.{q}", "unknown_question", "not a question of this survey")
                for q in unknown
            ],
        )
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(_derive("resume-key", wave.id, code)).encrypt(
        nonce, canonical_answers(answers).encode(), wave.id.encode()
    )
    lookup = _resume_lookup(wave.id, code)
    session.execute(delete(ResumeState).where(ResumeState.lookup == lookup))
    session.execute(insert(ResumeState).values(lookup=lookup, wave_id=wave.id, sealed=sealed))


def load_progress(session: Session, wave_id: str, code: str, today: date) -> dict[str, Any]:
    wave = open_wave_for(session, wave_id, today)
    require_code(session, wave, code)
    state = session.get(ResumeState, _resume_lookup(wave.id, code))
    if state is None:
        return {}
    nonce, ciphertext = state.sealed[:12], state.sealed[12:]
    try:
        plain = AESGCM(_derive("resume-key", wave.id, code)).decrypt(
            nonce, ciphertext, wave.id.encode()
        )
    except InvalidTag:  # cannot happen with the right code; treat as nothing saved
        return {}
    answers: dict[str, Any] = json.loads(plain)
    return answers


# --- closing --------------------------------------------------------------------------
