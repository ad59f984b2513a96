"""indicators.yaml: every mistake found with a stable code; `monitor survey validate`."""

from __future__ import annotations

import shutil
import textwrap

import pytest
import yaml
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.indicators.definitions import (
    CONTRACT_INDICATORS,
    IndicatorsUnavailable,
    check_indicators,
    indicator_set,
    load_indicators,
    parse_indicators,
    require_version,
)
from app.questionnaires.loader import load_directory
from tests.support import FIXTURES, load_fixture

MINI = load_fixture()
PROJECT_DEFS = FIXTURES.parents[1] / "survey_defs"


def indicator(**fields):
    """One well-formed indicator on the mini questionnaire, with `fields` changed."""
    base = {
        "id": "threat",
        "label": {"nl": "Bedreigd", "en": "Threatened"},
        "description": {"nl": "Bedreigd.", "en": "Threatened."},
        "kind": "proportion",
        "denominator": "all",
        "public": True,
        "versions": {"mini-2026.1": {"value": {"question": "threat", "in": ["once", "several"]}}},
    }
    base.update(fields)
    return base


def problems(*indicators, denominators=None, families=None):
    """(where, code) of every problem but the contract's missing ids."""
    data = {
        "families": families or {},
        "denominators": denominators
        if denominators is not None
        else {"mini-2026.1": {"threatened": {"question": "threat", "in": ["once", "several"]}}},
        "indicators": list(indicators),
    }
    defs, found = parse_indicators(data, "indicators.yaml")
    if defs is not None:
        found += check_indicators(defs, {MINI.id: MINI}, "indicators.yaml")
    return {(p.where, p.code) for p in found if p.code != "missing_indicator"}


def value(condition):
    return {"versions": {"mini-2026.1": {"value": condition}}}


@pytest.mark.parametrize("folder", [FIXTURES / "defs", PROJECT_DEFS], ids=["fixture", "project"])
def test_the_shipped_definitions_are_valid(folder):
    questionnaires = {q.id: q for q in load_directory(folder).questionnaires}
    defs, found = load_indicators(folder, questionnaires)
    assert found == []
    assert {i.id for i in defs.indicators} >= set(CONTRACT_INDICATORS)


def test_a_well_formed_indicator_has_no_problems():
    assert problems(indicator()) == set()


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ({"question": "nope", "in": ["x"]}, "unknown_question"),
        ({"question": "threat", "in": ["once", "maybe"]}, "unknown_option"),
        ({"question": "threat_count", "in": ["once"]}, "condition_type_mismatch"),
        ({"question": "threat", "min": 1}, "condition_type_mismatch"),
        ({"question": "comment", "answered": True}, "text_question"),
    ],
)
def test_conditions_are_checked_against_the_questions(condition, code):
    assert ("threat.mini-2026.1.value", code) in problems(indicator(**value(condition)))


@pytest.mark.parametrize(
    "condition",
    [
        {"question": "threat", "in": ["maybe", "perhaps"]},
        {"question": "threat_count", "min": 5, "max": 2},
        {"question": "threat_count", "min": 100},
        {"all": [{"question": "threat", "in": ["no"]}, {"question": "threat", "in": ["once"]}]},
        {"all": [{"question": "threat_count", "min": 50}, {"question": "threat_count", "max": 10}]},
        {"all": [{"question": "threat", "answered": False}, {"question": "threat", "in": ["no"]}]},
        {
            "all": [
                {"question": "reasons", "in": ["job"]},
                {"question": "reasons", "not_in": ["job"]},
            ]
        },
        {"question": "reasons", "not_in": ["minor", "job", "none"]},
        {"any": [{"question": "threat", "in": ["maybe"]}, {"question": "threat_count", "max": 0}]},
        {
            "all": [
                {"question": "threat", "in": ["no"]},
                {"all": [{"question": "threat_count", "max": 0}]},
            ]
        },
    ],
)
def test_a_condition_that_can_never_hold(condition):
    assert ("threat.mini-2026.1.value", "never_holds") in problems(indicator(**value(condition)))


@pytest.mark.parametrize(
    "condition",
    [
        {"any": [{"question": "threat", "in": ["maybe"]}, {"question": "threat", "in": ["no"]}]},
        {"all": [{"question": "reasons", "in": ["job"]}, {"question": "reasons", "in": ["minor"]}]},
        {"all": [{"question": "threat_count", "min": 2.5}, {"question": "threat_count", "max": 3}]},
        {"not": {"question": "threat", "answered": True}},
        {"question": "threat", "answered": False},
        # Routing makes this impossible (threat_count is asked only after a threat); that
        # is beyond the simple check, which looks at one question at a time.
        {"all": [{"question": "threat", "in": ["no"]}, {"question": "threat_count", "min": 1}]},
    ],
)
def test_conditions_that_can_hold_are_not_flagged(condition):
    assert ("threat.mini-2026.1.value", "never_holds") not in problems(
        indicator(**value(condition))
    )


