"""estimate_groups against svy 0.35, the contract's reference, to 1e-6."""

from __future__ import annotations

import math
import time

import numpy as np
import polars as pl
import pytest
import svy

from app.method.estimators import compare, estimate_groups
from app.method.weights import Design, post_stratify

TOL = 1e-6


def svy_reference(
    values: np.ndarray, group: np.ndarray, n_groups: int, design: Design, kind: str
) -> dict[str, np.ndarray]:
    """svy's figures per group for the same design: the one place Design maps to svy."""
    data = pl.DataFrame(
        {
            "stratum": design.stratum,
            "wgt": design.weight,
            "pop": design.population[design.stratum],
            "y": values,
            "g": group,
        }
    ).with_columns(pl.when(pl.col("g") >= 0).then(pl.col("g")).alias("g"))
    # singleton="center" only matters for a single-respondent stratum (CONTRACT section
    # 7): grand-mean centring. Other designs give the same figures without it.
    sample = svy.Sample(
        data, svy.Design(stratum="stratum", wgt="wgt", pop_size="pop", singleton="center")
    )
    overall = n_groups == 1 and bool(np.all(group == 0))
    by = None if overall else "g"
    if kind == "proportion":
        result = sample.estimation.prop(
            "y", by=by, ci_method="korn-graubard", drop_nulls=True
        ).to_polars()
    else:
        result = sample.estimation.mean("y", by=by, drop_nulls=True).to_polars()
    if overall:
        result = result.with_columns(g=pl.lit(0))
    result = result.filter(pl.col("g").is_not_null())
    if kind == "proportion":
        ones = result.filter(pl.col("y") == 1.0)
        # svy gives no row to a level that occurs nowhere: mirror the level-0 row.
        mirrored = result.filter(
            (pl.col("y") == 0.0) & ~pl.col("g").is_in(ones["g"].implode())
        ).with_columns(est=1 - pl.col("est"), lci=1 - pl.col("uci"), uci=1 - pl.col("lci"))
        result = pl.concat([ones, mirrored])

    out = {key: np.full(n_groups, np.nan) for key in ("estimate", "se", "ci_low", "ci_high")}
    out["n"] = np.zeros(n_groups, dtype=int)
    g = result["g"].to_numpy()
    for key, col in (("estimate", "est"), ("se", "se"), ("ci_low", "lci"), ("ci_high", "uci")):
        out[key][g] = result[col].to_numpy()
    out["n"][g] = result["n"].to_numpy()
    return out


def assert_matches_svy(
    values: np.ndarray, group: np.ndarray, n_groups: int, design: Design, kind: str
) -> None:
    ours = estimate_groups(values, group, n_groups, design, kind)  # type: ignore[arg-type]
    ref = svy_reference(values, group, n_groups, design, kind)
    published = ours.n > 0
    np.testing.assert_array_equal(ours.n[published], ref["n"][published])
    for key in ("estimate", "se", "ci_low", "ci_high"):
        np.testing.assert_allclose(
            getattr(ours, key)[published], ref[key][published], rtol=0, atol=TOL, err_msg=key
        )
    assert np.all(np.isnan(ours.estimate[~published]))


def make_design(rng: np.random.Generator, n: int, n_strata: int, census_strata: int = 0) -> Design:
    """Unequal sampling fractions; the first ``census_strata`` strata have n_h == N_h."""
    stratum = np.sort(rng.integers(0, n_strata, n))
    stratum[:n_strata] = np.arange(n_strata)  # every stratum sampled ...
    stratum[n_strata : 2 * n_strata] = np.arange(n_strata)  # ... at least twice
    sample = np.bincount(stratum, minlength=n_strata)
    population = np.round(sample * rng.uniform(1.0, 12.0, n_strata))
    population[:census_strata] = sample[:census_strata]
    return Design(
        stratum=stratum,
        weight=(population / sample)[stratum],
        population=population,
        sample=sample,
        cell_stratum=np.arange(n_strata),
    )


DESIGNS = [
    pytest.param(400, 2, 0, id="two-strata"),
    pytest.param(3000, 80, 10, id="many-strata-some-census"),
    pytest.param(1500, 25, 25, id="all-census"),
    pytest.param(6000, 300, 30, id="cells-as-strata"),
]


@pytest.mark.parametrize(("n", "n_strata", "census"), DESIGNS)
@pytest.mark.parametrize("prevalence", [0.4, 0.03])
def test_domain_proportions_by_group(n: int, n_strata: int, census: int, prevalence: float):
    rng = np.random.default_rng(n + n_strata)
    design = make_design(rng, n, n_strata, census)
    n_groups = 12
    group = rng.integers(-1, n_groups, n)
    threatened = rng.random(n) < 0.5
    values = np.where(threatened, (rng.random(n) < prevalence).astype(float), np.nan)
    assert_matches_svy(values, group, n_groups, design, "proportion")


