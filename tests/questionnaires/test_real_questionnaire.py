"""The shipped questionnaires: valid, bilingual, versioned, and routed as intended."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.questionnaires.loader import diff, load_directory
from app.questionnaires.schema import BACKGROUND_QUESTIONS
from app.responses.validation import visible_questions

SURVEY_DEFS = Path(__file__).resolve().parents[2] / "survey_defs"


@pytest.fixture(scope="module")
def versions():
    result = load_directory(SURVEY_DEFS)
    assert result.problems == []
    return {q.id: q for q in result.questionnaires}


def test_both_versions_are_valid(versions):
    assert {"mm-2026.1", "mm-2027.1"} <= set(versions)


def test_modules_a_to_g(versions):
    modules = [m.id for m in versions["mm-2026.1"].modules]
    assert modules == [
        "background",
        "screener",
        "incident",
        "consequences",
        "reporting",
        "handling",
        "perceptions",
    ]


def test_background_lists_are_filtered_by_organisation(versions):
    questionnaire = versions["mm-2026.1"]
    assert [q.id for q in questionnaire.modules[0].questions[:3]] == list(BACKGROUND_QUESTIONS)
    for qid in ("unit", "function_group"):
        owners = {o.organisation for o in questionnaire.question(qid).options or ()}
        assert owners == {"pol", "om"}
    units = {
        o.code for o in questionnaire.question("unit").options or () if o.organisation == "pol"
    }
    assert len(units) >= 12  # 10 regional units, Landelijke Eenheid, PDC


def test_the_next_version_changes_wording(versions):
    changes = diff(versions["mm-2026.1"], versions["mm-2027.1"])
    assert any("text" in fields for fields in changes.changed.values())


def test_nobody_sees_incident_questions_without_an_incident(versions):
    questionnaire = versions["mm-2026.1"]
    screener = [q for q in questionnaire.modules[1].questions if q.show_if is None]
    unaffected = {"organisation": "pol", "unit": "pol-ams", "function_group": "pol-basis"}
    unaffected |= {q.id: "no" for q in screener}
    shown = {q.id for q in visible_questions(questionnaire, unaffected)}
    later = {q.id for m in questionnaire.modules[2:6] for q in m.questions}
    assert not shown & later
    perceptions = {q.id for q in questionnaire.modules[6].questions}
    assert perceptions <= shown  # module G is for everyone


def test_a_threatened_respondent_is_asked_about_the_incident(versions):
    questionnaire = versions["mm-2026.1"]
    answers = {
        "organisation": "pol",
        "unit": "pol-ams",
        "function_group": "pol-basis",
        "threat": "once",
    }
    shown = {q.id for q in visible_questions(questionnaire, answers)}
    assert {"escalation", "private_sphere", "sick_leave_days", "satisfaction"} <= shown
