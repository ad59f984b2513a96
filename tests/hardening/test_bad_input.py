"""The catalogue of bad input: every kind, the answer it gets, and where it is tested.
Each test asserts a clear answer (a problem body, or a CLI message and exit 1) and that
nothing changed (every row of every table compared before and after).

- malformed JSON (syntax, not an object, wrong shape): 422.
  responses/test_intake.py::test_malformed_bodies_are_problems; here for every
  respondent route, with nothing changed (test_malformed_json_on_every_respondent_route).
- a body that is not UTF-8, nested too deeply, a 5000-digit number: 422.
  Here: test_unreadable_bodies.
- wrong types of answers (2.5, true, "job" for a list ...): 422 per answer.
  responses/test_intake.py::test_invalid_answers.
- wrong types in the body (code 5, answers []): 422.
  responses/test_intake.py::test_malformed_bodies_are_problems.
- huge bodies: 413. With Content-Length: responses/test_intake.py::test_huge_body_gets_413;
  streamed without one: here, test_a_streamed_huge_body_gets_413.
- unknown fields in a body, unknown question ids: 422. responses/test_intake.py (extra,
  colour); here for saved progress (test_unknown_fields_and_questions_in_saved_progress).
- unicode edge cases: NUL in a text answer, 422 invalid_text (test_intake.py); lone
  surrogates ("\\ud800" in JSON, or its raw bytes) anywhere in a body, 422 invalid_text
  (here: test_lone_surrogates_*); NUL, RTL override, a 10k-character code, emoji in a
  code: 403 like any wrong code (test_unicode_in_codes_is_just_a_wrong_code); emoji,
  lone-surrogate bytes and control characters in ids: 404, or 422 for a control
  character or a malformed version id (test_unicode_in_ids); RTL override, zero-width
  and emoji in a free-text answer are kept exactly (test_unicode_text_answers_*).
- answers for hidden questions: 422 not_shown.
  responses/test_intake.py::test_every_problem_is_listed_and_nothing_is_stored.
- a code for another wave (or unknown, or spent): 403, one answer for all.
  responses/test_intake.py::test_unknown_foreign_and_spent_codes_get_the_same_403.
- a closed, draft or past wave: 409; an unknown wave: 404. responses/test_respondent_api.py;
  here for every respondent route with nothing changed (test_closed_draft_and_unknown_waves).
- opening a wave without frame: exit 1. test_cli.py::test_opening_needs_a_frame; here with
  the exact message and nothing changed.
- a frame CSV with bad lines: exit 1, every line listed, nothing loaded.
  test_cli.py::test_frame_errors_are_listed_per_line_and_nothing_is_loaded; here: the
  earlier frame stays whole, a file not in UTF-8, and a headcount beyond any real cell.
- a wave title longer than its column: exit 1 with a message.
- a definition file with every kind of mistake: `monitor survey validate` exit 1, all of
  them listed with file, place and code (here: test_validate_lists_every_kind_of_mistake,
  test_validate_lists_every_mistake_of_the_indicators; one code at a time:
  questionnaires/test_definitions.py, indicators/test_indicator_definitions.py).
- bad query parameters (by=bogus, lang, format, unknown or non-public indicator): 422 with
  the parameter as loc, or 404. stats/test_api.py (public trends); here for every
  analyst route (test_bad_query_parameters_on_every_analyst_route).
- bad Authorization headers: 401 with WWW-Authenticate. auth/test_keys.py (none, nonsense,
  Basic, revoked); here: garbage, empty bearer, other scheme, odd bytes, a huge key, a
  revoked key, and nothing audited or marked used (test_bad_authorization_headers).
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.auth.models import AuditEvent
from app.auth.service import revoke_key
from app.cli import app as cli
from app.config import get_settings
from app.db import session_scope
from app.models import Base
from tests.builders import bearer, filled_wave
from tests.support import (
    FIXTURES,
    MINI_FRAME,
    answers,
    close_mini_wave,
    open_mini_wave,
    stored_answers,
)

PROBLEM = "application/problem+json"
WAVE = "2026"
CREATE = ("wave", "create", WAVE, "--questionnaire", "mini-2026.1",
          "--opens", "2026-01-01", "--closes", "2099-12-31")  # fmt: skip
ROUTES = {  # every respondent route that takes a body, and its method
    "responses": "POST",
    "codes/check": "POST",
    "progress": "PUT",
    "progress/load": "POST",
}
# Written by reads too, and meant to be: the day's respondent counts and the audit log.
NOT_DATA = {"respondent_count", "audit_event", "api_key"}


def snapshot(factory: sessionmaker[Session], *, everything: bool = False) -> dict[str, list]:
    """Every row of every table (those that reads write to left out unless asked)."""
    with factory() as session:
        return {
            table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
            for table in Base.metadata.sorted_tables
            if everything or table.name not in NOT_DATA
        }


def assert_problem(reply: Any, status: int, *codes: str) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == PROBLEM
    body = reply.json()
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == status
    assert body["detail"] and "Traceback" not in body["detail"]
    for code in codes:
        assert code in {e["code"] for e in body.get("errors", [])}, body
    return body


@pytest.fixture
def wave(factory):
    wave = open_mini_wave(factory, WAVE, codes=3)
    return wave


def send(client, route: str, body: Any, wave_id: str = WAVE, **kwargs: Any) -> Any:
    """The body to a respondent route; answers are left out where it takes a code only."""
    url = f"/api/v1/waves/{wave_id}/{route}"
    if isinstance(body, bytes | Iterator):
        kwargs["content"] = body
        kwargs.setdefault("headers", {"content-type": "application/json"})
    else:
        takes_answers = route in ("responses", "progress")
        kwargs["json"] = {k: v for k, v in body.items() if k != "answers" or takes_answers}
    return client.request(ROUTES[route], url, **kwargs)


def unchanged(factory: sessionmaker[Session], action: Callable[[], Any]) -> Any:
    before = snapshot(factory)
    result = action()
    assert snapshot(factory) == before
    return result


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b"", b'{"code": 5, "answers": {}}', b'{"code": "x", "answers": []}'],
)
def test_malformed_json_on_every_respondent_route(client, factory, wave, route, raw):
    body = unchanged(factory, lambda: send(client, route, raw))
    assert_problem(body, 422)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"code": "\xe9t\xe9", "answers": {}}', "not valid UTF-8"),
        (b'{"code": "x", "answers": {"comment": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
         "nested too deeply"),
        (b'{"code": "x", "answers": {"threat_count": 1' + b"0" * 5000 + b"}}", "not JSON"),
    ],
)  # fmt: skip
def test_unreadable_bodies(client, factory, wave, raw, reason):
    for route in ROUTES:
        reply = unchanged(factory, lambda route=route: send(client, route, raw))
        body = assert_problem(reply, 422, "json_invalid")
        assert reason in body["detail"]


def test_a_streamed_huge_body_gets_413(client, factory, wave):
    def chunks():
        yield json.dumps({"code": wave.codes[0], "answers": answers()})[:-2].encode()
        yield b', "comment": "'
        for _ in range(20):
            yield b"x" * 65536  # 1.25 MiB in all, with no Content-Length
        yield b'"}}'

    for route in ("responses", "progress"):
        reply = unchanged(factory, lambda route=route: send(client, route, chunks()))
        assert reply.request.headers.get("transfer-encoding") == "chunked"
        assert_problem(reply, 413)


def test_unknown_fields_and_questions_in_saved_progress(client, factory, wave):
    extra = {"code": wave.codes[0], "resume_key": "sleutel-1", "answers": {}, "x": "2026"}
    assert_problem(
        unchanged(factory, lambda: send(client, "progress", extra)), 422, "extra_forbidden"
    )
    unknown = {
        "code": wave.codes[0],
        "resume_key": "sleutel-1",
        "answers": {"organisation": "pol", "colour": "blue"},
    }
    body = assert_problem(
        unchanged(factory, lambda: send(client, "progress", unknown)), 422, "unknown_question"
    )
    assert body["errors"][0]["loc"] == "answers.colour"


# --- unicode --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{{"code": "\\ud800", "answers": {{}}}}', "code"),
        ('{{"code": "{code}", "answers": {{"comment": "a\\udfffb"}}}}', "answers.comment"),
        ('{{"code": "{code}", "answers": {{"\\ud800x": 1}}}}', "answers.\\ud800x"),
        ('{{"code": "{code}", "answers": {{"organisation": "\\udc00"}}}}', "answers.organisation"),
        ('{{"code": "{code}", "answers": {{"reasons": ["\\ud83d"]}}}}', "answers.reasons"),
    ],
)
def test_lone_surrogates_in_json_are_refused(client, factory, wave, raw, where):
    """A lone surrogate is legal JSON but not text: refused before anything is looked up
    (PostgreSQL could not store it, and a code with one cannot be hashed)."""
    text = raw.format(code=wave.codes[0]).encode()
    for route in ROUTES:
        if where != "code" and route in ("codes/check", "progress/load"):
            text_for = json.dumps({"code": "\ud800"}).encode()  # these take a code only
        else:
            text_for = text
        reply = unchanged(factory, lambda route=route, body=text_for: send(client, route, body))
        body = assert_problem(reply, 422, "invalid_text")
        assert "unpaired surrogate" in body["detail"]
        assert (where if text_for is text else "code") in body["detail"]


def test_lone_surrogates_as_raw_bytes_are_refused(client, factory, wave):
    # CESU-style bytes for U+D800: Python's JSON reader turns them into a lone surrogate.
    raw = b'{"code": "\xed\xa0\x80", "answers": {}}'
    assert_problem(unchanged(factory, lambda: send(client, "responses", raw)), 422, "invalid_text")


def test_unicode_in_codes_is_just_a_wrong_code(client, factory, wave):
    for code in ("a\x00b", "\u202eEDOC", "X" * 10_000, "👮‍♀️-🚓", "ＫＥＹ"):
        for route in ROUTES:
            reply = unchanged(
                factory,
                lambda route=route, code=code: send(client, route, {"code": code, "answers": {}}),
            )
            body = assert_problem(reply, 403)
            assert body["detail"] == "This code cannot be used for this survey."


def test_unicode_in_ids(client, factory, wave):
    """An id that cannot exist is not found; one with a control character (NUL included,
    which PostgreSQL cannot even look up) is invalid input."""
    admin = bearer(factory, "admin")
    for url, status in (
        ("/api/v1/waves/👮/responses", 404),
        ("/api/v1/waves/%ED%A0%80/responses", 404),  # the bytes of a lone surrogate
        ("/api/v1/waves/a%00b/responses", 422),
        ("/api/v1/waves/a%00b/codes/check", 422),
        ("/api/v1/waves/%1b%5b2J/progress/load", 422),
    ):
        body = {"code": "x", "answers": {}} if url.endswith("responses") else {"code": "x"}
        reply = unchanged(factory, lambda url=url, body=body: client.post(url, json=body))
        assert_problem(reply, status)
    for url, status in (
        ("/api/v1/questionnaires/👮", 404),
        ("/api/v1/questionnaires/%00", 422),
        ("/api/v1/questionnaires/mini-2026.1%00", 422),
        ("/api/v1/questionnaires/mini-2099.1", 404),
        ("/api/v1/public/trends/🚓", 404),
        ("/api/v1/public/trends/threat%00", 404),
        ("/api/v1/trends/%ED%A0%80", 404),
        ("/api/v1/waves/👮/analysis-file", 404),
        ("/api/v1/waves/\u202e6202/response-rates", 404),
        ("/api/v1/waves/%00/response-rates", 422),
        ("/api/v1/waves/2026%00/preview/threat", 422),
        ("/api/v1/exports/estimates.csv?wave=👮", 404),
        ("/api/v1/exports/estimates.sav?wave=%00", 422),
        ("/api/v1/waves/" + "x" * 10_000 + "/response-rates", 404),
    ):
        reply = unchanged(factory, lambda url=url: client.get(url, headers=admin))
        assert_problem(reply, status), url
    with factory() as session:
        details = set(session.scalars(select(AuditEvent.detail)))
    # Recorded all the same, control characters escaped (PostgreSQL cannot store a NUL).
    assert "/api/v1/waves/\\x00/response-rates" in details
    assert "/api/v1/waves/\\u202e6202/response-rates" in details
    emoji = {"code": wave.codes[0], "answers": answers(**{"🚓": "x"})}
    body = assert_problem(unchanged(factory, lambda: send(client, "responses", emoji)), 422)
    assert {"loc": "answers.🚓", "code": "unknown_question"} in [
        {k: e[k] for k in ("loc", "code")} for e in body["errors"]
    ]


def test_unicode_text_answers_are_kept_exactly(client, factory, wave):
    """What is text (RTL override, zero-width, emoji) is an answer like any other: stored as
    sent, and free text never leaves the database (the analysis file has none)."""
    text = "\u202egnaf\u202c \u200d👮‍♀️ \ufeff"
    reply = send(client, "responses", {"code": wave.codes[0], "answers": answers(comment=text)})
    assert reply.status_code == 201
    with factory() as session:
        assert stored_answers(session)[0]["comment"] == text


# --- waves that take no responses -----------------------------------------------------------


def test_closed_draft_and_unknown_waves(client, factory, wave):
    with session_scope(factory) as session:
        close_mini_wave(session, WAVE)
    for route in ROUTES:
        body = {"code": wave.codes[1], "answers": answers()}
        assert_problem(unchanged(factory, lambda r=route, b=body: send(client, r, b)), 409)
        assert_problem(
            unchanged(factory, lambda r=route, b=body: send(client, r, b, wave_id="nope")), 404
        )


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def monitor(db_url, tmp_path, monkeypatch):
    defs = tmp_path / "defs"
    defs.mkdir()
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(FIXTURES / "defs"))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def test_opening_a_wave_without_frame_changes_nothing(monitor, factory):
    assert monitor("survey", "publish").exit_code == 0
    created = monitor(*CREATE)
    assert created.exit_code == 0
    result = unchanged(factory, lambda: monitor("wave", "open", WAVE))
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"error: wave {WAVE} has no frame; load one with 'monitor frame load'\n"


EVERY_MISTAKE = """\
id: Mini 2026
title: {nl: Mini}
modules:
  - id: background
    title: {nl: Achtergrond, en: Background, de: Hintergrund}
    questions:
      - id: organisation
        type: single
        text: {nl: Organisatie, en: Organisation}
        options:
          - {code: pol, label: {nl: Politie, en: Police}}
          - {code: pol, label: {nl: Politie, en: Police}}
          - {code: "Om Ams", label: {nl: OM, en: OM}}
          - {code: om, exclusive: true, label: {nl: OM, en: PPS}}
      - id: unit
        type: single
        text: {nl: Eenheid, en: Unit}
        show_if: {question: organisation, answered: true}
        options:
          - {code: kmar-1, organisation: kmar, label: {nl: KMar, en: KMar}}
  - id: background
    title: {nl: Nogmaals, en: Again}
    questions: []
  - id: main
    title: {nl: Hoofd, en: Main}
    questions:
      - id: ThreatCount
        type: integer
        min: 9
        max: 1
        text: {nl: "Hoe vaak?", en: "How often?"}
      - id: days
        type: integer
        text: {nl: Dagen, en: Days}
      - id: colour
        type: checkbox
        text: {nl: Kleur, en: Colour}
      - id: reasons
        type: multi
        text: {nl: Redenen, en: Reasons}
      - id: note
        type: text
        text: {nl: Toelichting, en: Note}
        min: 1
      - id: note
        type: text
        max_length: 10
        text: {nl: Nogmaals, en: Again}
      - id: early
        type: single
        show_if: {question: late, answered: true}
        text: {nl: Vroeg, en: Early}
        options: [{code: a, label: {nl: A, en: A}}]
      - id: selfish
        type: single
        show_if: {question: selfish, answered: true}
        text: {nl: Zelf, en: Self}
        options: [{code: a, label: {nl: A, en: A}}]
      - id: picky
        type: single
        show_if: {question: organisation, in: [kmar]}
        text: {nl: Kieskeurig, en: Picky}
        options: [{code: a, label: {nl: A, en: A}}]
      - id: mismatch
        type: single
        show_if: {question: organisation, min: 1}
        text: {nl: Verkeerd, en: Wrong}
        options: [{code: a, label: {nl: A, en: A}}]
      - id: late
        type: single
        text: {nl: Laat, en: Late}
        options: [{code: a, label: {nl: A, en: A}}]