@pytest.mark.parametrize(("n", "n_strata", "census"), DESIGNS)
def test_overall_proportion(n: int, n_strata: int, census: int):
    rng = np.random.default_rng(7 * n)
    design = make_design(rng, n, n_strata, census)
    values = (rng.random(n) < 0.2).astype(float)
    values[rng.random(n) < 0.1] = np.nan  # no answer
    assert_matches_svy(values, np.zeros(n, dtype=int), 1, design, "proportion")


def test_zero_and_full_proportions_get_korn_graubard_intervals():
    rng = np.random.default_rng(11)
    n = 2000
    design = make_design(rng, n, 40, census_strata=3)
    group = rng.integers(0, 4, n)
    values = (rng.random(n) < 0.3).astype(float)
    values[group == 1] = 0.0
    values[group == 2] = 1.0
    values[(group == 3) & (rng.random(n) < 0.7)] = np.nan
    assert_matches_svy(values, group, 4, design, "proportion")
    ours = estimate_groups(values, group, 4, design, "proportion")
    assert ours.ci_low[1] == 0.0 and 0.0 < ours.ci_high[1] < 0.05
    assert 0.95 < ours.ci_low[2] < 1.0 and ours.ci_high[2] == 1.0


def test_outcome_absent_everywhere():
    rng = np.random.default_rng(12)
    design = make_design(rng, 500, 10)
    group = rng.integers(0, 3, 500)
    assert_matches_svy(np.zeros(500), group, 3, design, "proportion")


@pytest.mark.parametrize(("n", "n_strata", "census"), DESIGNS)
def test_domain_means_of_sick_leave_days(n: int, n_strata: int, census: int):
    rng = np.random.default_rng(3 * n + n_strata)
    design = make_design(rng, n, n_strata, census)
    n_groups = 6
    group = rng.integers(-1, n_groups, n)
    victim = rng.random(n) < 0.35
    days = np.where(rng.random(n) < 0.75, 0, rng.geometric(0.15, n)).astype(float)
    values = np.where(victim, days, np.nan)
    values[victim & (group == 2)] = 0.0  # nobody in group 2 stayed home: zero variance
    assert_matches_svy(values, group, n_groups, design, "mean")
    assert_matches_svy(values, np.zeros(n, dtype=int), 1, design, "mean")


def test_tiny_groups_empty_groups_and_no_degrees_of_freedom():
    rng = np.random.default_rng(13)
    n = 300
    design = make_design(rng, n, 6)
    group = rng.integers(0, 3, n)
    group[5] = 3  # one respondent: df = 0, so svy has no interval
    group[[7, 200]] = 4  # two respondents, possibly in different strata
    values = (rng.random(n) < 0.5).astype(float)
    for kind in ("proportion", "mean"):
        assert_matches_svy(values, group, 6, design, kind)
    ours = estimate_groups(values, group, 6, design, "proportion")
    assert ours.n[3] == 1 and math.isnan(ours.ci_low[3])
    assert ours.n[5] == 0 and math.isnan(ours.se[5]) and math.isnan(ours.ci_high[5])


def test_single_respondent_stratum_is_centred_on_the_grand_mean():
    rng = np.random.default_rng(14)
    design = make_design(rng, 200, 5)
    stratum = np.append(design.stratum, 5)  # an organisation with one respondent
    sample = np.append(design.sample, 1)
    population = np.append(design.population, 40.0)
    design = Design(
        stratum=stratum,
        weight=(population / sample)[stratum],
        population=population,
        sample=sample,
        cell_stratum=np.arange(6),
    )
    values = rng.poisson(2.0, 201).astype(float)
    assert_matches_svy(values, np.zeros(201, dtype=int), 1, design, "mean")
    assert_matches_svy((values > 1).astype(float), stratum % 2, 2, design, "proportion")


def test_an_organisation_with_one_respondent_adds_its_variance_to_the_total():
    """Issue 12, case 2: the OM's one respondent stands for 250 colleagues. Counted as
    a stratum without variance, the total's se hid how much that one answer moves it."""
    organisation = np.array(["pol", "pol", "om"])
    unit = np.array(["a", "b", "c"])
    headcount = np.array([300, 290, 250])
    respondent_cell = np.repeat([0, 1, 2], [40, 35, 1])
    design = post_stratify(organisation, unit, headcount, respondent_cell)
    assert design.sample.tolist() == [40, 35, 1]
    values = np.zeros(76)
    values[[0, 1, 2, 40, 41]] = 1.0
    values[75] = 1.0  # the OM's respondent said yes: 250 of 840 staff
    assert_matches_svy(values, np.zeros(76, dtype=int), 1, design, "proportion")
    ours = estimate_groups(values, np.zeros(76, dtype=int), 1, design, "proportion")
    # Had that one respondent answered no, the total would be 250/840 lower: a total the
    # interval must not rule out (with no variance from the OM it lay far outside).
    values[75] = 0.0
    other = estimate_groups(values, np.zeros(76, dtype=int), 1, design, "proportion")
    assert other.estimate[0] == pytest.approx(ours.estimate[0] - 250 / 840)
    assert ours.ci_low[0] < other.estimate[0]


