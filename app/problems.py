"""The one error family and its handler: RFC 9457 problem details, never a stack trace."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("app.problems")


class Code(StrEnum):
    """Every stable problem code the monitor reports, each defined once with the template
    of its message (after XLSForm/pyxform's `ErrorCode`): definition files (`monitor
    survey validate`), answers and drafts (the `errors` of a 422), frames (`monitor frame
    load`). Authors, analysts' scripts and the survey pages' texts (app/web/texts.py) rely
    on the codes; a code's message is always its template filled in (`says`)."""

    template: str

    def __new__(cls, value: str, template: str) -> Code:
        member = str.__new__(cls, value)
        member._value_ = value
        member.template = template
        return member

    def says(self, **fields: Any) -> tuple[Code, str]:
        """The code with its message: `FieldError(loc, *Code.REQUIRED.says())`."""
        return self, self.template.format(**fields)

    # --- definition files: reading them ---
    YAML_SYNTAX = "yaml_syntax", "{reason}"
    UNREADABLE = "unreadable", "{reason}"
    INVALID_STRUCTURE = "invalid_structure", "{reason}"
    NOT_FOUND = "not_found", "no such directory"
    DUPLICATE_VERSION = "duplicate_version", "version '{version}' is also in {file}"
    # --- definition files: texts and ids ---
    MISSING_TRANSLATION = "missing_translation", "{field} has no '{lang}' text"
    UNKNOWN_LANGUAGE = "unknown_language", "{field} has a text in unknown language '{lang}'"
    INVALID_ID = "invalid_id", "ids are lower case letters, digits and '_', starting with a letter"
    INVALID_VERSION_ID = "invalid_version_id", "a version id looks like 'mm-2026.1'"
    DUPLICATE_MODULE_ID = "duplicate_module_id", "module id '{module}' is used twice"
    EMPTY_MODULE = "empty_module", "a module needs at least one question"
    DUPLICATE_QUESTION_ID = "duplicate_question_id", "question id is used twice"
    # --- definition files: questions ---
    UNKNOWN_TYPE = "unknown_type", "type '{kind}' is not one of {kinds}"
    MISPLACED_FIELD = "misplaced_field", "{detail}"
    MISSING_OPTIONS = "missing_options", "a {kind} question needs options"
    DUPLICATE_OPTION = "duplicate_option", "option code '{code}' is used twice"
    INVALID_OPTION_CODE = (
        "invalid_option_code",
        "option code '{code}' is not a plain code of at most 32 characters",
    )
    UNKNOWN_ORGANISATION = (
        "unknown_organisation",
        "unknown organisation '{organisation}'{where}; known: {known}",
    )
    MISSING_RANGE = "missing_range", "an integer question needs min and max"
    MIN_GREATER_THAN_MAX = "min_greater_than_max", "min {min} is greater than max {max}"
    MISSING_MAX_LENGTH = "missing_max_length", "a text question needs max_length"
    MISSING_BACKGROUND = "missing_background", "question '{question}' is required"
    INVALID_BACKGROUND = (
        "invalid_background",
        "background questions are required single questions shown to everyone",
    )
    # --- definition files: conditions ---
    FORWARD_REFERENCE = (
        "forward_reference",
        "condition names '{question}', which is not an earlier question",
    )
    SELF_REFERENCE = (
        "self_reference",
        "condition names '{question}', which is not an earlier question",
    )
    CONDITION_TYPE_MISMATCH = (
        "condition_type_mismatch",
        "{operator} on '{question}', a {kind} question",
    )
    UNKNOWN_OPTION = (
        "unknown_option",
        "condition uses code '{code}', which '{question}' does not have",
    )
    UNKNOWN_QUESTION = "unknown_question", "'{question}' is not a question of {survey}"
    TEXT_QUESTION = "text_question", "'{question}' is free text, which never enters a statistic"
    NEVER_HOLDS = "never_holds", "no set of answers satisfies this condition"
    # --- definition files: indicators ---
    UNKNOWN_DENOMINATOR = "unknown_denominator", "'{name}' is not one of {names}"
    MISSING_DENOMINATOR = (
        "missing_denominator",
        "indicators use the denominator '{name}', which {version} does not define",
    )
    DUPLICATE_INDICATOR = "duplicate_indicator", "indicator id is used twice"
    MISSING_INDICATOR = "missing_indicator", "CONTRACT section 6 names it"
    MISSING_LABEL = "missing_label", "an indicator needs a label"
    MISSING_DESCRIPTION = "missing_description", "an indicator needs a description"
    MISSING_VERSION = "missing_version", "no definition for {version}"
    UNKNOWN_VERSION = "unknown_version", "there is no questionnaire version {version}"
    MISSING_VALUE = "missing_value", "a proportion needs 'value' (a condition)"
    MISSING_MEAN_OF = "missing_mean_of", "a mean needs 'mean_of' (an integer question)"
    MISSING_BREAK_NOTE = "missing_break_note", "a series break needs a break_note for readers"
    INVALID_FAMILY = "invalid_family", "{detail}"
    INVALID_SCALE = "invalid_scale", "{detail}"
    INVALID_BREAKDOWN = (
        "invalid_breakdown",
        "a breakdown is a required single or scale question shown to everyone, with an id "
        "of at most 16 characters other than none, organisation, unit and function_group",
    )
    # --- queries ---
    UNKNOWN_BREAKDOWN = "unknown_breakdown", "'{by}' is not one of {known}"
    # --- answers and drafts ---
    REQUIRED = "required", "this question needs an answer"
    NOT_SHOWN = "not_shown", "this question is not asked given the other answers"
    WRONG_TYPE = "wrong_type", "expected {expected}"
    INVALID_OPTION = "invalid_option", "not offered: {options}"
    EMPTY_CHOICE = "empty_choice", "choose at least one option"
    EXCLUSIVE_OPTION = "exclusive_option", "an exclusive option cannot be combined with others"
    OUT_OF_RANGE = "out_of_range", "must be between {min} and {max}"
    TOO_LONG = "too_long", "at most {max_length} characters"
    # --- codes and tokens ---
    MISSING_CREDENTIAL = "missing_credential", "send either a code or a token, not both"
    INVALID_BLINDED_MESSAGE = "invalid_blinded_message", "{reason}"
    INVALID_TEXT = "invalid_text", "not valid text: {reason}"
    UNKNOWN_CELL = (
        "unknown_cell",
        "this combination of organisation, unit and function group is not in the wave's population",
    )
    INVALID_RESUME_KEY = "invalid_resume_key", "a resume key has {min} to {max} characters"
    JSON_INVALID = "json_invalid", "{reason}"
    SEALED_INVALID = "sealed_invalid", "{reason}"
    # --- frames ---
    BAD_HEADER = "bad_header", "found: {header}"
    WRONG_FIELD_COUNT = "wrong_field_count", "expected 4 fields, found {count}"
    UNKNOWN_UNIT = "unknown_unit", "unknown unit '{value}'; known: {known}"
    UNKNOWN_FUNCTION_GROUP = (
        "unknown_function_group",
        "unknown function group '{value}'; known: {known}",
    )
    UNIT_ORGANISATION_MISMATCH = (
        "unit_organisation_mismatch",
        "unit '{value}' does not belong to '{organisation}'",
    )
    FUNCTION_GROUP_ORGANISATION_MISMATCH = (
        "function_group_organisation_mismatch",
        "function group '{value}' does not belong to '{organisation}'",
    )
    INVALID_HEADCOUNT = (
        "invalid_headcount",
        "headcount '{value}' is not a whole number from 1 to {most:,}",
    )
    DUPLICATE_CELL = "duplicate_cell", "the same cell is on line {line}"
    OVERFULL_CELL = (
        "overfull_cell",
        "{respondents} respondents answered from this cell, but its headcount is {headcount}",
    )


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

    def response(self) -> JSONResponse:
        return problem_response(
            self.status, self.title, self.type_slug, self.detail, self.errors, self.headers
        )


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


class TooManyRequests(ProblemError):
    """`what` was refused for `wait` seconds more (a limit of app.ratelimit)."""

    status, title, type_slug = 429, "Too many requests", "too-many-requests"

    def __init__(self, what: str, wait: float):
        self.retry_after = max(1, math.ceil(wait))
        super().__init__(f"{what}; please try again in {self.retry_after} seconds.")
        self.headers = {"Retry-After": str(self.retry_after)}


class ProblemItem(BaseModel):
    """One of several problems: where (`answers.threat_count`), a stable code, a message."""

    loc: str
    code: str
    message: str


class Problem(BaseModel):
    """The problem body (RFC 9457), for the OpenAPI description; `errors` where there
    are several."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] | None = None


def problem_response(
    status: int,
    title: str,
    slug: str,
    detail: str,
    errors: list[FieldError] | None = None,
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
    return ProblemResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


class ProblemResponse(JSONResponse):
    """A problem body that can always be sent: a detail that quotes the request may hold
    an unpaired surrogate (valid in JSON text, not in UTF-8); it goes out escaped."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8", errors="backslashreplace")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the problem bodies it can answer with."""
    return {status: {"model": Problem, "description": "Problem"} for status in statuses}


_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI description as the handlers answer: every 4xx/5xx response of every
    operation is a Problem in application/problem+json (FastAPI would describe its own
    422 body and put declared models under application/json)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    if status == "422":
                        response["description"] = "Invalid input"
                    response["content"] = {PROBLEM_JSON: {"schema": dict(_PROBLEM_REF)}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema())
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


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


def _unreadable_body(cause: BaseException) -> str | None:
    """Why a received body could not be read as JSON, if that is what went wrong."""
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not valid UTF-8 text"
    if isinstance(cause, RecursionError):
        return "the body is nested too deeply"
    if isinstance(cause, ValueError):  # e.g. a number with thousands of digits
        return "the body is not JSON that can be read"
    return None


def install_problem_handlers(app: FastAPI) -> None:
    """The handlers, and an OpenAPI description that shows the bodies they send."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(default_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        detail = "The request is not valid: " + "; ".join(f"{e.loc}: {e.message}" for e in errors)
        return problem_response(422, "Invalid input", "invalid-input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        cause = exc.__cause__
        if exc.status_code == 400 and cause is not None:
            # FastAPI could not read the body. A body it cannot decode is a bad payload,
            # like malformed JSON: 422 as that is. Anything else failed while receiving it
            # (the body limit, say): the middleware that raised it answers.
            reason = _unreadable_body(cause)
            if reason is None:
                raise cause
            return problem_response(
                422,
                "Invalid input",
                "invalid-input",
                f"The request is not valid: body: {reason}",
                [FieldError("body", *Code.JSON_INVALID.says(reason=reason))],
            )
        titles = {
            400: "Bad request", 404: "Not found", 405: "Method not allowed",
            413: "Payload too large",
        }  # fmt: skip
        title = titles.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        return problem_response(
            exc.status_code,
            title,
            title.lower().replace(" ", "-"),
            detail,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(OperationalError)
    async def _database(_request: Request, exc: OperationalError) -> JSONResponse:
        # Log the class only: a statement could carry answer values.
        logger.error("database unavailable: %s", type(exc.orig).__name__)
        return problem_response(
            503,
            "Service unavailable",
            "service-unavailable",
            "The database is not reachable right now. Nothing was stored; please try again.",
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return internal_error(exc)


def internal_error(exc: Exception) -> JSONResponse:
    """The answer to an exception nothing else handled. Logged by its class only: its
    message, like a traceback, may quote what a respondent sent."""
    logger.error("unexpected error: %s", type(exc).__name__)
    return problem_response(
        500,
        "Internal error",
        "internal-error",
        "Something went wrong on our side. Nothing was stored.",
    )