"""
# The problems the file above has, as (question or place, code).
EXPECTED = {
    ("Mini 2026", "invalid_version_id"),
    ("questionnaire", "missing_translation"),
    ("module background", "unknown_language"),
    ("organisation", "duplicate_option"),
    ("organisation", "invalid_option_code"),
    ("organisation", "misplaced_field"),  # exclusive on a single question
    ("unit", "unknown_organisation"),
    ("unit", "invalid_background"),  # has show_if
    ("function_group", "missing_background"),
    ("background", "duplicate_module_id"),
    ("module background", "empty_module"),
    ("ThreatCount", "invalid_id"),
    ("ThreatCount", "min_greater_than_max"),
    ("days", "missing_range"),
    ("colour", "unknown_type"),
    ("reasons", "missing_options"),
    ("note", "missing_max_length"),
    ("note", "misplaced_field"),  # min on a text question
    ("note", "duplicate_question_id"),
    ("early", "forward_reference"),
    ("selfish", "self_reference"),
    ("picky", "unknown_option"),
    ("mismatch", "condition_type_mismatch"),
}


def test_validate_lists_every_kind_of_mistake(monitor, tmp_path):
    """One folder with a file of every mistake of meaning, one of structure, one of YAML
    syntax and two files with one version: all are listed, with file, place and code."""
    defs = tmp_path / "defs"
    (defs / "broken.yaml").write_text(EVERY_MISTAKE, encoding="utf-8")
    mini = (FIXTURES / "defs" / "mini.yaml").read_text(encoding="utf-8")
    structure = mini.replace(
        "        required: false\n        text: {nl: Toelichting",
        "        colour: red\n        text: {nl: Toelichting",
    )
    structure = structure.replace(
        "show_if: {question: threat, in: [once, several]}", "show_if: {question: threat, is: 1}"
    )
    (defs / "structure.yaml").write_text(
        structure.replace("mini-2026.1", "mini-2026.2"), encoding="utf-8"
    )
    (defs / "syntax.yaml").write_text("id: x\nmodules: [\n", encoding="utf-8")
    (defs / "one.yaml").write_text(mini, encoding="utf-8")
    (defs / "two.yaml").write_text(mini, encoding="utf-8")
    result = monitor("survey", "validate", str(defs))
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    found = {
        (line.split(": ")[1], line.split("[")[1].split("]")[0])
        for line in lines
        if line.startswith("broken.yaml: ")
    }
    assert found == EXPECTED
    assert (
        sum(line.startswith("structure.yaml: ") and "[invalid_structure]" in line for line in lines)
        == 2
    )
    assert any(line.startswith("structure.yaml: comment: [invalid_structure]") for line in lines)
    assert any(line.startswith("syntax.yaml: line 3: [yaml_syntax]") for line in lines)
    duplicate = [line for line in lines if line.startswith("two.yaml: mini-2026.1: [duplicate_")]
    assert len(duplicate) == 1 and "one.yaml" in duplicate[0]
    assert lines[-1] == f"error: {len(lines) - 1} problem(s) in {defs}"


def test_validate_lists_every_mistake_of_the_indicators(monitor, tmp_path):
    defs = tmp_path / "defs"
    (defs / "mini.yaml").write_text((FIXTURES / "defs" / "mini.yaml").read_text("utf-8"), "utf-8")
    indicators = textwrap.dedent(
        """\
        denominators:
          mini-2026.1:
            threatened: {question: threat, in: [once, several]}
            bystanders: {question: threat, in: ["no"]}
          mini-2099.1: {}
        indicators:
          - id: Threat
            label: {nl: Bedreigd}
            kind: proportion
            denominator: all
            versions:
              mini-2026.1: {value: {question: comment, answered: true}, mean_of: threat_count}
          - id: days
            label: {nl: Dagen, en: Days, fr: Jours}
            description: {nl: Dagen., en: Days.}
            kind: mean
            denominator: victims
            versions:
              mini-2026.1: {mean_of: threat, series_break: true}
          - id: days
            label: {nl: Dagen, en: Days}
            description: {nl: Dagen., en: Days.}
            kind: proportion
            denominator: threatened
            versions:
              mini-2026.1:
                value: {all: [{question: threat, in: ["no"]}, {question: threat, in: [once]}]}
              mini-2099.1: {value: {question: nothing, in: [x]}}
        """
    )
    (defs / "indicators.yaml").write_text(indicators, "utf-8")
    result = monitor("survey", "validate", str(defs))
    assert result.exit_code == 1 and result.stdout == ""
    codes = {line.split("[")[1].split("]")[0] for line in result.stderr.splitlines()[:-1]}
    assert codes >= {
        "unknown_denominator", "invalid_id", "duplicate_indicator", "missing_description",
        "missing_translation", "unknown_language", "misplaced_field", "missing_break_note",
        "text_question", "condition_type_mismatch", "never_holds", "unknown_version",
        "missing_denominator", "missing_indicator",
    }  # fmt: skip
    assert "indicators.yaml: Threat.mini-2026.1.value: [text_question]" in result.stderr


def test_frame_with_bad_lines_loads_nothing(monitor, factory, tmp_path):
    """The per-line messages are in test_cli.py; here: the earlier frame stays whole."""
    assert monitor("survey", "publish").exit_code == 0
    monitor(*CREATE)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(MINI_FRAME, encoding="utf-8")
    assert monitor("frame", "load", WAVE, str(good)).exit_code == 0
    bad.write_text(MINI_FRAME + "pol,pol-ams,pol-basis,abc\nkmar,x\n\x00,,,\n", encoding="utf-8")
    result = unchanged(factory, lambda: monitor("frame", "load", WAVE, str(bad)))
    assert result.exit_code == 1 and result.stdout == ""
    for expected in (
        "line 7: headcount 'abc'",
        "line 8: expected 4 fields",
        "line 9: unknown organisation",
    ):
        assert expected in result.stderr


def test_frame_that_is_not_utf8_loads_nothing(monitor, factory, tmp_path):
    assert monitor("survey", "publish").exit_code == 0
    monitor(*CREATE)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(MINI_FRAME.replace("pol-ops", "pol-\xe9").encode("latin-1"))
    result = unchanged(factory, lambda: monitor("frame", "load", WAVE, str(latin1)))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: cannot read {latin1}")


def test_frame_with_an_impossible_headcount(monitor, factory, tmp_path):
    assert monitor("survey", "publish").exit_code == 0
    monitor(*CREATE)
    huge = tmp_path / "huge.csv"
    huge.write_text(MINI_FRAME + "om,om-ams,om-ovj,99999999999999999999\n", encoding="utf-8")
    result = unchanged(factory, lambda: monitor("frame", "load", WAVE, str(huge)))
    assert result.exit_code == 1 and "headcount" in result.stderr


def test_wave_title_longer_than_its_column(monitor, factory):
    assert monitor("survey", "publish").exit_code == 0
    result = unchanged(
        factory,
        lambda: monitor(*CREATE, "--title", "x" * 300),
    )
    assert result.exit_code == 1 and "title" in result.stderr


# --- query parameters -----------------------------------------------------------------------


def test_bad_query_parameters_on_every_analyst_route(client, factory):
    filled_wave(factory, WAVE, [12, 12, 12, 12, 12], seed=51)
    admin = bearer(factory, "admin")
    cases = [
        ("/api/v1/trends/threat?by=bogus", 422, "query.by"),
        ("/api/v1/trends/threat?by=", 422, "query.by"),
        ("/api/v1/trends/threat?by=ORGANISATION", 422, "query.by"),
        ("/api/v1/trends/threat?lang=fr", 422, "query.lang"),
        ("/api/v1/trends/nope", 404, None),
        ("/api/v1/trends/threat%20", 404, None),
        ("/api/v1/public/trends/threat?by=region", 422, "query.by"),
        ("/api/v1/public/trends/sick_leave_days", 404, None),  # not public
        (f"/api/v1/waves/{WAVE}/response-rates?by=bogus", 422, "query.by"),
        (f"/api/v1/waves/{WAVE}/preview/threat?by=bogus", 422, "query.by"),
        (f"/api/v1/waves/{WAVE}/analysis-file?format=xls", 422, "query.format"),
        ("/api/v1/exports/estimates.csv?lang=de", 422, "query.lang"),
        ("/api/v1/indicators?lang=", 422, "query.lang"),
    ]
    for url, status, loc in cases:
        body = assert_problem(
            unchanged(factory, lambda url=url: client.get(url, headers=admin)), status
        )
        if loc:
            assert body["errors"][0]["loc"] == loc, url


# --- Authorization --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "Bearer",
        "Bearer ",
        "Bearer  ",
        "Token abc",
        "Bearer a b",
        "Bearer " + "x" * 100_000,
        b"Bearer \xff\xfe\x00".decode("latin-1"),
        "Bearer revoked",
    ],
)
def test_bad_authorization_headers(client, factory, value):
    if value == "Bearer revoked":
        value = bearer(factory, "admin", "leaver")["Authorization"]
        with session_scope(factory) as session:
            revoke_key(session, "leaver")
    before = snapshot(factory, everything=True)
    reply = client.get("/api/v1/trends/threat", headers={"Authorization": value.encode("latin-1")})
    body = assert_problem(reply, 401)
    assert reply.headers["www-authenticate"] == "Bearer"
    assert "key" in body["detail"]
    after = snapshot(factory, everything=True)
    was = before.pop("audit_event", [])
    audited = [row for row in after.pop("audit_event", []) if row not in was]
    assert after == before  # no day of use, nothing else
    # A failed key is audited (at most once), never with the key presented.
    assert len(audited) <= 1
    secret = value.partition(" ")[2].strip()
    assert len(secret) < 8 or not any(secret[:8] in row for row in audited)