def test_versions_denominators_and_texts():
    found = problems(
        indicator(id="a", versions={}),
        indicator(
            id="b", versions={"mini-2030.1": {"value": {"question": "threat", "in": ["no"]}}}
        ),
        indicator(id="c", denominator="victims"),
        indicator(id="d", label={"nl": "Alleen Nederlands"}),
        indicator(id="e", description={"nl": "x", "en": "y", "de": "z"}),
        indicator(id="f", label=None),
        indicator(
            id="g",
            versions={
                "mini-2026.1": {"value": {"question": "threat", "in": ["no"]}, "series_break": True}
            },
        ),
        indicator(
            id="h",
            versions={
                "mini-2026.1": {
                    "value": {"question": "threat", "in": ["no"]},
                    "break_note": {"nl": "x", "en": "y"},
                }
            },
        ),
        indicator(id="h"),
        indicator(id="Bad-Id"),
        indicator(
            id="k",
            versions={
                "mini-2026.1": {
                    "value": {"question": "threat", "in": ["no"]},
                    "comparable_with": ["mini-2031.1"],
                }
            },
        ),
        denominators={
            "mini-2026.1": {
                "threatened": {"question": "threat", "in": ["once"]},
                "hurt": {"question": "threat", "in": ["once"]},
            }
        },
    )
    assert found >= {
        ("a", "missing_version"),
        ("b", "missing_version"),
        ("b.mini-2030.1", "unknown_version"),
        ("denominators.mini-2026.1", "missing_denominator"),
        ("denominators.mini-2026.1", "unknown_denominator"),
        ("d", "missing_translation"),
        ("e", "unknown_language"),
        ("f", "missing_label"),
        ("g.mini-2026.1", "missing_break_note"),
        ("h.mini-2026.1", "misplaced_field"),
        ("h", "duplicate_indicator"),
        ("Bad-Id", "invalid_id"),
        ("k.mini-2026.1.comparable_with.mini-2031.1", "unknown_version"),
    }


def test_means_and_proportions_have_their_own_fields():
    found = problems(
        indicator(id="m1", kind="mean"),
        indicator(id="m2", kind="mean", versions={"mini-2026.1": {"mean_of": "threat"}}),
        indicator(id="m3", kind="mean", versions={"mini-2026.1": {"mean_of": "nope"}}),
        indicator(id="p1", versions={"mini-2026.1": {"mean_of": "threat_count"}}),
    )
    assert found >= {
        ("m1.mini-2026.1", "missing_mean_of"),
        ("m1.mini-2026.1", "misplaced_field"),
        ("m2.mini-2026.1.mean_of", "condition_type_mismatch"),
        ("m3.mini-2026.1.mean_of", "unknown_question"),
        ("p1.mini-2026.1", "missing_value"),
        ("p1.mini-2026.1", "misplaced_field"),
    }


def test_structure_errors_point_at_the_indicator():
    assert ("threat", "invalid_structure") in problems(indicator(kind="median"))
    assert ("threat", "invalid_structure") in problems(indicator(colour="blue"))


def test_every_contract_indicator_must_be_defined():
    defs, _ = parse_indicators({"indicators": [indicator()]}, "indicators.yaml")
    missing = {
        p.where
        for p in check_indicators(defs, {MINI.id: MINI}, "indicators.yaml")
        if p.code == "missing_indicator"
    }
    assert missing == set(CONTRACT_INDICATORS) - {"threat"}


def test_the_application_refuses_definitions_that_do_not_fit(tmp_path):
    with pytest.raises(IndicatorsUnavailable, match=r"no indicators\.yaml"):
        indicator_set(tmp_path)
    (tmp_path / "indicators.yaml").write_text("indicators: [", encoding="utf-8")
    with pytest.raises(IndicatorsUnavailable) as refused:
        indicator_set(tmp_path)
    assert refused.value.errors[0].code == "yaml_syntax"
    other = MINI.model_copy(update={"id": "mini-2027.1"})
    with pytest.raises(IndicatorsUnavailable) as refused:
        require_version(indicator_set(FIXTURES / "defs"), other)
    assert {e.code for e in refused.value.errors} == {"missing_version", "missing_denominator"}


