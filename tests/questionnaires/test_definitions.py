"""Definition files: every mistake found, with file, question and a stable code."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.questionnaires.loader import (
    canonical_json,
    content_hash,
    diff,
    load_directory,
    localized,
)
from tests.support import FIXTURES, load_fixture

MINI = (FIXTURES / "defs" / "mini.yaml").read_text(encoding="utf-8")


def problems_of(tmp_path: Path, text: str, name: str = "q.yaml") -> set[tuple[str, str, str]]:
    (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    result = load_directory(tmp_path)
    return {(p.file, p.where, p.code) for p in result.problems}


def test_the_fixture_is_valid(tmp_path):
    assert problems_of(tmp_path, MINI) == set()


def test_a_definition_with_every_kind_of_mistake(tmp_path):
    broken = MINI.replace("id: mini-2026.1", "id: Mini 2026")
    broken = broken.replace("      - id: comment\n", "      - id: threat\n")  # duplicate id
    broken = broken.replace(
        "          - {code: several,", "          - {code: once,"
    )  # duplicate option
    broken = broken.replace("        min: 1\n        max: 99", "        min: 9\n        max: 1")
    broken = broken.replace("{nl: Toelichting, en: Comment}", "{nl: Toelichting}")
    broken = broken.replace("type: multi", "type: checkbox")
    broken = broken.replace(
        "show_if: {question: threat, in: [once, several]}",
        "show_if: {question: reasons, answered: true}",  # a later question
    )
    broken = broken.replace(
        'show_if: {question: threat, not_in: ["no"]}',
        "show_if: {question: threat, in: [maybe]}",  # unknown code
    )
    found = problems_of(tmp_path, broken)
    codes = {code for _, _, code in found}
    assert {
        "invalid_version_id",
        "duplicate_question_id",
        "duplicate_option",
        "min_greater_than_max",
        "missing_translation",
        "unknown_type",
        "forward_reference",
        "unknown_option",
    } <= codes
    assert ("q.yaml", "threat_count", "min_greater_than_max") in found
    assert ("q.yaml", "threat_count", "forward_reference") in found
    assert ("q.yaml", "reasons", "unknown_option") in found
    assert ("q.yaml", "reasons", "unknown_type") in found


@pytest.mark.parametrize(
    ("old", "new", "where", "code"),
    [
        ("type: integer", "type: scale", "threat_count", "missing_options"),
        ("        max_length: 200\n", "", "comment", "missing_max_length"),
        (
            "show_if: {question: threat, in: [once, several]}",
            "show_if: {question: threat, min: 1}",
            "threat_count",
            "condition_type_mismatch",
        ),
        (
            "show_if: {question: threat, in: [once, several]}",
            "show_if: {question: threat, is: 1}",
            "threat_count",
            "invalid_structure",
        ),
        (
            "organisation: pol, label: {nl: Eenheid Amsterdam",
            "organisation: kmar, label: {nl: Eenheid Amsterdam",
            "unit",
            "unknown_organisation",
        ),
        (
            "      - id: function_group\n        type: single",
            "      - id: function_group\n        type: text",
            "function_group",
            "invalid_background",
        ),
        (
            "{code: once,",
            "{code: once-upon-a-time-in-the-west-of-the-country,",
            "threat",
            "invalid_option_code",
        ),
        ("id: threat_count", "id: ThreatCount", "ThreatCount", "invalid_id"),
        (
            "        required: false\n        text: {nl: Toelichting",
            "        colour: red\n        text: {nl: Toelichting",
            "comment",
            "invalid_structure",
        ),
    ],
)
def test_single_mistakes_have_stable_codes(tmp_path, old, new, where, code):
    assert old in MINI
    assert (("q.yaml", where, code)) in problems_of(tmp_path, MINI.replace(old, new, 1))


def test_yaml_syntax_error_points_at_the_line(tmp_path):
    found = problems_of(tmp_path, "id: x\nmodules: [\n")
    assert {code for _, _, code in found} == {"yaml_syntax"}


def test_two_files_with_one_version(tmp_path):
    (tmp_path / "a.yaml").write_text(MINI, encoding="utf-8")
    assert ("b.yaml", "mini-2026.1", "duplicate_version") in problems_of(tmp_path, MINI, "b.yaml")


def test_served_json_has_the_contract_shape_in_both_languages():
    questionnaire = load_fixture()
    nl, en = localized(questionnaire, "nl"), localized(questionnaire, "en")
    assert nl["language"] == "nl" and en["language"] == "en"
    assert nl["content_hash"] == content_hash(canonical_json(questionnaire)) == en["content_hash"]
    unit = nl["modules"][0]["questions"][1]
    assert unit["id"] == "unit" and unit["type"] == "single" and unit["required"] is True
    assert {"code": "pol-ams", "label": "Eenheid Amsterdam", "organisation": "pol"}.items() <= unit[
        "options"
    ][0].items()
    count = en["modules"][1]["questions"][1]
    assert count == {
        "id": "threat_count",
        "type": "integer",
        "text": "How often?",
        "required": False,
        "min": 1,
        "max": 99,
        "show_if": {"question": "threat", "in": ["once", "several"]},
    }


def test_canonical_json_ignores_formatting_but_not_content():
    a = load_fixture()
    b = a.model_copy()
    assert canonical_json(a) == canonical_json(b)
    reworded = a.model_validate_json(canonical_json(a).replace("Hoe vaak?", "Hoe vaak ongeveer?"))
    assert content_hash(canonical_json(a)) != content_hash(canonical_json(reworded))


def test_diff_lists_added_removed_and_changed_questions():
    old = load_fixture()
    new = old.model_validate_json(
        canonical_json(old)
        .replace("Hoe vaak?", "Hoe vaak ongeveer?")
        .replace('"id":"comment"', '"id":"remark"')
    )
    result = diff(old, new)
    assert result.added == ["remark"]
    assert result.removed == ["comment"]
    assert result.changed == {"threat_count": ["text"]}


BREAKDOWN = """
      - id: {id}
        type: {type}
        required: {required}
        breakdown: {name}
        text: {{nl: Leeftijd, en: Age}}
        options:
          - {{code: young, label: {{nl: Jong, en: Young}}}}
          - {{code: old, label: {{nl: Oud, en: Old}}}}
