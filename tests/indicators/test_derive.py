"""Indicator values of a whole wave, against values worked out by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from app.indicators.definitions import IndicatorsUnavailable, indicator_set
from app.indicators.derive import derive
from app.responses.answers import AnswerTable, load_answers
from app.responses.validation import validate_answers
from tests.builders import submit_all
from tests.support import FIXTURES, answers, load_fixture, open_mini_wave

MINI = load_fixture()
DEFS = indicator_set(FIXTURES / "defs")
CELLS = {("pol", "pol-ams", "pol-basis")}
NAN = np.nan

# Respondents, in order; `threatened` = once/several, `victims` = several (the fixture's stand-ins).
RESPONDENTS = [
    answers(threat="no"),
    answers(threat="once", threat_count=1, reasons=["job"]),
    answers(threat="once"),  # threat_count and reasons skipped
    answers(threat="several", threat_count=4, reasons=["minor", "job"]),
    answers(threat="several", threat_count=2, reasons=["none"]),
    answers(threat="several", reasons=["minor"], function_group="pol-ops"),
]
EXPECTED = {
    "threat_intimidation": [0, 1, 1, 1, 1, 1],
    "risk_part_of_job": [1, 0, 0, 0, 0, 0],
    "fear_private": [0, 0, 0, 0, 0, 1],
    # among the threatened; item non-response when threat_count was skipped
    "escalation": [NAN, 0, NAN, 1, 1, NAN],
    "private_sphere": [NAN, 1, NAN, 1, 0, 0],
    "outside_work": [NAN, 0, 0, 1, 0, 1],
    # `not` of an atom on a skipped question is true (CONTRACT section 2)
    "no_task_impact": [NAN, 0, 1, 0, 1, 1],
    "satisfied_handling": [NAN, 0, NAN, 0, 1, 0],
    # among victims
    "reported_internally": [NAN, NAN, NAN, 1, 0, NAN],
    "aangifte": [NAN, NAN, NAN, 0, 1, NAN],
    "sick_leave_days": [NAN, NAN, NAN, 4, 2, NAN],
    "supervisor_support": [NAN, NAN, NAN, 1, 0, 1],
    "emotional_impact": [NAN, NAN, NAN, 1, 0, 1],
}


def table(rows) -> AnswerTable:
    cells = CELLS | {("pol", "pol-ams", "pol-ops")}
    kept = []
    for row in rows:
        valid, errors = validate_answers(MINI, row, cells)
        assert errors == []
        kept.append(valid)
    return AnswerTable(MINI.kinds(), kept)


def test_values_worked_out_by_hand():
    values = derive(DEFS, MINI, table(RESPONDENTS))
    assert set(values) == {i.id for i in DEFS.indicators}
    for indicator_id, expected in EXPECTED.items():
        np.testing.assert_array_equal(values[indicator_id], expected, err_msg=indicator_id)


def test_a_chosen_indicator_only():
    values = derive(DEFS, MINI, table(RESPONDENTS), [DEFS.get("escalation")])
    assert list(values) == ["escalation"]


def test_an_empty_wave_has_empty_columns():
    values = derive(DEFS, MINI, AnswerTable(MINI.kinds(), []))
    assert all(v.shape == (0,) for v in values.values())


def test_definitions_must_fit_the_version():
    other = MINI.model_copy(update={"id": "mini-2099.1"})
    with pytest.raises(IndicatorsUnavailable):
        derive(DEFS, other, table(RESPONDENTS))


def canonical_answers(answers) -> str:
    return json.dumps(answers, sort_keys=True)


def test_answers_are_read_from_the_database_as_submitted(factory, session):
    wave = open_mini_wave(factory, codes=len(RESPONDENTS))
    submit_all(factory, wave, RESPONDENTS)
    loaded = load_answers(session, wave.id, MINI)
    assert sorted(map(canonical_answers, loaded.rows)) == sorted(
        map(canonical_answers, RESPONDENTS)
    )
    values = derive(DEFS, MINI, loaded)
    by_row = {canonical_answers(row): i for i, row in enumerate(loaded.rows)}
    order = [by_row[canonical_answers(row)] for row in RESPONDENTS]
    for indicator_id, expected in EXPECTED.items():
        np.testing.assert_array_equal(values[indicator_id][order], expected, err_msg=indicator_id)
