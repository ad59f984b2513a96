"""Figures stored at close: what they are computed from, and trends read back from them."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from app.closing.figures import compute_figures, wave_sample
from app.closing.models import Estimate
from app.closing.service import close_wave
from app.db import session_scope
from app.estimates.rates import response_rates
from app.indicators.definitions import IndicatorsUnavailable, indicator_set
from app.indicators.derive import derive
from app.method.disclosure import published_value
from app.method.estimators import estimate_groups
from app.method.groups import linked_groups
from app.method.suppression import TOTAL, suppress_hierarchy
from app.method.weights import post_stratify
from app.problems import Conflict
from app.responses.answers import load_answers
from app.responses.models import RespondentCount
from app.waves.models import Wave
from tests.builders import CELLS, filled_wave, random_answers, submit_all
from tests.support import (
    FIXTURES,
    MIN_CELL,
    answers,
    close_mini_wave,
    load_fixture,
    open_mini_wave,
)

MINI = load_fixture()
DEFS = indicator_set(FIXTURES / "defs")
HEADCOUNT = [100, 50, 80, 40, 20]  # tests.support.MINI_FRAME
GROUPS = {
    "none": [""],
    "organisation": ["om", "pol"],
    "unit": ["om-ams", "pol-ams", "pol-rot"],
    "function_group": ["om-ovj", "pol-basis", "pol-ops"],
}
PARENT = {
    ("organisation", "om"): TOTAL,
    ("organisation", "pol"): TOTAL,
    ("unit", "om-ams"): ("organisation", "om"),
    ("unit", "pol-ams"): ("organisation", "pol"),
    ("unit", "pol-rot"): ("organisation", "pol"),
    ("function_group", "om-ovj"): ("organisation", "om"),
    ("function_group", "pol-basis"): ("organisation", "pol"),
    ("function_group", "pol-ops"): ("organisation", "pol"),
}
LEVEL = {"organisation": 0, "unit": 1, "function_group": 2}


def stored(session, wave_id: str) -> dict[tuple[str, str, str], Estimate]:
    rows = session.scalars(select(Estimate).where(Estimate.wave_id == wave_id))
    return {(r.indicator, r.breakdown, r.group_code): r for r in rows}


def test_stored_estimates_are_estimate_groups_on_the_same_data(factory, session):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=1)
    figures = stored(session, "2026")
    table = load_answers(session, "2026", MINI)
    cell_of = {cell: i for i, cell in enumerate(CELLS)}
    respondent_cell = np.array(
        [cell_of[(r["organisation"], r["unit"], r["function_group"])] for r in table.rows]
    )
    design = post_stratify(
        np.array([c[0] for c in CELLS]),
        np.array([c[1] for c in CELLS]),
        np.array(HEADCOUNT),
        respondent_cell,
    )
    values = derive(DEFS, MINI, table)
    published = 0
    for indicator in DEFS.indicators:
        n, results = {}, {}
        for by, codes in GROUPS.items():
            if by == "none":
                group = np.zeros(table.size, dtype=int)
            else:
                group = np.array([codes.index(CELLS[c][LEVEL[by]]) for c in respondent_cell])
            result = estimate_groups(
                values[indicator.id], group, len(codes), design, indicator.kind
            )
            for i, code in enumerate(codes):
                key = TOTAL if by == "none" else (by, code)
                n[key] = int(result.n[i])
                results[indicator.id, by, code] = (key, result, i)
        hidden = suppress_hierarchy(n, PARENT, MIN_CELL)
        for where, (key, result, i) in results.items():
            row = figures.pop(where)
            # Small groups and their complements are hidden; the disclosure audit may hide more.
            assert row.suppressed or key not in hidden, where
            assert not row.series_break
            if row.suppressed:
                assert (row.estimate, row.ci_low, row.ci_high, row.se, row.n) == (None,) * 5
                continue
            published += 1
            assert row.n == result.n[i]
            for field in ("estimate", "se", "ci_low", "ci_high"):
                expected = getattr(result, field)[i]
                got = getattr(row, field)
                # Published rounded (README, rule 2): to half the last decimal; a small
                # group's share without its standard error.
                assert (got is None and np.isnan(expected)) or got == published_value(
                    expected, indicator.kind, field, row.n
                ), (where, field)
    assert figures == {}  # nothing else was stored
    assert published > 50  # the wave has published figures and hidden ones
    counts = session.execute(select(RespondentCount.respondents, RespondentCount.as_of)).all()
    assert sorted(c.respondents for c in counts) == sorted([30, 12, 25, 8, 12])
    assert {c.as_of for c in counts} == {None}  # final counts; no day is kept


def test_a_wave_without_responses_closes_with_every_figure_hidden(factory, session):
    open_mini_wave(factory, "2026")
    with session_scope(factory) as closing:
        close_mini_wave(closing, "2026")
    figures = stored(session, "2026")
    assert len(figures) == len(DEFS.indicators) * sum(map(len, GROUPS.values()))
    assert all(f.suppressed and f.n is None for f in figures.values())


def test_an_organisation_without_respondents_suppresses_every_figure_over_it(factory, session):
    """Issue 12, case 1: the OM (20 of 290 staff here) without respondents. Its figures,
    and the total that would silently be the police's, are suppressed for coverage; the
    police's own figures stand (an empty organisation hides nobody)."""
    filled_wave(factory, "2026", [30, 12, 25, 8, 0], seed=2)
    figures = stored(session, "2026")
    for where in (("none", ""), ("organisation", "om"), ("unit", "om-ams")):
        figure = figures["threat_intimidation", *where]
        assert figure.suppressed and figure.reason == "coverage", where
    police = figures["threat_intimidation", "organisation", "pol"]
    assert not police.suppressed and police.reason is None and police.n == 75
    assert not figures["threat_intimidation", "unit", "pol-ams"].suppressed
    rates = {
        r.group: r
        for r in response_rates(session, session.get(Wave, "2026"), "organisation", MIN_CELL)
    }
    assert rates["pol"].respondents == 75 and rates["om"].suppressed


