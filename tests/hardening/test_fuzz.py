"""Property-based fuzzing of the HTTP API against its own OpenAPI description (schemathesis).

The database has what every route needs to get past its 404s: a published questionnaire,
an open wave with a frame, codes and an answer key, a closed wave with stored estimates,
and an admin key. Generated path parameters are, about half the time, swapped for ids
that exist, codes in bodies for codes that are valid, and sealed bodies for envelopes
sealed to the open wave's key (no fuzzer makes one). Every operation is tried with the admin key
and again without any key.

Every response must: not be a server error; be documented (status, content type,
headers, body schema); and, for every 4xx/5xx, be an RFC 9457 problem body.

The examples are bounded and derandomized, so a run is short and repeatable. Hypothesis
is driven here directly (`operation.as_strategy()` under `@given`): schemathesis's own
pytest integration (`from_fixture` / `parametrize`) fails on pytest 9 in version 4.32.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks
from schemathesis.python import asgi

from app.config import Settings
from app.files import secret_key
from app.main import create_app
from tests.builders import bearer, filled_wave
from tests.responses.sealing import b64url, seal_body
from tests.support import answers, open_mini_wave

OPEN, CLOSED = "2026", "2025"
KNOWN = {
    "wave_id": [OPEN, CLOSED],
    "indicator": ["threat_intimidation", "sick_leave_days", "escalation"],
    "questionnaire_id": ["mini-2026.1"],
}
FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.generate),  # no shrinking: a failure is reported as found
)


@pytest.fixture
def fuzz_db(factory, settings: Settings) -> dict[str, Any]:
    filled_wave(factory, CLOSED, [12, 12, 12, 12, 12], seed=41, opens=date(2025, 3, 1))
    # A token wave, so that its key is served (issuing needs a staff sign-in: below), with
    # its answer key for the sealed routes.
    wave = open_mini_wave(
        factory,
        OPEN,
        codes=60,
        secret=secret_key(settings.secret_key_file),
        token_secret=os.urandom(32),
    )
    return {"codes": wave.codes, "admin": bearer(factory, "admin")}


def sealed_examples(client: TestClient, codes: list[str]) -> dict[str, list[dict[str, str]]]:
    """Per sealed route, bodies sealed to the open wave's key: a valid code, a spent-looking
    one, real answers with codes of their own, a draft and its lookup."""
    document = client.get(f"/api/v1/waves/{OPEN}/answer-key").json()
    lookup = b64url(b"\1" * 32)
    draft = b64url(b"\0" * document["draft"]["draft_bytes"])
    bodies: dict[str, list[Any]] = {
        "response": [
            {"code": code, "answers": answers(threat="once", threat_count=3)} for code in codes[-5:]
        ]
        + [{"code": "WRONG", "answers": {}}],
        "check": [{"code": codes[0]}, {"code": "WRONG"}],
        "progress": [{"code": codes[0], "lookup": lookup, "draft": draft}],
        "progress/load": [
            {"code": codes[0], "lookup": lookup},
            {"code": "WRONG", "lookup": lookup},
        ],
    }
    return {
        purpose: [{"sealed": seal_body(document, OPEN, purpose, body)} for body in examples]
        for purpose, examples in bodies.items()
    }


@pytest.fixture
def api_schema(settings: Settings, fuzz_db: dict[str, Any]) -> Iterator[Any]:
    # No rate limit: the fuzzer writes far more than a respondent may; nor a limit on
    # failed codes, which would answer every route after the first few 429.
    unlimited = {"rate_limit": 0, "code_failures_per_address": 0, "code_failures_total": 0}
    app = create_app(settings.model_copy(update=unlimited))
    with TestClient(app) as client:  # the lifespan has run: app.state has the engine
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        codes = fuzz_db["codes"]
        sealed = sealed_examples(client, codes[:-5])

        @schema.hook
        def flatmap_path_parameters(_ctx: Any, path_parameters: dict[str, Any] | None) -> Any:
            if not path_parameters:
                return st.just(path_parameters)
            return st.fixed_dictionaries(
                {
                    name: st.sampled_from([value, *KNOWN.get(name, []), *KNOWN.get(name, [])[:1]])
                    for name, value in path_parameters.items()
                }
            )

        @schema.hook
        def flatmap_query(_ctx: Any, query: dict[str, Any] | None) -> Any:
            if not query or not isinstance(query.get("wave"), str):
                return st.just(query)
            return st.sampled_from([query, {**query, "wave": CLOSED}, {**query, "wave": OPEN}])

        @schema.hook
        def flatmap_body(ctx: Any, body: Any) -> Any:
            if isinstance(body, dict) and "sealed" in body:
                purpose = ctx.operation.path.split("/sealed/")[1].replace("codes/", "")
                purpose = {"responses": "response"}.get(purpose, purpose)
                return st.sampled_from([body, *sealed[purpose], *sealed[purpose]])
            if not isinstance(body, dict) or not {"code", "token", "answers"} & set(body):
                return st.just(body)
            # Generated, with a valid code in place of the code or token (never spent:
            # generated answers never fit), or, where answers are taken, a real response
            # with one of the other codes.
            keep = {**{k: v for k, v in body.items() if k != "token"}, "code": codes[0]}
            generated = st.sampled_from([body, keep, keep])
            if "answers" not in body:
                return generated
            real = st.builds(
                lambda code: {"code": code, "answers": answers(threat="once", threat_count=3)},
                st.sampled_from(codes[1:-5]),
            )
            return st.one_of(generated, real)

        yield schema
        # schemathesis keeps the app's lifespan (and so its engine) for the process.
        asgi.shutdown_lifespans()


@schemathesis.check
def problem_details(_ctx: Any, response: Any, _case: Any) -> bool | None:
    """Every 4xx/5xx is application/problem+json with type, title, status and detail."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type == "application/problem+json", (
        f"{response.status_code} answered as {content_type!r}"
    )
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    missing = {"type", "title", "status", "detail"} - set(body)
    assert not missing, f"problem body without {sorted(missing)}"
    assert body["status"] == response.status_code, body
    return True