"""


def with_breakdown(**fields: str) -> str:
    given = {"id": "age", "type": "single", "required": "true", "name": "{nl: Leeftijd, en: Age}"}
    given.update(fields)
    # after the background module's last question, before the next module
    return MINI.replace(
        "  - id: screener\n", BREAKDOWN.format(**given).lstrip("\n") + "  - id: screener\n"
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, None),
        ({"type": "scale"}, None),
        ({"type": "multi"}, "invalid_breakdown"),
        ({"required": "false"}, "invalid_breakdown"),
        ({"id": "an_id_of_seventeen"}, "invalid_breakdown"),
        ({"id": "none"}, "invalid_breakdown"),
        ({"name": "{nl: Leeftijd}"}, "missing_translation"),
    ],
)
def test_a_breakdown_is_a_required_single_answer_with_a_name(tmp_path, fields, code):
    found = problems_of(tmp_path, with_breakdown(**fields))
    assert {c for _, _, c in found} == ({code} if code else set())


def test_a_breakdown_name_marks_only_that_question_in_the_canonical_form(tmp_path):
    (tmp_path / "q.yaml").write_text(with_breakdown(), encoding="utf-8")
    (questionnaire,) = load_directory(tmp_path).questionnaires
    assert [q.id for q in questionnaire.breakdowns()] == ["age"]
    assert canonical_json(questionnaire).count('"breakdown"') == 1
    assert canonical_json(load_fixture()).count('"breakdown"') == 0