def test_a_group_without_degrees_of_freedom_is_suppressed_for_no_interval(factory, session):
    """Issue 12, case 6: each of the 5 victims in a stratum of their own (5 cells of 6
    respondents): enough respondents at MONITOR_MIN_CELL 5, but no degrees of freedom
    for an interval. It used to be published with an estimate and no interval."""
    wave = open_mini_wave(factory, "2026", codes=30)
    batch = [
        answers(organisation=o, unit=u, function_group=f, threat="no") for o, u, f in CELLS
    ] * 5 + [
        answers(organisation=o, unit=u, function_group=f, threat="several", threat_count=4)
        for o, u, f in CELLS
    ]
    submit_all(factory, wave, batch)
    sample = wave_sample(session, session.get(Wave, "2026"))
    figures = {
        (f.indicator, f.breakdown, f.group_code): f
        for f in compute_figures(sample, DEFS, min_cell=5)
    }
    total = figures["reported_internally", "none", ""]
    assert total.suppressed and total.reason == "no_interval"
    assert (total.estimate, total.ci_low, total.ci_high, total.se, total.n) == (None,) * 5
    # All 30 respondents over 5 strata: 25 degrees of freedom, published.
    assert figures["threat_intimidation", "none", ""].reason is None
    assert figures["reported_internally", "organisation", "pol"].reason == "min_cell"


def test_a_mean_interval_stays_within_the_answers_range(factory, session):
    """Issue 12, case 5, at close: 11 victims counted 1 time, one 99 times. The t interval
    reaches below 1, the question's minimum; what is stored is cut there."""
    wave = open_mini_wave(factory, "2026", codes=60)
    counts = [1] * 11 + [99]
    batch = [answers(threat="several", threat_count=c) for c in counts]
    batch += [
        answers(organisation=o, unit=u, function_group=f, threat="no") for o, u, f in CELLS[1:]
    ] * 10
    submit_all(factory, wave, batch)
    with session_scope(factory) as closing:
        close_mini_wave(closing, "2026")
    mean = stored(session, "2026")["sick_leave_days", "none", ""]
    assert mean.n == 12 and mean.estimate == pytest.approx(110 / 12, abs=0.05)
    assert mean.ci_low == 1.0 and mean.ci_high > 20


