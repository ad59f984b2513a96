"""`monitor wave simulate`: an open pilot wave filled with valid, routed responses spread
over its frame, and every other wave refused with nothing stored."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.db import session_scope
from app.demo.population import base_frame, frame_csv
from app.demo.service import simulate_responses
from app.problems import Conflict, InvalidInput, NotFound
from app.questionnaires.loader import load_directory
from app.questionnaires.service import publish
from app.responses.models import Response
from app.responses.validation import validate_many
from app.waves.service import create_wave, load_frame, open_wave
from tests.support import TODAY, open_mini_wave, stored_answers

DEFS = Path(__file__).resolve().parents[2] / "survey_defs"
QUESTIONNAIRE = "mm-2026.1"
# A few cells of each organisation, with the demo's (real) codes and headcounts.
CELLS = [c for c in base_frame() if c.unit in ("pol-lim", "om-pg")]
ROUTED = ("threat_outside_work", "escalation", "no_report_reasons")  # asked of some only


def wave(factory, wave_id: str = "pilot", pilot: bool = True, opened: bool = True) -> None:
    with session_scope(factory) as session:
        for questionnaire in load_directory(DEFS).questionnaires:
            publish(session, questionnaire)
        create_wave(
            session,
            wave_id,
            QUESTIONNAIRE,
            TODAY - timedelta(days=1),
            TODAY + timedelta(days=30),
            pilot=pilot,
        )
        load_frame(session, wave_id, frame_csv(CELLS))
        if opened:
            open_wave(session, wave_id, TODAY)


def stored_count(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(Response))


def test_an_open_pilot_gets_valid_routed_responses_spread_over_its_frame(factory):
    wave(factory)
    with session_scope(factory) as session:
        filled = simulate_responses(session, "pilot", 1500, seed=7)
    assert filled.responses == 1500
    with factory() as session:
        stored = stored_answers(session, "pilot")
    questionnaire = next(q for q in load_directory(DEFS).questionnaires if q.id == QUESTIONNAIRE)
    assert len(stored) == 1500
    cells = {(c.organisation, c.unit, c.function_group) for c in CELLS}
    # Valid and routed: validation (which refuses a hidden question answered and a shown
    # required one missing) keeps every answer as it is.
    for answers, (kept, errors) in zip(
        stored, validate_many(questionnaire, stored, cells), strict=True
    ):
        assert errors == [] and kept == answers
    # The routing branches: some respondents were asked the follow-up questions, some not.
    for question in ROUTED:
        asked = sum(question in a for a in stored)
        assert 0 < asked < len(stored), question
    # Spread over the frame: every cell in proportion to its headcount (within one).
    per_cell = Counter((a["organisation"], a["unit"], a["function_group"]) for a in stored)
    total = sum(c.headcount for c in CELLS)
    for c in CELLS:
        expected = 1500 * c.headcount / total
        assert abs(per_cell[(c.organisation, c.unit, c.function_group)] - expected) <= 1


def test_a_second_fill_takes_the_room_that_is_left(factory):
    wave(factory)
    staff = sum(c.headcount for c in CELLS)
    with session_scope(factory) as session:
        simulate_responses(session, "pilot", staff - 10, seed=1)
    with session_scope(factory) as session, pytest.raises(Conflict, match="10 staff without"):
        simulate_responses(session, "pilot", 11, seed=2)
    with session_scope(factory) as session:
        simulate_responses(session, "pilot", 10, seed=3)  # exactly full: no cell overfull
    with factory() as session:
        stored = stored_answers(session, "pilot")
    per_cell = Counter((a["organisation"], a["unit"], a["function_group"]) for a in stored)
    assert all(per_cell[(c.organisation, c.unit, c.function_group)] == c.headcount for c in CELLS)


def test_the_same_seed_gives_the_same_responses(factory):
    wave(factory, "a")
    wave(factory, "b")
    with session_scope(factory) as session:
        simulate_responses(session, "a", 400, seed=11)
        simulate_responses(session, "b", 400, seed=11)
    with factory() as session:
        a, b = stored_answers(session, "a"), stored_answers(session, "b")
    key = lambda answers: sorted(map(str, answers.items()))  # noqa: E731
    assert sorted(map(key, a)) == sorted(map(key, b))


@pytest.mark.parametrize(
    ("pilot", "opened", "why"),
    [(False, True, "no pilot and open"), (True, False, "a pilot and created")],
)
def test_any_other_wave_is_refused_and_gets_nothing(factory, pilot, opened, why):
    wave(factory, pilot=pilot, opened=opened)
    with session_scope(factory) as session, pytest.raises(Conflict, match=why):
        simulate_responses(session, "pilot", 100, seed=1)
    assert stored_count(factory) == 0


def test_an_unknown_wave_is_refused(factory):
    with session_scope(factory) as session, pytest.raises(NotFound):
        simulate_responses(session, "nope", 100)


@pytest.fixture
def monitor(db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(DEFS))
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_the_command_fills_a_pilot_and_refuses_a_closed_one(factory, monitor):
    wave(factory)
    filled = monitor("wave", "simulate", "pilot", "--responses", "250", "--seed", "5")
    assert filled.exit_code == 0, filled.stderr
    assert "250 simulated responses stored" in filled.stderr and filled.stdout == ""
    closed = monitor("wave", "close", "pilot")
    assert closed.exit_code == 0, closed.stderr
    assert "respondents: 250 of" in closed.stderr
    refused = monitor("wave", "simulate", "pilot", "--responses", "5")
    assert refused.exit_code == 1
    assert "only an open pilot wave" in refused.stderr and "Traceback" not in refused.stderr
    assert stored_count(factory) == 250


def test_the_command_refuses_a_real_wave_and_nonsense(factory, monitor):
    wave(factory, "2026", pilot=False)
    refused = monitor("wave", "simulate", "2026", "--responses", "5")
    assert refused.exit_code == 1 and "error: wave 2026 is no pilot" in refused.stderr
    assert monitor("wave", "simulate", "2026", "--responses", "0").exit_code != 0
    assert monitor("wave", "simulate", "2026", "--responses", "many").exit_code != 0
    assert stored_count(factory) == 0


def test_a_version_the_generator_does_not_know_is_refused(factory):
    open_mini_wave(factory, "mini-pilot", pilot=True)
    with session_scope(factory) as session, pytest.raises(InvalidInput, match="does not fit"):
        simulate_responses(session, "mini-pilot", 10)
    assert stored_count(factory) == 0