# What every response must satisfy. Not schemathesis's `positive_data_acceptance` (answers
# that fit the JSON schema are still judged against the questionnaire: 422) nor
# `negative_data_rejection` (unknown query parameters are ignored, as HTTP APIs do).
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    problem_details,
]


def fuzz(schema: Any, headers: dict[str, str], examples: int) -> dict[str, Counter[int]]:
    """Every operation, with data that fits its description and with data that does not;
    all failures are collected, then reported together. Returns the statuses seen."""
    failures = []
    seen: dict[str, Counter[int]] = defaultdict(Counter)
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, mode, headers, examples, seen[operation.label])
            except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
                assert mode is GenerationMode.NEGATIVE
            except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
    assert not failures, "\n\n".join(failures)
    return seen


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    examples: int,
    seen: Counter[int],
) -> None:
    @settings(FUZZ, max_examples=examples)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        generated = case.headers or {}
        case.headers = {
            **{k: v for k, v in generated.items() if k.lower() != "authorization"},
            **headers,
        }
        response = case.call_and_validate(checks=CHECKS)
        seen[response.status_code] += 1

    run()


def test_fuzz_with_an_admin_key(api_schema: Any, fuzz_db: dict[str, Any]) -> None:
    seen = fuzz(api_schema, fuzz_db["admin"], examples=25)
    # The known ids and codes took every operation past its 404s: to a success, or, for
    # a respondent route, at least to the judgement of its code.
    # Issuing a token needs a staff member's intranet sign-in, which an API key is not
    # (tests/waves/test_tokens.py issues them).
    stuck = [
        label
        for label, statuses in seen.items()
        if not any(s < 300 for s in statuses) and label != "POST /api/v1/waves/{wave_id}/tokens"
    ]
    assert all(label.startswith(("POST", "PUT")) and 403 in seen[label] for label in stuck), {
        label: dict(seen[label]) for label in stuck
    }
    assert 201 in seen["POST /api/v1/waves/{wave_id}/responses"]
    assert 201 in seen["POST /api/v1/waves/{wave_id}/sealed/responses"]


def test_fuzz_without_a_key(api_schema: Any) -> None:
    seen = fuzz(api_schema, {}, examples=10)
    # Whatever else is wrong with a request, a route that needs a key answers 401 first.
    secured = {
        f"{method.upper()} {path}"
        for path, operations in api_schema.raw_schema["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    }
    assert len(secured) >= 7
    assert {label: set(seen[label]) for label in secured} == {label: {401} for label in secured}