def test_a_mean_of_days_never_gets_an_interval_below_zero():
    """Issue 12, case 5: 30 victims, one of them absent for 365 days. svy's t interval
    runs below 0; ours is cut at the range of the answers (0..365 days), the rest as svy."""
    design = make_design(np.random.default_rng(18), 30, 1)
    days = np.zeros(30)
    days[0], days[1:4] = 365.0, 2.0
    group = np.zeros(30, dtype=int)
    ref = svy_reference(days, group, 1, design, "mean")
    assert ref["ci_low"][0] < 0  # what the contract rules out
    ours = estimate_groups(days, group, 1, design, "mean", value_range=(0, 365))
    assert ours.ci_low[0] == 0.0
    for key in ("estimate", "se", "ci_high"):
        assert getattr(ours, key)[0] == pytest.approx(ref[key][0], abs=TOL)


def test_post_stratified_frame_end_to_end():
    rng = np.random.default_rng(15)
    units = [f"u{i}" for i in range(8)]
    organisation = np.repeat(["pol", "om"], [6 * 5, 2 * 5])
    unit = np.repeat(units, 5)
    headcount = rng.integers(5, 200, unit.size)
    respondent_cell = rng.choice(unit.size, 900, p=headcount / headcount.sum())
    design = post_stratify(organisation, unit, headcount, respondent_cell)
    group = np.searchsorted(units, unit[respondent_cell])
    values = np.where(rng.random(900) < 0.6, (rng.random(900) < 0.25).astype(float), np.nan)
    assert_matches_svy(values, group, len(units), design, "proportion")


def test_svy_where_domain_equals_missing_values_outside_it():
    """The NaN-outside-the-domain convention is svy's where= domain estimation."""
    rng = np.random.default_rng(16)
    design = make_design(rng, 800, 12, census_strata=2)
    victim = rng.random(800) < 0.4
    reported = (rng.random(800) < 0.3).astype(float)
    data = pl.DataFrame(
        {
            "stratum": design.stratum,
            "wgt": design.weight,
            "pop": design.population[design.stratum],
            "y": reported,
            "victim": victim,
        }
    )
    sample = svy.Sample(data, svy.Design(stratum="stratum", wgt="wgt", pop_size="pop"))
    ref = (
        sample.estimation.prop("y", where=svy.col("victim"), ci_method="korn-graubard")
        .to_polars()
        .filter(pl.col("y") == 1.0)
    )
    ours = estimate_groups(
        np.where(victim, reported, np.nan), np.zeros(800, dtype=int), 1, design, "proportion"
    )
    for key, col in (("estimate", "est"), ("se", "se"), ("ci_low", "lci"), ("ci_high", "uci")):
        assert abs(getattr(ours, key)[0] - ref[col][0]) < TOL


def test_million_respondents_thirty_groups_is_fast():
    rng = np.random.default_rng(17)
    n = 1_000_000
    design = make_design(rng, n, 600, census_strata=20)
    group = rng.integers(-1, 30, n)
    values = np.where(rng.random(n) < 0.5, (rng.random(n) < 0.1).astype(float), np.nan)
    start = time.perf_counter()
    result = estimate_groups(values, group, 30, design, "proportion")
    assert time.perf_counter() - start < 2.0
    assert np.all(result.n > 0)


def test_compare_in_the_interior_is_the_normal_test():
    change = compare((0.41, 0.02, 0.37, 0.45), (0.35, 0.015, 0.32, 0.38), "proportion")
    assert change.difference == pytest.approx(0.06)
    assert change.se == pytest.approx(0.025)
    assert change.p_value == pytest.approx(0.016395, abs=1e-6)
    assert (change.ci_low, change.ci_high) == pytest.approx(
        (0.06 - 1.959964 * 0.025, 0.06 + 1.959964 * 0.025)
    )
    assert change.significant
    assert not compare(
        (0.36, 0.02, 0.32, 0.40), (0.35, 0.015, 0.32, 0.38), "proportion"
    ).significant


def test_compare_without_sampling_error():
    exact = (0.4, 0.0, 0.4, 0.4)
    assert compare(exact, exact, "proportion").p_value == 1.0
    assert not compare(exact, exact, "proportion").significant
    change = compare(exact, (0.3, 0.0, 0.3, 0.3), "proportion")
    assert change.p_value == 0.0 and change.significant
    assert change.ci_low == change.ci_high == pytest.approx(0.1)
