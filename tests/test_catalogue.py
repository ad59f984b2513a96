"""One catalogue of problem codes (app.problems.Code): every problem the monitor reports
is made from it, so its codes and messages are defined once."""

from __future__ import annotations

import ast
from pathlib import Path

from app.indicators.definitions import parse_indicators
from app.problems import Code
from app.questionnaires.schema import DefinitionProblem, text_problems
from app.waves.service import parse_frame
from tests.support import load_fixture

APP = Path(__file__).parent.parent / "app"
MAKERS = {"FieldError": 1, "DefinitionProblem": 2}  # where the code stands in the call


def loose_codes(source: str, name: str) -> list[str]:
    """Problems made with a written-out code instead of one from the catalogue."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            position = MAKERS.get(node.func.id)
            if position is not None and len(node.args) > position:
                code = node.args[position]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.append(f"{name}:{node.lineno}: {code.value}")
        # (code, message) pairs as the question kinds return them: two texts
        if isinstance(node, ast.Tuple) and len(node.elts) == 2:
            code, message = node.elts
            if (
                isinstance(code, ast.Constant)
                and isinstance(code.value, str)
                and isinstance(message, ast.JoinedStr | ast.Constant)
                and code.value.isidentifier()
                and code.value.islower()
                and "_" in code.value
                and isinstance(getattr(message, "value", ""), str)
                and " " in ast.unparse(message)
            ):
                found.append(f"{name}:{node.lineno}: {code.value}")
    return found


def test_every_problem_is_made_from_the_catalogue():
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "problems.py":
            continue  # the catalogue itself
        found += loose_codes(path.read_text(encoding="utf-8"), str(path.relative_to(APP)))
    assert found == []


def test_the_scan_finds_a_code_written_out():
    source = 'FieldError("loc", "made_up", "m")\ndef f():\n    return "made_up", f"not {f} here"\n'
    assert len(loose_codes(source, "x.py")) == 2


def test_each_code_is_defined_once_and_its_message_is_its_template():
    values = [code.value for code in Code]
    assert len(values) == len(set(values))
    assert Code("required") is Code.REQUIRED
    assert Code.OUT_OF_RANGE.says(min=1, max=99) == (Code.OUT_OF_RANGE, "must be between 1 and 99")


def test_a_missing_translation_reads_the_same_in_questionnaires_and_indicators():
    questionnaire_side = text_problems({"nl": "Titel", "de": "Titel"}, "q.yaml", "q", "title")
    indicators = {
        "indicators": [
            {
                "id": "x",
                "label": {"nl": "X", "de": "X"},
                "description": {"nl": "X", "en": "X"},
                "kind": "proportion",
                "denominator": "all",
                "versions": {"v-2026.1": {"value": {"question": "a", "in": ["b"]}}},
            }
        ]
    }
    _, found = parse_indicators(indicators, "indicators.yaml")
    indicator_side = [
        p for p in found if p.code in (Code.MISSING_TRANSLATION, Code.UNKNOWN_LANGUAGE)
    ]
    assert [(p.code, p.message.replace("label", "title")) for p in indicator_side] == [
        (p.code, p.message) for p in questionnaire_side
    ]
    assert all(isinstance(p, DefinitionProblem) for p in indicator_side)


def test_a_frame_with_an_unknown_organisation_names_the_known_ones():
    frame = "organisation,unit,function_group,headcount\nkmar,pol-ams,pol-basis,10\n"
    try:
        parse_frame(frame, load_fixture())
    except Exception as refused:
        errors = refused.errors  # type: ignore[attr-defined]
    codes = {e.code: e.message for e in errors}
    assert codes[Code.UNKNOWN_ORGANISATION].startswith("unknown organisation 'kmar'")
    assert "known: om, pol" in codes[Code.UNKNOWN_ORGANISATION]
