"""Dependencies shared by the routers."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, date, datetime
from functools import wraps
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import session_scope
from app.ratelimit import FailureLimit

# No id has a control character, and PostgreSQL cannot even look up a text with NUL in
# it: such an id in a URL is refused as invalid input (422) before it reaches the database.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


def get_session(request: Request) -> Iterator[Session]:
    with session_scope(request.app.state.sessionmaker) as session:
        yield session


# Dependencies without I/O are coroutines: FastAPI runs them on the event loop instead of
# sending each through the thread pool.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def utc_date() -> date:
    """Today in UTC: waves open and close by the UTC calendar day."""
    return datetime.now(UTC).date()


async def utc_today() -> date:
    return utc_date()


class TransactionalRoute(APIRoute):
    """Routes whose endpoint commits its session in the endpoint's own thread.

    FastAPI validates a sync endpoint's return value in the thread pool *before* it runs
    the dependency's exit. Were the session still holding its connection then, a full
    thread pool (requests waiting for a connection) would wait on that connection forever
    (fastapi/fastapi#3205, #12066). Committing at the end of the endpoint releases the
    connection first; the dependency still rolls back on any error and closes.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                value.commit()
        return result

    return run


# scope="function": the transaction commits before the response is sent, so a response
# that was acknowledged has been stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TodayDep = Annotated[date, Depends(utc_today)]


async def code_attempt(request: Request) -> AsyncIterator[None]:
    """Around a respondent route that checks a code: refused (429) while this client's or
    everyone's failed attempts are at their limit; a refused code counts (app.ratelimit)."""
    failures: FailureLimit = request.app.state.code_failures
    with failures.attempt(request.scope):
        yield


# The refused code reaches it as an exception; counted before the response is sent.
CodeAttempt = Depends(code_attempt, scope="function")
