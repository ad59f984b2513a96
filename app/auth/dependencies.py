"""`Authorization: Bearer KEY` for analyst and admin routes, with an audit record of each
request that presents a key: who (the key's name), what, and whether it was refused and
why. With single sign-on configured (MONITOR_JWKS_FILE), the bearer may instead be a JWT
from the intranet's identity provider (`app.auth.sso`); the audit then names its subject.
A key or token that is not valid is recorded as such, never with the secret presented,
and such failures are limited per client address and in total (app.ratelimit)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.auth.models import ACTOR_LENGTH
from app.auth.service import Refused, authenticate, record
from app.auth.sso import looks_like_jwt, verify_token
from app.config import Settings
from app.db import session_scope
from app.dependencies import TodayDep
from app.problems import Forbidden, NotFound, ProblemError, Unauthorized
from app.ratelimit import FailureLimit

Role = Literal["analyst", "admin"]
_ALLOWED: dict[Role, tuple[str, ...]] = {"analyst": ("analyst", "admin"), "admin": ("admin",)}
SSO_ACTOR = "sso:"  # audit actors from single sign-on: "sso:<subject>"

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `monitor keys create`, or (with single sign-on) an intranet JWT.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


@dataclass(frozen=True)
class Principal:
    """Who makes the request: an API key's name, or `sso:` and a token's subject."""

    name: str
    role: str | None


def require_role(role: Role) -> Callable[..., Principal]:
    """A dependency admitting keys or tokens of `role` (admins may do what analysts may)."""

    def dependency(request: Request, credentials: Credentials, today: TodayDep) -> Principal:
        if credentials is None:
            raise Unauthorized("this needs an API key: 'Authorization: Bearer KEY'")
        route = request.scope.get("route")
        action = f"{request.method} {getattr(route, 'path', request.url.path)}"
        query = f"?{request.url.query}" if request.url.query else ""
        detail = _printable(request.url.path + query)
        failures: FailureLimit = request.app.state.key_failures
        # Its own transaction: the check, the day of use and the audit record are kept
        # even when the request itself then fails.
        with session_scope(request.app.state.sessionmaker) as session:
            try:
                principal = _identify(session, credentials.credentials, request, today)
            except Refused as refused:
                # Limited only once refused, so a valid key is never held up by what others
                # at its address tried. Past the limit: 429, and nothing more is recorded.
                failures.refuse_when_full(request.scope)
                failures.failed(request.scope)
                record(session, refused.actor, action, f"{detail} (refused: {refused.reason})")
                failure: ProblemError | None = refused
            else:
                reason, failure = _lacking(principal.role, role)
                record(
                    session,
                    principal.name,
                    action,
                    f"{detail} (refused: {reason})" if reason else detail,
                )
        if failure is not None:
            raise failure
        return principal

    return dependency


def _identify(session: Session, credentials: str, request: Request, today: date) -> Principal:
    """Who the credentials stand for; Refused (401) when they are not valid here."""
    settings: Settings = request.app.state.settings
    if settings.jwks_file is not None and looks_like_jwt(credentials):
        token = verify_token(credentials, settings)
        return Principal(sso_actor(token.subject), token.role)
    key = authenticate(session, credentials, today)
    return Principal(key.name, key.role)


def _lacking(held: str | None, needed: Role) -> tuple[str | None, Forbidden | None]:
    """Why a principal holding role `held` may not do what needs `needed` (for the audit
    log, and for the caller), or (None, None)."""
    if held is None:
        reason = "the token carries no role for this monitor (analyst or admin)"
        return "no monitor role", Forbidden(reason)
    if held not in _ALLOWED[needed]:
        return f"{needed} only", Forbidden(f"this needs an {needed} key")
    return None, None


def sso_actor(subject: str) -> str:
    """`sso:` and a token's subject for the audit log: whole when it fits and is plain
    (printable, no `~`); else its start, `~` and the SHA-256 of all of it. So two subjects
    are never logged as one, as they were when cut at the column's width."""
    actor = SSO_ACTOR + subject
    if len(actor) <= ACTOR_LENGTH and subject.isprintable() and "~" not in subject:
        return actor
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()
    start = _printable(subject)[: ACTOR_LENGTH - len(SSO_ACTOR) - len(digest) - 1]
    return f"{SSO_ACTOR}{start}~{digest}"


def _printable(text: str) -> str:
    """The request as the audit log keeps it: control characters escaped (PostgreSQL
    cannot store a NUL, and a log should not carry terminal escapes)."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


AnalystKey = Annotated[Principal, Depends(require_role("analyst"))]
AdminKey = Annotated[Principal, Depends(require_role("admin"))]


def staff_subject(request: Request, credentials: Credentials) -> str:
    """The subject of a staff member's intranet sign-in (a bearer JWT checked as single
    sign-on checks it, whose staff claim holds): 401, 403; 404 where this server has no
    single sign-on, and so issues no tokens at all.

    Nothing of it is recorded: an audit line per token would keep who had a token, and
    when, next to the responses' arrival. Failed sign-ins count with failed keys.
    """
    if credentials is None:
        raise Unauthorized("this needs your intranet sign-in: 'Authorization: Bearer JWT'")
    settings: Settings = request.app.state.settings
    if settings.jwks_file is None:
        raise NotFound(
            "this server issues no tokens: it has no intranet sign-in (MONITOR_JWKS_FILE)"
        )
    failures: FailureLimit = request.app.state.key_failures
    try:
        identity = verify_token(credentials.credentials, settings)
    except Refused:
        failures.refuse_when_full(request.scope)
        failures.failed(request.scope)
        raise
    if not identity.staff:
        raise Forbidden("this sign-in does not say that you are staff")
    return identity.subject


StaffSubject = Annotated[str, Depends(staff_subject)]
