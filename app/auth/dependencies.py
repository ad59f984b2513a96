"""`Authorization: Bearer KEY` for analyst and admin routes, with an audit record of each
request made with a valid key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth.models import ApiKey
from app.auth.service import authenticate, record
from app.db import session_scope
from app.dependencies import TodayDep
from app.problems import Forbidden, Unauthorized

Role = Literal["analyst", "admin"]
_ALLOWED: dict[Role, tuple[str, ...]] = {"analyst": ("analyst", "admin"), "admin": ("admin",)}

_bearer = HTTPBearer(auto_error=False, description="An API key from `monitor keys create`.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_role(role: Role) -> Callable[..., ApiKey]:
    """A dependency admitting keys of `role` (admins may do what analysts may)."""

    def dependency(request: Request, credentials: Credentials, today: TodayDep) -> ApiKey:
        if credentials is None:
            raise Unauthorized("this needs an API key: 'Authorization: Bearer KEY'")
        route = request.scope.get("route")
        action = f"{request.method} {getattr(route, 'path', request.url.path)}"
        detail = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        # Its own transaction: the check, the day of use and the audit record are kept
        # even when the request itself then fails.
        with session_scope(request.app.state.sessionmaker) as session:
            key = authenticate(session, credentials.credentials, today)
            allowed = key.role in _ALLOWED[role]
            record(
                session, key.name, action, detail if allowed else f"{detail} (refused: {role} only)"
            )
        if not allowed:
            raise Forbidden(f"this needs an {role} key")
        return key

    return dependency


AnalystKey = Annotated[ApiKey, Depends(require_role("analyst"))]
AdminKey = Annotated[ApiKey, Depends(require_role("admin"))]
