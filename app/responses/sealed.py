"""Sealed bodies: what the survey page sends with JavaScript, encrypted in the browser
to the wave's answer key (app.waves.answer_keys) and padded to one size per wave.

This is a thin layer in front of the respondent routes, not a second intake: an envelope
is opened (after the wave's own 404 and 409, which need no key) and the JSON inside is
judged by the very model and route that judge a plain body, so every shape the plain
route accepts works sealed too, with the same errors in the same order (404, 409, 403,
422). An envelope that does not open is invalid input (422).

Drafts saved by the page are encrypted in the browser with a key derived from the code
and the resume key (PBKDF2-SHA256, BROWSER_DRAFT_ITERATIONS; WebCrypto has no scrypt),
and found by a lookup secret derived alongside it: the server stores and returns the
ciphertext, which it cannot read, under a hash of that lookup, as it stores its own drafts
(app.responses.drafts): deleted when the code is spent and when the wave closes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import date
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from app.problems import Code, Conflict, FieldError, Forbidden, InvalidInput
from app.questionnaires.service import get_version
from app.responses import drafts
from app.responses.credentials import Credential, secret_of
from app.responses.service import CODE_REFUSED, open_wave_for, require_credential
from app.waves import answer_keys
from app.waves.answer_keys import EnvelopeRefused, Sizes
from app.waves.codes import normalize
from app.waves.models import Wave

# OWASP's advice for PBKDF2-HMAC-SHA256 (2023): 600,000 iterations.
BROWSER_DRAFT_ITERATIONS = 600_000

Body = TypeVar("Body", bound=BaseModel)


def b64url_decode(text: str, field: str) -> bytes:
    """Base64url without padding, as the page sends binary fields; 422 otherwise."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _invalid(field, "not base64url") from exc


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _invalid(field: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"the sealed body is not valid: {reason}",
        [FieldError(field, *Code.SEALED_INVALID.says(reason=reason))],
    )


def wave_and_sizes(
    session: Session, wave_id: str, today: date, *, for_writing: bool = False
) -> tuple[Wave, Sizes]:
    """The wave, if it takes responses now (404, then 409), and its sizes."""
    wave = open_wave_for(session, wave_id, today, for_writing=for_writing)
    return wave, Sizes.of(get_version(session, wave.questionnaire_id))


def open_sealed(
    session: Session, secret: bytes, wave_id: str, sealed: str, purpose: str, today: date
) -> str:
    """The JSON text in a sealed body: 404 and 409 as for any body, 409 too for a wave
    without an answer key, then 422 for an envelope that does not open."""
    wave, sizes = wave_and_sizes(session, wave_id, today)
    key = answer_keys.find(session, wave.id)
    if key is None:
        raise Conflict(f"wave {wave_id} takes no sealed bodies: it has no answer key")
    envelope = b64url_decode(sealed, "sealed")
    try:
        return answer_keys.open_envelope(key, secret, sizes, envelope, purpose)
    except EnvelopeRefused as refused:
        raise _invalid("sealed", str(refused)) from refused


def parse_body(model: type[Body], text: str) -> Body:
    """The JSON text as the route's own body model reads it; its errors exactly as the
    plain route would have answered them (the same 422 problem)."""
    try:
        # As FastAPI reads a body: JSON to Python values, then the model (pydantic's
        # messages differ between its JSON and its Python mode).
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body", exc.pos), "msg": "JSON decode error"}]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from None


# --- drafts the page sealed -------------------------------------------------------------


def browser_draft_lookup(wave_id: str, code: str, lookup_secret: bytes) -> str:
    """The draft's primary key: a hash of the secret the page derived from the code and
    the resume key, and of the code, so that only its own code finds it (kept apart
    from the server's own drafts' lookups by its prefix)."""
    named = f"monitor-browser-draft\x1f{wave_id}\x1f{normalize(code)}\x1f".encode()
    return hashlib.sha256(named + lookup_secret).hexdigest()


def _lookup_secret(lookup: str) -> bytes:
    secret = b64url_decode(lookup, "lookup")
    if len(secret) != 32:
        raise _invalid("lookup", "a lookup has 32 bytes")
    return secret


def save_browser_draft(
    session: Session, wave_id: str, credential: Credential, lookup: str, draft: str, today: date
) -> None:
    """Keep the page's encrypted draft: 404, 409, 403 for the code, then 422 unless it
    has exactly the wave's draft size (padded like every submission). Its answers cannot
    be judged here: only the page can read them."""
    wave, sizes = wave_and_sizes(session, wave_id, today, for_writing=True)
    require_credential(session, wave, credential)
    code = secret_of(credential)
    secret = _lookup_secret(lookup)
    sealed = b64url_decode(draft, "draft")
    if len(sealed) != sizes.draft_bytes:
        raise _invalid("draft", f"a draft of this wave has {sizes.draft_bytes} bytes")
    drafts.keep(session, wave.id, code, browser_draft_lookup(wave.id, code, secret), sealed)


def load_browser_draft(
    session: Session, wave_id: str, credential: Credential, lookup: str, today: date
) -> str:
    """The page's encrypted draft (base64url): 404, 409, then the one 403 of a bad code
    for a bad code and for a lookup without a draft alike."""
    wave, _ = wave_and_sizes(session, wave_id, today)
    require_credential(session, wave, credential)
    code = secret_of(credential)
    try:
        secret = _lookup_secret(lookup)
    except InvalidInput:
        raise Forbidden(CODE_REFUSED) from None
    found = drafts.fetch(session, wave.id, browser_draft_lookup(wave.id, code, secret))
    if found is None:
        raise Forbidden(CODE_REFUSED)
    return b64url_encode(found)


def draft_settings(sizes: Sizes) -> dict[str, Any]:
    """What the page needs to seal a draft, for the answer-key document."""
    return {
        "kdf": "PBKDF2-SHA256",
        "iterations": BROWSER_DRAFT_ITERATIONS,
        "draft_bytes": sizes.draft_bytes,
        "answers_bytes": sizes.answers_bytes,
    }