@pytest.mark.parametrize(
    "frame, per_cell, overfull",
    [
        # The OM's cell is a stratum of its own: 5 respondents, headcount 3.
        ("pol,pol-ams,pol-basis,100\nom,om-ams,om-ovj,3\n", {0: 10, 4: 5}, 4),
        # Issue 12, case 7: pol-rot/pol-ops (headcount 2, 3 respondents) is pooled with
        # pol-rot/pol-basis into a stratum of 5 respondents and 82 staff, which hid it.
        ("pol,pol-ams,pol-basis,100\npol,pol-rot,pol-basis,80\npol,pol-rot,pol-ops,2\n"
         "om,om-ams,om-ovj,20\n", {0: 10, 2: 2, 3: 3, 4: 6}, 3),
    ],
)  # fmt: skip
def test_a_cell_with_more_respondents_than_headcount_refuses_to_close(
    factory, session, frame, per_cell, overfull
):
    wave = open_mini_wave(
        factory, "2026", codes=30, frame="organisation,unit,function_group,headcount\n" + frame
    )
    rng = np.random.default_rng(3)
    batch = [random_answers(rng, CELLS[c]) for c, n in per_cell.items() for _ in range(n)]
    submit_all(factory, wave, batch)
    with pytest.raises(Conflict) as refused, session_scope(factory) as closing:
        close_mini_wave(closing, "2026")
    assert "fewer staff than respondents in 1 cell" in refused.value.detail
    [error] = refused.value.errors
    assert error.loc == "frame." + "/".join(CELLS[overfull])
    assert error.code == "overfull_cell"
    assert session.get(Wave, "2026").status == "open"


def test_closing_refuses_definitions_that_do_not_fit_the_version(factory, session):
    other = MINI.model_copy(update={"id": "mini-2027.1"})
    open_mini_wave(factory, "2027", questionnaire=other)
    with pytest.raises(IndicatorsUnavailable), session_scope(factory) as closing:
        close_wave(closing, "2027", MIN_CELL, DEFS)
    assert session.get(Wave, "2027").status == "open"


# --- trends: change and series breaks ------------------------------------------------------


POL_BASIS = ("function_group", "pol-basis")


def test_a_domain_is_hidden_wherever_the_indicator_counting_its_members_is(
    factory, session, monkeypatch
):
    """Issue 11: a figure among the threatened publishes n, the threatened in its group;
    where "experienced aggression" (yes = threatened, in the fixture) is hidden, that n
    would give its hidden count away. The disclosure control hides any_aggression for
    function group pol-basis here (as its audit may, for a rare answer); the attack reads
    the count off a threatened-domain figure of pol-basis, unless those are hidden too."""
    import app.closing.figures as closing

    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=3, close=False)
    sample = wave_sample(session, session.get(Wave, "2026"))
    domain = [i.id for i in DEFS.indicators if i.denominator == "threatened"]
    counters = closing._domain_counters(DEFS, sample, derive(DEFS, MINI, sample.table))
    assert domain and "any_aggression" in counters["threatened"]
    protect = closing.protect_estimates

    def hiding_pol_basis(counts, groups, parent, hidden, *args, **kwargs):
        if not calls:  # any_aggression comes first
            hidden = hidden | {POL_BASIS}
        calls.append(1)
        return protect(counts, groups, parent, hidden, *args, **kwargs)

    def counts_read_off(figures) -> dict[str, int | None]:
        return {
            f.indicator: f.n
            for f in figures
            if f.indicator in domain
            and (f.breakdown, f.group_code) == ("function_group", "pol-basis")
        }

    monkeypatch.setattr(closing, "protect_estimates", hiding_pol_basis)
    calls: list[int] = []
    figures = compute_figures(sample, DEFS, min_cell=10)
    hidden = {(f.indicator, f.breakdown, f.group_code): f.reason for f in figures if f.suppressed}
    assert hidden["any_aggression", "function_group", "pol-basis"] == "complementary"
    assert set(counts_read_off(figures).values()) == {None}
    assert all(hidden[i, "function_group", "pol-basis"] == "complementary" for i in domain)
    # The attack succeeds without the rule: the threatened of pol-basis, counted.
    monkeypatch.setattr(closing, "_domain_counters", lambda *a: {})
    calls.clear()
    leaked = counts_read_off(compute_figures(sample, DEFS, min_cell=10))
    in_unit = np.isin(sample.cell, linked_groups(sample.frame)[POL_BASIS])
    yes = derive(DEFS, MINI, sample.table)["any_aggression"] == 1
    assert int((yes & in_unit).sum()) in leaked.values()  # the hidden count, exactly
