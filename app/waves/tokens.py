"""Blind-signed tokens (RFC 9474): a way into a wave's survey that even the issuer cannot
link to the staff member who had it.

A token wave gets its own RSA key pair when it opens; the private key is kept sealed under
MONITOR_TOKEN_SECRET_FILE and deleted when the wave closes. A staff member, signed in on
the intranet, sends a blinded message and gets it signed, once per wave; the server keeps
only a keyed hash of who has had a token (no time, no order, nothing of the request), and
never sees the message it signed. The token (message and signature) is then used where a
code goes, and spent once (app/responses/credentials.py).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from app.db import insert_new
from app.problems import Code, Conflict, FieldError, InvalidInput, NotFound
from app.waves import blindrsa
from app.waves.models import SpentToken, TokenIssue, TokenKey, Wave
from app.waves.service import accepts_responses, get_wave, hold_wave
from app.waves.token_keys import private_key, public_key


def token_wave(session: Session, wave_id: str, today: date) -> Wave:
    """A token wave that takes responses now: 404 (unknown, or no tokens), then 409."""
    wave = get_wave(session, wave_id)
    if not wave.tokens:
        raise NotFound(f"wave {wave_id} does not use tokens")
    if not accepts_responses(wave, today):
        raise Conflict(f"wave {wave_id} is not open for responses")
    return wave


def published_key(session: Session, wave_id: str, today: date) -> rsa.RSAPublicNumbers:
    """The public key of an open token wave (404, 409)."""
    token_wave(session, wave_id, today)
    key = public_key(session, wave_id)
    if key is None:  # opened before this version made keys: cannot happen, but say so
        raise Conflict(f"wave {wave_id} has no token key")
    return key.public_numbers()


def subject_hash(secret: bytes, wave_id: str, subject: str) -> str:
    """Who has had a token, as kept: keyed (a list of staff names cannot be hashed and
    compared without the server's secret) and per wave (no link between waves)."""
    message = f"token-subject\x1f{wave_id}\x1f{subject}".encode("utf-8", "surrogatepass")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def issue(
    session: Session, wave_id: str, subject: str, blinded_msg: str, secret: bytes, today: date
) -> str:
    """Sign a staff member's blinded message, once per wave: the blind signature
    (base64url). 404, 409 (not open, or this subject has had its token), 422."""
    hold_wave(session, wave_id, exclusive=False)  # a close waits, and deletes after us
    token_wave(session, wave_id, today)
    who = subject_hash(secret, wave_id, subject)
    if session.scalar(select(exists().where(TokenIssue.subject_hash == who))):
        raise Conflict("you have had your token for this survey already")
    key = private_key(session, wave_id, secret)
    if key is None:
        raise Conflict(f"wave {wave_id} has no token key")
    try:
        blind_sig = blindrsa.blind_sign(key, blindrsa.from_b64(blinded_msg))
    except ValueError as exc:  # BadMessage, or not base64url
        raise InvalidInput(
            "the blinded message cannot be signed",
            [FieldError("blinded_msg", *Code.INVALID_BLINDED_MESSAGE.says(reason=str(exc)))],
        ) from None
    if not insert_new(session, TokenIssue, [{"subject_hash": who, "wave_id": wave_id}]):
        raise Conflict("you have had your token for this survey already")  # a concurrent twin
    return blindrsa.to_b64(blind_sig)


def spent_hash(msg: bytes) -> str:
    """What is kept of a used token: the hash of its message."""
    return hashlib.sha256(msg).hexdigest()


def unspent(session: Session, wave_id: str, hashes: set[str]) -> set[str]:
    """Those of these message hashes that have not been used in the wave."""
    used = session.scalars(
        select(SpentToken.msg_hash).where(
            SpentToken.msg_hash.in_(hashes), SpentToken.wave_id == wave_id
        )
    )
    return hashes - set(used)


def spend(session: Session, wave_id: str, hashes: set[str]) -> set[str]:
    """Mark tokens used; those this transaction marked (a token used concurrently
    elsewhere is marked once, by one of them)."""
    rows = [{"msg_hash": h, "wave_id": wave_id} for h in hashes]
    return insert_new(session, SpentToken, rows)


def destroy(session: Session, wave_id: str) -> None:
    """At close: the wave's private key, who had tokens and which were used, all gone."""
    for table in (TokenKey, TokenIssue, SpentToken):
        session.execute(delete(table).where(table.wave_id == wave_id))
