"""The one error family and its handler: RFC 9457 problem details, never a stack trace."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("app.problems")


@dataclass(frozen=True)
class FieldError:
    loc: str
    code: str
    message: str


class ProblemError(Exception):
    """Raised by services; rendered as a problem body with its status."""

    status = 400
    title = "Bad request"
    type_slug = "bad-request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class NotFound(ProblemError):
    status, title, type_slug = 404, "Not found", "not-found"


class Conflict(ProblemError):
    status, title, type_slug = 409, "Conflict", "conflict"


class Forbidden(ProblemError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class Unauthorized(ProblemError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012 (read only)


class InvalidInput(ProblemError):
    status, title, type_slug = 422, "Invalid input", "invalid-input"


class PayloadTooLarge(ProblemError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class ServiceUnavailable(ProblemError):
    status, title, type_slug = 503, "Service unavailable", "service-unavailable"


class Problem(BaseModel):
    """The problem body, for the OpenAPI description."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None


def problem_response(
    status: int, title: str, slug: str, detail: str, errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = [e.__dict__ for e in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem bodies it can answer with."""
    return {
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Problem"}
        for status in statuses
    }


def _validation_errors(exc: RequestValidationError) -> list[FieldError]:
    errors = []
    for error in exc.errors():
        # A JSON syntax error is located by character offset: point at the body.
        parts = () if error.get("type") == "json_invalid" else error.get("loc", ())
        loc = [str(part) for part in parts if part != "body"]
        errors.append(
            FieldError(
                loc=".".join(loc) or "body",
                code=str(error.get("type", "invalid")),
                message=str(error.get("msg", "invalid value")),
            )
        )
    return errors


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.type_slug, exc.detail, exc.errors, exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "The request is not valid: " + "; ".join(f"{e.loc}: {e.message}" for e in errors)
        return problem_response(422, "Invalid input", "invalid-input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        title = titles.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem_response(
            exc.status_code, title, title.lower().replace(" ", "-"), detail,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> JSONResponse:
        # Log the class only: a statement could carry answer values.
        logger.error("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(
            503, "Service unavailable", "service-unavailable",
            "The database is not reachable right now. Nothing was stored; please try again.",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("unexpected error: %s", type(exc).__name__)
        return problem_response(
            500, "Internal error", "internal-error",
            "Something went wrong on our side. Nothing was stored.",
        )
