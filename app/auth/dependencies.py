"""`Authorization: Bearer KEY` for analyst and admin routes, with an audit record of each
request made with a valid key. With single sign-on configured (MONITOR_JWKS_FILE), the
bearer may instead be a JWT from the intranet's identity provider (`app.auth.sso`); the
audit then names its subject."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.service import authenticate, record
from app.auth.sso import looks_like_jwt, verify_token
from app.config import Settings
from app.db import session_scope
from app.dependencies import TodayDep
from app.problems import Forbidden, Unauthorized

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
        settings: Settings = request.app.state.settings
        token = None
        if settings.jwks_file is not None and looks_like_jwt(credentials.credentials):
            # Checked before the database is touched: a bad token leaves no trace.
            token = verify_token(credentials.credentials, settings)
        # Its own transaction: the check, the day of use and the audit record are kept
        # even when the request itself then fails.
        with session_scope(request.app.state.sessionmaker) as session:
            if token is None:
                key = authenticate(session, credentials.credentials, today)
                principal = Principal(key.name, key.role)
            else:
                name = _printable(SSO_ACTOR + token.subject)[:64]
                principal = Principal(name, token.role)
            allowed = principal.role in _ALLOWED[role]
            record(
                session,
                principal.name,
                action,
                detail if allowed else f"{detail} (refused: {role} only)",
            )
        if principal.role is None:
            raise Forbidden("the token carries no role for this monitor (analyst or admin)")
        if not allowed:
            raise Forbidden(f"this needs an {role} key")
        return principal

    return dependency


def _printable(text: str) -> str:
    """The request as the audit log keeps it: control characters escaped (PostgreSQL
    cannot store a NUL, and a log should not carry terminal escapes)."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text
    )


AnalystKey = Annotated[Principal, Depends(require_role("analyst"))]
AdminKey = Annotated[Principal, Depends(require_role("admin"))]