def test_the_file_is_read_again_when_it_changes(tmp_path):
    shutil.copy(FIXTURES / "defs" / "indicators.yaml", tmp_path / "indicators.yaml")
    assert indicator_set(tmp_path).get("threat").public
    data = yaml.safe_load((tmp_path / "indicators.yaml").read_text(encoding="utf-8"))
    next(i for i in data["indicators"] if i["id"] == "threat")["public"] = False
    (tmp_path / "indicators.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert not indicator_set(tmp_path).get("threat").public


# --- monitor survey validate -------------------------------------------------------------


@pytest.fixture
def validate(tmp_path, monkeypatch):
    defs = tmp_path / "defs"
    shutil.copytree(FIXTURES / "defs", defs)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(defs))
    get_settings.cache_clear()
    yield defs, lambda: CliRunner().invoke(app, ["survey", "validate"])
    get_settings.cache_clear()


def test_validate_checks_indicators_too(validate):
    defs, run = validate
    assert run().exit_code == 0
    path = defs / "indicators.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("in: [pol-ops, om-ovj]", "in: [pol-ops, om-ovk]")
    )
    result = run()
    assert result.exit_code == 1
    assert "indicators.yaml: fear_private.mini-2026.1.value: [unknown_option]" in result.stderr


def test_validate_without_indicators_file_checks_questionnaires_only(validate):
    defs, run = validate
    (defs / "indicators.yaml").unlink()
    assert run().exit_code == 0


def test_a_new_version_without_indicators_fails_validate_but_not_diff(validate):
    defs, run = validate
    text = (defs / "mini.yaml").read_text(encoding="utf-8")
    (defs / "mini2.yaml").write_text(text.replace("mini-2026.1", "mini-2027.1"), encoding="utf-8")
    result = run()
    assert result.exit_code == 1
    assert "indicators.yaml: threat: [missing_version]" in result.stderr
    diff = CliRunner().invoke(app, ["survey", "diff", "mini-2026.1", "mini-2027.1"])
    assert diff.exit_code == 0, diff.stderr


def test_questionnaire_problems_are_not_repeated_for_indicators(validate):
    defs, run = validate
    path = defs / "mini.yaml"
    path.write_text(textwrap.dedent(path.read_text(encoding="utf-8")).replace("max: 99", "max: 0"))
    result = run()
    assert "min_greater_than_max" in result.stderr
    assert "indicators.yaml" not in result.stderr


FAMILY = {"threats": {"label": {"nl": "Bedreigingen", "en": "Threats"}}}
COUNTED = {"question": "threat", "in": ["no", "once", "several"]}


def member(code: str, order: int, **fields):
    """A member of the family `threats`: the share answering `code`."""
    rule = {"value": {"question": "threat", "in": [code]}, "valid_if": COUNTED}
    return indicator(
        id=f"threat_{code}",
        family="threats",
        category=code,
        category_order=order,
        category_label={"nl": code, "en": code},
        versions={"mini-2026.1": rule},
        **fields,
    )


def test_a_family_is_proportions_over_one_denominator_each_with_its_own_place():
    assert problems(member("no", 1), member("once", 2), families=FAMILY) == set()
    assert problems(member("no", 1), member("once", 2)) >= {
        ("threat_no", "invalid_family"),
        ("threat_once", "invalid_family"),
    }
    assert ("threat_once", "invalid_family") in problems(
        member("no", 1), member("once", 2, denominator="threatened"), families=FAMILY
    )
    assert ("families.threats", "invalid_family") in problems(
        member("no", 1), member("once", 1), families=FAMILY
    )
    assert ("families.threats", "invalid_family") in problems(member("no", 1), families=FAMILY)
    other_valid = member("once", 2)
    other_valid["versions"]["mini-2026.1"]["valid_if"] = {"question": "threat", "answered": True}
    assert ("threat_once", "invalid_family") in problems(
        member("no", 1), other_valid, families=FAMILY
    )
    loose = indicator(category="no", category_order=1)
    assert ("threat", "invalid_family") in problems(loose)
    unlabelled = member("once", 2)
    del unlabelled["category_label"]
    assert ("threat_once", "invalid_family") in problems(
        member("no", 1), unlabelled, families=FAMILY
    )


def test_a_mean_per_100_and_absent_as_belong_to_means():
    per_100 = indicator(
        id="count_per_100",
        kind="mean",
        scale=100,
        versions={"mini-2026.1": {"mean_of": "threat_count", "absent_as": 0}},
    )
    assert problems(per_100) == set()
    assert ("threat", "invalid_scale") in problems(indicator(scale=100))
    assert ("count_per_100", "invalid_scale") in problems({**per_100, "scale": 0})
    misplaced = indicator(
        versions={"mini-2026.1": {**value(COUNTED)["versions"]["mini-2026.1"], "absent_as": 0}}
    )
    assert ("threat.mini-2026.1", "misplaced_field") in problems(misplaced)
