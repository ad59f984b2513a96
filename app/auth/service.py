"""API keys for analysts and admins, and the audit log of what they did.

A key is 256 random bits, shown once; only its sha256 is kept. Every request checks the
key against the database, so a revoked key stops working at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ROLES, ApiKey, AuditEvent
from app.problems import Conflict, InvalidInput, NotFound, Unauthorized

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
# The audit log's actor for a key nobody issued: no key name (NAME_PATTERN) and no
# single sign-on actor ("sso:…") looks like it.
UNKNOWN_KEY = "(unknown key)"


class Refused(Unauthorized):
    """A key or token that is not valid here, with what the audit log keeps of the attempt:
    an actor (a revoked key's name, or a stand-in) and a reason. Never the secret itself,
    nor any part or hash of it that could be matched against a key offline."""

    def __init__(self, detail: str, actor: str, reason: str):
        super().__init__(detail)
        self.actor = actor
        self.reason = reason


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(session: Session, name: str, role: str) -> str:
    """A new key for `name`; the key itself is returned once and never stored."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}, not '{role}'")
    if not NAME_PATTERN.match(name):
        raise InvalidInput(
            "a key name is 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    if session.get(ApiKey, name) is not None:
        raise Conflict(f"a key named '{name}' exists (revoked keys keep their name)")
    key = secrets.token_urlsafe(32)
    session.add(ApiKey(name=name, role=role, key_hash=key_hash(key), created_at=datetime.now(UTC)))
    session.flush()
    return key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.name)))


def revoke_key(session: Session, name: str) -> ApiKey:
    key = session.get(ApiKey, name)
    if key is None:
        raise NotFound(f"there is no key named '{name}'")
    if key.revoked_at is not None:
        raise Conflict(f"key '{name}' was already revoked on {key.revoked_at:%Y-%m-%d %H:%M} UTC")
    key.revoked_at = datetime.now(UTC)
    session.flush()
    return key


def authenticate(session: Session, key: str, today: date) -> ApiKey:
    """The key's record, if it is valid; notes the day it was used (never the time)."""
    found = session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash(key)))
    refusal = "the API key is not valid (unknown or revoked)"  # the same to the caller
    if found is None:
        raise Refused(refusal, UNKNOWN_KEY, "unknown key")
    if found.revoked_at is not None:
        raise Refused(refusal, found.name, "revoked key")
    if found.last_used_on != today:
        found.last_used_on = today
        session.flush()
    return found


def record(session: Session, actor: str, action: str, detail: str) -> None:
    session.add(AuditEvent(at=datetime.now(UTC), actor=actor, action=action[:64], detail=detail))
    session.flush()


def audit_log(session: Session) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
