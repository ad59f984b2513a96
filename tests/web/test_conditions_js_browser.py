"""The page's condition evaluator (app/web/static/conditions.js) against the one definition
of the language (app/questionnaires/conditions.py): generated questions, answers and
conditions, every shape of the language, evaluated by both, in Chromium."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

import app.questionnaires.schema  # noqa: F401 (the kinds enter the set-answer registry)
from app.questionnaires.conditions import holds, parse_condition

CONDITIONS_JS = Path(__file__).parents[2] / "app" / "web" / "static" / "conditions.js"
CODES = ["a", "b", "c", "d"]
KINDS = ["single", "scale", "multi", "integer", "text"]
CASES = 800


def _question_set(rng: random.Random) -> dict[str, str]:
    return {f"q{i}": rng.choice(KINDS) for i in range(rng.randint(1, 6))}


def _answer(rng: random.Random, kind: str) -> Any:
    if kind in ("single", "scale"):
        return rng.choice(CODES)
    if kind == "multi":
        return rng.sample(CODES, rng.randint(1, len(CODES)))
    if kind == "integer":
        return rng.randint(-3, 12)
    return rng.choice(["", "x", "tekst met één accent", "a\nb"])


def _atom(rng: random.Random, kinds: dict[str, str]) -> dict[str, Any]:
    question = rng.choice(sorted(kinds))
    kind = kinds[question]
    shapes = ["answered"]
    if kind in ("single", "scale", "multi"):
        shapes += ["in", "not_in"]
    if kind == "integer":
        shapes += ["min", "max", "range"]
    shape = rng.choice(shapes)
    if shape == "answered":
        return {"question": question, "answered": rng.random() < 0.5}
    if shape in ("in", "not_in"):
        return {"question": question, shape: rng.sample(CODES, rng.randint(1, 3))}
    bound = lambda: rng.choice([rng.randint(-2, 10), rng.randint(-4, 20) / 2])  # noqa: E731
    if shape == "range":
        low, high = sorted([bound(), bound()])
        return {"question": question, "min": low, "max": high}
    return {"question": question, shape: bound()}


def _condition(rng: random.Random, kinds: dict[str, str], depth: int = 0) -> dict[str, Any]:
    pick = rng.random()
    if depth >= 3 or pick < 0.4:
        return _atom(rng, kinds)
    if pick < 0.6:
        return {"not": _condition(rng, kinds, depth + 1)}
    parts = [_condition(rng, kinds, depth + 1) for _ in range(rng.randint(1, 3))]
    return {"all" if pick < 0.8 else "any": parts}


def generated_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        kinds = _question_set(rng)
        answers = {q: _answer(rng, kind) for q, kind in kinds.items() if rng.random() < 0.7}
        raw = _condition(rng, kinds)
        expected = holds(parse_condition(raw), kinds, answers)
        cases.append({"condition": raw, "answers": answers, "expected": expected})
    return cases


def test_the_generated_cases_cover_both_outcomes_and_every_shape():
    cases = generated_cases(15, CASES)
    outcomes = [case["expected"] for case in cases]
    assert 0.25 < sum(outcomes) / len(outcomes) < 0.75
    text = repr([case["condition"] for case in cases])
    for key in ("'in'", "'not_in'", "'min'", "'max'", "'answered'", "'all'", "'any'", "'not'"):
        assert key in text


@pytest.mark.browser
def test_javascript_evaluator_agrees_with_python(chromium):
    cases = generated_cases(15, CASES)
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><title>conditions</title>")
        page.add_script_tag(path=str(CONDITIONS_JS))
        got = page.evaluate(
            "cases => cases.map(c => MonitorConditions.holds(c.condition, c.answers))", cases
        )
    finally:
        page.close()
    wrong = [
        (case["condition"], case["answers"], case["expected"])
        for case, value in zip(cases, got, strict=True)
        if value is not case["expected"]
    ]
    assert not wrong, f"{len(wrong)} of {len(cases)} disagree, e.g. {wrong[:3]}"
