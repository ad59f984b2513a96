"""Change between waves at 0% and 100%: Newcombe's MOVER on the waves' Korn-Graubard
limits, held against its published formula and against exact tests on equal weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from app.method.disclosure import PUBLISHED, published_value
from app.method.estimators import compare, estimate_groups
from app.method.weights import Design

FIELDS = ("estimate", "se", "ci_low", "ci_high")
Z = stats.norm.ppf(0.975)


def equal_weights(
    yes: int, n: int = 50, headcount: int = 5000, as_small: bool = False
) -> tuple[float, ...]:
    """The published (estimate, se, ci_low, ci_high) of `yes` of `n` respondents, all of
    the same weight: one stratum of a large population. Rounded as a large group's
    figures are, or (``as_small``) as a group of `n` is published: fewer than 200, its
    interval to 1 decimal and no standard error (README, rule 2)."""
    design = Design(
        stratum=np.zeros(n, dtype=int),
        weight=np.full(n, headcount / n),
        population=np.array([float(headcount)]),
        sample=np.array([n]),
        cell_stratum=np.array([0]),
    )
    values = (np.arange(n) < yes).astype(float)
    result = estimate_groups(values, np.zeros(n, dtype=int), 1, design, "proportion")
    size = n if as_small else None
    published = [published_value(getattr(result, f)[0], "proportion", f, size) for f in FIELDS]
    return PUBLISHED.as_compared(published, "proportion", size)


def mid_p(yes_now: int, yes_before: int, n: int = 50) -> float:
    """Two-sided mid-p of the exact conditional test (Fisher's, half the observed table)."""
    total = yes_now + yes_before
    pmf = stats.hypergeom.pmf(np.arange(total + 1), 2 * n, total, n)
    observed = stats.hypergeom.pmf(yes_now, 2 * n, total, n)
    same = np.isclose(pmf, observed, rtol=1e-9, atol=0)
    return float(pmf[(pmf < observed) & ~same].sum() + pmf[same].sum() / 2)


def test_zero_of_fifty_against_four_of_fifty_is_not_significant():
    """Issue 12, case 4: the 0% wave's se is 0, so the normal test saw only the other
    wave's variance (p = 0.038). Fisher's exact test gives 0.117."""
    now, before = equal_weights(4), equal_weights(0)
    assert before[:2] == (0.0, 0.0)
    change = compare(now, before, "proportion")
    assert stats.fisher_exact([[4, 46], [0, 50]]).pvalue > 0.05
    assert not change.significant and change.p_value > 0.05
    assert change.ci_low < 0 < change.ci_high
    # The waves' own intervals overlap: the change's interval reaches the 0% wave's limit.
    assert change.ci_high >= before[3]


def test_at_the_edge_the_interval_is_newcombes_mover_on_the_published_limits():
    now, before = equal_weights(4), equal_weights(0)
    (p1, _, l1, u1), (p0, _, l0, u0) = now, before
    change = compare(now, before, "proportion")
    below, above = np.hypot(p1 - l1, u0 - p0), np.hypot(u1 - p1, p0 - l0)
    assert change.difference == pytest.approx(p1 - p0)
    assert change.ci_low == pytest.approx(p1 - p0 - below)
    assert change.ci_high == pytest.approx(p1 - p0 + above)
    # The p-value is read from the same interval: the half-width on the side of 0.
    assert change.p_value == pytest.approx(2 * stats.norm.sf(Z * (p1 - p0) / below))
    assert change.se == pytest.approx(np.hypot(now[1], before[1]))


def test_a_clear_change_from_zero_is_significant():
    change = compare(equal_weights(12), equal_weights(0), "proportion")
    assert stats.fisher_exact([[12, 38], [0, 50]]).pvalue < 0.001
    assert change.significant and change.ci_low > 0 and change.p_value < 0.05
    down = compare(equal_weights(50), equal_weights(38), "proportion")  # 100% the other way
    assert down.significant and down.ci_low > 0


def test_a_small_groups_change_reads_its_published_limits_and_has_no_standard_error():
    now, before = equal_weights(20, as_small=True), equal_weights(0, as_small=True)
    assert np.isnan(now[1]) and np.isnan(before[1])  # no standard errors published
    (p1, _, l1, u1), (p0, _, l0, u0) = now, before
    # Published to 1 decimal (0.3-0.5 and 0.0-0.1): each limit read as the widest it
    # could be, half a decimal further out.
    assert (l1, u1, l0, u0) == pytest.approx((0.25, 0.55, 0.0, 0.15))
    change = compare(now, before, "proportion")
    assert change.se is None
    assert change.ci_low == pytest.approx(p1 - p0 - np.hypot(p1 - l1, u0 - p0))
    assert change.ci_high == pytest.approx(p1 - p0 + np.hypot(u1 - p1, p0 - l0))
    assert change.significant and stats.fisher_exact([[20, 30], [0, 50]]).pvalue < 0.001


@pytest.mark.parametrize("as_small", [False, True])
@pytest.mark.parametrize("edge", [0, 1, 2, 48, 49, 50])
def test_at_the_edges_never_surer_than_the_exact_test(edge: int, as_small: bool):
    """Every equal-weight pair with one wave at or near 0% or 100%: whenever a change is
    called significant, the exact test (mid-p, its less conservative form) agrees, and
    `significant` is exactly an interval without 0, and p < 0.05; also as a small
    group's figures are published (coarser limits, no standard error)."""
    for yes in range(51):
        for now, before in ((yes, edge), (edge, yes)):
            change = compare(
                equal_weights(now, as_small=as_small),
                equal_weights(before, as_small=as_small),
                "proportion",
            )
            assert change.significant == (change.ci_low > 0 or change.ci_high < 0)
            assert change.significant == (change.p_value < 0.05), (now, before)
            if change.significant:
                assert mid_p(now, before) < 0.05, (now, before, change.p_value)


def test_means_compare_by_the_normal_test():
    change = compare((2.0, 0.5, 1.0, 3.0), (1.0, 0.4, 0.2, 1.8), "mean")
    se = np.hypot(0.5, 0.4)
    assert (change.ci_low, change.ci_high) == pytest.approx((1 - Z * se, 1 + Z * se))
    assert change.p_value == pytest.approx(2 * stats.norm.sf(1 / se))
