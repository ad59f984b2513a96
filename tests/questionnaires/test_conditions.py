"""The one condition language: semantics of CONTRACT section 2, on rows and on columns."""

from __future__ import annotations

import numpy as np
import pytest

from app.questionnaires.conditions import (
    ConditionSyntaxError,
    dump_condition,
    evaluate,
    holds,
    parse_condition,
)
from app.responses.answers import AnswerTable

KINDS = {"threat": "single", "count": "integer", "reasons": "multi", "note": "text"}


@pytest.mark.parametrize(
    ("condition", "answers", "expected"),
    [
        ({"question": "threat", "in": ["once"]}, {"threat": "once"}, True),
        ({"question": "threat", "in": ["once"]}, {"threat": "no"}, False),
        ({"question": "threat", "in": ["once"]}, {}, False),
        ({"question": "threat", "not_in": ["no"]}, {"threat": "once"}, True),
        ({"question": "threat", "not_in": ["no"]}, {}, False),  # unanswered: atom false
        ({"not": {"question": "threat", "in": ["no"]}}, {}, True),  # ... and not negates
        ({"question": "count", "min": 2}, {"count": 2}, True),
        ({"question": "count", "min": 2}, {"count": 1}, False),
        ({"question": "count", "max": 5}, {}, False),
        ({"question": "count", "min": 1, "max": 3}, {"count": 3}, True),
        ({"question": "reasons", "in": ["a", "b"]}, {"reasons": ["c", "b"]}, True),
        ({"question": "reasons", "in": ["a"]}, {"reasons": ["c"]}, False),
        ({"question": "reasons", "not_in": ["a"]}, {"reasons": ["c"]}, True),
        ({"question": "reasons", "not_in": ["a"]}, {"reasons": ["c", "a"]}, False),
        ({"question": "reasons", "not_in": ["a"]}, {}, False),
        ({"question": "note", "answered": True}, {"note": "x"}, True),
        ({"question": "note", "answered": False}, {}, True),
        ({"question": "note", "answered": False}, {"note": "x"}, False),
        (
            {"all": [{"question": "threat", "in": ["once"]}, {"question": "count", "min": 1}]},
            {"threat": "once", "count": 1},
            True,
        ),
        (
            {"all": [{"question": "threat", "in": ["once"]}, {"question": "count", "min": 1}]},
            {"threat": "once"},
            False,
        ),
        (
            {"any": [{"question": "threat", "in": ["once"]}, {"question": "count", "min": 1}]},
            {"count": 4},
            True,
        ),
    ],
)
def test_semantics(condition, answers, expected):
    assert holds(parse_condition(condition), KINDS, answers) is expected


def test_columns_give_the_same_as_rows():
    rows = [{}, {"threat": "once", "count": 3}, {"threat": "no"}, {"reasons": ["a"]}, {"count": 1}]
    condition = parse_condition(
        {"any": [{"question": "count", "min": 2}, {"not": {"question": "threat", "in": ["no"]}}]}
    )
    column = evaluate(condition, AnswerTable(KINDS, rows))
    assert column.dtype == np.bool_
    assert list(column) == [holds(condition, KINDS, row) for row in rows]


@pytest.mark.parametrize(
    "raw",
    [
        {},
        [],
        {"question": "threat"},
        {"question": "threat", "in": []},
        {"question": "threat", "in": "once"},
        {"question": "threat", "in": ["a"], "not_in": ["b"]},
        {"question": "count", "min": "2"},
        {"question": "note", "answered": "yes"},
        {"all": []},
        {"all": [{"question": "threat", "in": ["a"]}], "any": []},
        {"not": {"question": "x", "in": ["a"]}, "question": "x"},
        {"question": "threat", "eval": "__import__('os')"},
    ],
)
def test_malformed_conditions_are_refused(raw):
    with pytest.raises(ConditionSyntaxError):
        parse_condition(raw)


def test_dump_is_the_inverse_of_parse():
    raw = {
        "all": [
            {"question": "threat", "not_in": ["no"]},
            {"not": {"question": "count", "min": 1, "max": 5}},
            {"any": [{"question": "note", "answered": False}]},
        ]
    }
    assert dump_condition(parse_condition(raw)) == raw
