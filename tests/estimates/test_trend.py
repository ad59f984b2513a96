"""Trends read back from the stored figures: date order, and change against the latest
published figure of a group whose version reads the indicator's questions the same way,
never against a pilot; the public's trend holds published waves only."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, update

from app.closing.models import Estimate
from app.estimates.service import break_note, trend
from app.indicators.definitions import IndicatorSet, indicator_set
from app.indicators.fingerprint import fingerprint
from app.method.estimators import compare
from app.questionnaires.loader import parse_questionnaire, read_yaml
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import publish
from app.waves.models import Wave
from app.waves.service import create_wave, publish_wave
from tests.support import FIXTURES, load_fixture

MINI = load_fixture()
DEFS = indicator_set(FIXTURES / "defs")


def version(version_id: str, reword: str | None = None) -> Questionnaire:
    """The mini questionnaire under another id, with question `reword` asked otherwise."""
    data, _ = read_yaml(FIXTURES / "defs" / "mini.yaml")
    data["id"] = version_id
    for module in data["modules"]:
        for question in module["questions"]:
            if question["id"] == reword:
                question["text"] = {"nl": "Anders gesteld?", "en": "Asked otherwise?"}
    questionnaire, problems = parse_questionnaire(data, "mini.yaml")
    assert questionnaire is not None, problems
    return questionnaire


def defined_for(defs: IndicatorSet, *versions: str, **rule: object) -> IndicatorSet:
    """The fixture's definitions, each indicator and denominator defined alike for more
    versions (with `rule`'s fields added to those versions' rules)."""
    indicators = tuple(
        i.model_copy(
            update={
                "versions": {
                    **i.versions,
                    **{v: i.versions["mini-2026.1"].model_copy(update=rule) for v in versions},
                }
            }
        )
        for i in defs.indicators
    )
    named = defs.denominators["mini-2026.1"]
    denominators = {**defs.denominators, **dict.fromkeys(versions, named)}
    return defs.model_copy(update={"indicators": indicators, "denominators": denominators})


def closed_wave(
    session,
    wave_id: str,
    version: str,
    opens: date,
    figures: dict[str, tuple | None],
    series_break: bool = False,
    pilot: bool = False,
    published: bool = True,
) -> None:
    """A closed wave with stored figures: group -> (estimate, se) or None (suppressed)."""
    create_wave(session, wave_id, version, opens, opens, pilot=pilot)
    session.execute(update(Wave).where(Wave.id == wave_id).values(status="closed"))
    if published and not pilot:
        publish_wave(session, wave_id, opens)
    session.execute(
        insert(Estimate),
        [
            {
                "wave_id": wave_id,
                "indicator": "threat",
                "breakdown": "unit",
                "group_code": group,
                "estimate": None if f is None else f[0],
                "se": None if f is None else f[1],
                "ci_low": None,
                "ci_high": None,
                "n": None if f is None else 50,
                "suppressed": f is None,
                "reason": None if f is not None else "min_cell",
                "series_break": series_break,
            }
            for group, f in figures.items()
        ],
    )


def test_change_against_the_latest_published_figure_never_across_a_break(session):
    publish(session, MINI)
    publish(session, version("mini-2027.1", reword="threat"))
    # Ids out of date order: waves are read in date order.
    closed_wave(
        session, "e", "mini-2027.1", date(2028, 3, 1), {"pol-ams": (0.30, 0.02)}, series_break=True
    )
    closed_wave(
        session,
        "a",
        "mini-2026.1",
        date(2024, 3, 1),
        {"pol-ams": (0.40, 0.02), "pol-rot": (0.5, 0.03)},
    )
    closed_wave(
        session,
        "c",
        "mini-2026.1",
        date(2026, 3, 1),
        {"pol-ams": (0.45, 0.01), "pol-rot": (0.6, 0.03)},
    )
    closed_wave(
        session, "b", "mini-2026.1", date(2025, 3, 1), {"pol-ams": None, "pol-rot": (0.55, 0.03)}
    )
    closed_wave(
        session,
        "d",
        "mini-2027.1",
        date(2027, 3, 1),
        {"pol-ams": (0.20, 0.02), "pol-rot": None},
        series_break=True,
    )
    session.flush()
    points = trend(session, defined_for(DEFS, "mini-2027.1"), DEFS.get("threat"), "unit")
    assert [(p.wave.id, p.figure.group_code) for p in points] == [
        ("a", "pol-ams"),
        ("a", "pol-rot"),
        ("b", "pol-ams"),
        ("b", "pol-rot"),
        ("c", "pol-ams"),
        ("c", "pol-rot"),
        ("d", "pol-ams"),
        ("d", "pol-rot"),
        ("e", "pol-ams"),
    ]
    got = {(p.wave.id, p.figure.group_code): p for p in points}
    assert got["a", "pol-ams"].change is None
    assert got["b", "pol-ams"].change is None  # suppressed
    vs, change = got["c", "pol-ams"].change  # skips the suppressed 2025 figure
    assert vs == "a"
    assert change == compare((0.45, 0.01, None, None), (0.40, 0.02, None, None), "proportion")
    assert got["c", "pol-rot"].change[0] == "b"
    # The new wording breaks the series: no change across it, for any group.
    assert got["d", "pol-ams"].series_break and got["d", "pol-ams"].change is None
    assert not any(p.series_break for p in points if p.wave.id in "abc")
    # The next wave on the same version compares with the first one after the break.
    assert not got["e", "pol-ams"].series_break
    vs, change = got["e", "pol-ams"].change
    assert vs == "d" and change.difference == pytest.approx(0.10)


def waves_back_and_forth(session, second: Questionnaire) -> None:
    """2026: mini-2026.1, 2027: `second`, 2028: mini-2026.1 again, 2029: `second` again."""
    publish(session, MINI)
    publish(session, second)
    figures = [(0.40, 0.02), (0.20, 0.02), (0.42, 0.02), (0.22, 0.02)]
    for year, (figure, questionnaire) in enumerate(
        zip(figures, [MINI, second, MINI, second], strict=True), start=2026
    ):
        closed_wave(session, str(year), questionnaire.id, date(year, 3, 1), {"pol-ams": figure})
    session.flush()


def test_going_back_to_an_older_wording_breaks_the_series_again(session):
    """Issue 12, case 3: 2026.1 -> 2027.1 -> 2026.1 is two breaks, and each wave compares
    with the latest one that asked the same question the same way."""
    waves_back_and_forth(session, version("mini-2027.1", reword="threat"))
    defs = defined_for(DEFS, "mini-2027.1")
    points = {p.wave.id: p for p in trend(session, defs, defs.get("threat"), "unit")}
    assert [points[w].series_break for w in ("2026", "2027", "2028", "2029")] == [
        False,
        True,
        True,
        True,
    ]
    assert points["2027"].change is None
    assert points["2028"].change[0] == "2026"  # not 2027, across the wording
    assert points["2028"].change[1].difference == pytest.approx(0.02)
    assert points["2029"].change[0] == "2027"
    assert points["2028"].break_between == ("mini-2027.1", "mini-2026.1")
    general = break_note(defs.get("threat"), points["2028"].break_between, "en")
    assert "mini-2026.1" in general and "cannot be compared" in general


def test_a_rewording_the_indicator_does_not_read_keeps_the_series(session):
    waves_back_and_forth(session, version("mini-2027.1", reword="reasons"))
    defs = defined_for(DEFS, "mini-2027.1")
    threat = defs.get("threat")
    points = {p.wave.id: p for p in trend(session, defs, threat, "unit")}
    assert not any(p.series_break for p in points.values())
    assert [points[w].change[0] for w in ("2027", "2028", "2029")] == ["2026", "2027", "2028"]
    # An indicator that reads `reasons` breaks there.
    reasons = defs.get("supervisor_support")
    assert fingerprint(defs, reasons, MINI) != fingerprint(
        defs, reasons, version("mini-2027.1", reword="reasons")
    )
    assert fingerprint(defs, threat, MINI) == fingerprint(
        defs, threat, version("mini-2027.1", reword="reasons")
    )


def test_versions_declared_comparable_keep_the_series(session):
    waves_back_and_forth(session, version("mini-2027.1", reword="threat"))
    defs = defined_for(DEFS, "mini-2027.1", comparable_with=("mini-2026.1",))
    points = {p.wave.id: p for p in trend(session, defs, defs.get("threat"), "unit")}
    assert not any(p.series_break for p in points.values())
    assert [points[w].change[0] for w in ("2027", "2028", "2029")] == ["2026", "2027", "2028"]


def test_a_pilot_is_never_the_reference_of_a_change(session):
    publish(session, MINI)
    publish(session, MINI.model_copy(update={"id": "mini-2027.1"}))
    closed_wave(session, "a", "mini-2026.1", date(2024, 3, 1), {"pol-ams": (0.40, 0.02)})
    # A pilot of the next version, which breaks the series, right before the real wave.
    closed_wave(
        session,
        "pilot",
        "mini-2027.1",
        date(2025, 1, 1),
        {"pol-ams": (0.90, 0.05)},
        series_break=True,
        pilot=True,
    )
    closed_wave(session, "b", "mini-2026.1", date(2025, 3, 1), {"pol-ams": (0.45, 0.01)})
    closed_wave(
        session, "p2", "mini-2026.1", date(2025, 9, 1), {"pol-ams": (0.2, 0.04)}, pilot=True
    )
    closed_wave(session, "c", "mini-2026.1", date(2026, 3, 1), {"pol-ams": (0.50, 0.01)})
    session.flush()
    defs = defined_for(DEFS, "mini-2027.1", series_break=True)
    got = {p.wave.id: p for p in trend(session, defs, defs.get("threat"), "unit")}
    assert list(got) == ["a", "pilot", "b", "p2", "c"]  # analysts see the pilots' points
    # The pilot's new wording breaks against the series, but the series goes on past it.
    assert got["pilot"].series_break and got["pilot"].change is None
    assert not got["b"].series_break
    assert got["b"].change == (
        "a",
        compare((0.45, 0.01, None, None), (0.40, 0.02, None, None), "proportion"),
    )
    # A pilot on the series' version is compared with the series; the next wave skips it.
    assert got["p2"].change == (
        "b",
        compare((0.2, 0.04, None, None), (0.45, 0.01, None, None), "proportion"),
    )
    assert got["c"].change == (
        "b",
        compare((0.50, 0.01, None, None), (0.45, 0.01, None, None), "proportion"),
    )


def test_a_series_that_begins_with_a_pilot_begins_at_its_first_real_wave(session):
    publish(session, MINI)
    closed_wave(
        session, "pilot", "mini-2026.1", date(2024, 1, 1), {"pol-ams": (0.3, 0.02)}, pilot=True
    )
    closed_wave(session, "a", "mini-2026.1", date(2024, 3, 1), {"pol-ams": (0.40, 0.02)})
    session.flush()
    got = {p.wave.id: p for p in trend(session, DEFS, DEFS.get("threat"), "unit")}
    assert got["pilot"].change is None and got["a"].change is None


def test_the_public_trend_holds_published_waves_and_compares_with_them_only(session):
    publish(session, MINI)
    closed_wave(session, "a", "mini-2026.1", date(2024, 3, 1), {"pol-ams": (0.40, 0.02)})
    closed_wave(
        session, "b", "mini-2026.1", date(2025, 3, 1), {"pol-ams": (0.45, 0.01)}, published=False
    )
    closed_wave(
        session, "pilot", "mini-2026.1", date(2025, 9, 1), {"pol-ams": (0.9, 0.01)}, pilot=True
    )
    closed_wave(session, "c", "mini-2026.1", date(2026, 3, 1), {"pol-ams": (0.50, 0.01)})
    session.flush()
    public = {
        p.wave.id: p for p in trend(session, DEFS, DEFS.get("threat"), "unit", published_only=True)
    }
    assert list(public) == ["a", "c"]
    assert public["c"].change == (
        "a",
        compare((0.50, 0.01, None, None), (0.40, 0.02, None, None), "proportion"),
    )
    every = {p.wave.id: p for p in trend(session, DEFS, DEFS.get("threat"), "unit")}
    assert list(every) == ["a", "b", "pilot", "c"]
    assert every["c"].change[0] == "b"  # analysts compare with the unpublished wave
