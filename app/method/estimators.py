"""Design-based domain estimates for many groups in one pass, and change between waves.

Every group figure is a ratio (domain) estimate ``sum(w*y*d) / sum(w*d)``, ``d`` marking
respondents in the group with a value. Its variance is the Taylor linearisation for the
stratified single-stage design of the whole sample (each respondent its own PSU), with
the finite population correction ``1 - n_h/N_h``:

    z_i = w_i * d_i * (y_i - R) / sum(w*d)
    V   = sum_h (1 - n_h/N_h) * n_h/(n_h - 1) * sum_{i in h} (z_i - mean_h(z))^2

where ``mean_h`` runs over all ``n_h`` respondents of stratum h, not only the domain's.
A stratum of one respondent has no mean of its own to centre on: it is centred on the
grand mean of the ``z_i``, which is 0 for a ratio, and adds ``(1 - 1/N_h) * z_i^2``
(svy ``singleton="center"``, R's ``survey.lonely.psu = "adjust"``), never nothing.
Intervals follow ``svy`` 0.35 (the contract's reference): the degrees of freedom of a
domain are its respondents minus the strata it touches, means get ``est ± t(df)*se``
(cut to the range the values can take: a mean of days is never below 0), and
proportions get the NCHS Korn-Graubard interval that ``svy`` calls
``ci_method="korn-graubard"``.

Change between waves (``compare_all``) combines the two waves' own limits by Newcombe's
MOVER; see there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special, stats

from app.method.weights import Design

ALPHA = 0.05
# svy treats a proportion within this distance of 0 or 1 as exactly 0 or 1.
_BOUNDARY_TOL = 1e-12


@dataclass(frozen=True)
class GroupEstimates:
    """Per-group figures; NaN (and n = 0) for a group without respondents."""

    estimate: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    n: np.ndarray  # unweighted respondents in the group and the domain with a value
    df: np.ndarray  # degrees of freedom: n minus the strata the group touches


@dataclass(frozen=True)
class Change:
    difference: float
    se: float | None  # None when a wave's standard error is not published
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool


def estimate_groups(
    values: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    design: Design,
    kind: Literal["proportion", "mean"],
    value_range: tuple[float, float] = (-np.inf, np.inf),
) -> GroupEstimates:
    """Estimate a proportion or mean for every group at once.

    ``values`` holds one float per respondent (0/1 for a proportion), NaN outside the
    indicator's domain or without a value; ``group`` holds one group index per
    respondent, -1 for none. A mean's interval is cut to ``value_range``, the values a
    respondent can have. O(n) in respondents.
    """
    if kind not in ("proportion", "mean"):
        raise ValueError(f"unknown kind {kind!r}")
    values = np.asarray(values, dtype=float)
    group = np.asarray(group, dtype=np.intp)
    if values.shape != design.weight.shape or group.shape != design.weight.shape:
        raise ValueError("values and group need one entry per respondent of the design")
    if group.size and group.max() >= n_groups:
        raise ValueError("group index out of range")

    in_domain = (group >= 0) & ~np.isnan(values)
    g = group[in_domain]
    y = values[in_domain]
    w = design.weight[in_domain]
    n_strata = design.population.size
    cell = g * n_strata + design.stratum[in_domain]
    size = n_groups * n_strata

    counts = np.bincount(cell, minlength=size).reshape(n_groups, n_strata)
    n = counts.sum(axis=1)
    # svy's domain degrees of freedom: respondents minus the strata they fall in.
    df = n - np.count_nonzero(counts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weight_total = np.bincount(g, w, minlength=n_groups)
        estimate = np.bincount(g, w * y, minlength=n_groups) / weight_total
        z = w * (y - estimate[g]) / weight_total[g]
        z_sum = np.bincount(cell, z, minlength=size).reshape(n_groups, n_strata)
        z_sq = np.bincount(cell, z * z, minlength=size).reshape(n_groups, n_strata)
        variance = stratified_variance(z_sum, z_sq, design)
    se = np.where(n > 0, np.sqrt(variance), np.nan)

    if kind == "mean":
        ci_low, ci_high = _t_interval(estimate, se, df)
        # The true mean lies in the values' range, so cutting the interval there loses
        # no coverage; it only drops limits no one could have (negative days).
        ci_low, ci_high = np.maximum(ci_low, value_range[0]), np.minimum(ci_high, value_range[1])
    else:
        ci_low, ci_high = _korn_graubard(estimate, se, df, n)
    return GroupEstimates(estimate=estimate, se=se, ci_low=ci_low, ci_high=ci_high, n=n, df=df)


def stratified_variance(z_sum: np.ndarray, z_sq: np.ndarray, design: Design) -> np.ndarray:
    """Per group (row): the Taylor variance from the sums of ``z`` and ``z^2`` of its
    linearised values per stratum (column), with the finite population correction.
    A single-respondent stratum is centred on the grand mean of ``z``, 0 for a ratio
    estimate: it adds ``(1 - 1/N_h) z^2``, as svy's ``singleton="center"``."""
    n_h = design.sample.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.where(
            n_h > 1, (z_sq - z_sum * z_sum / n_h) * n_h / np.maximum(n_h - 1.0, 1.0), z_sq
        )
    # Rounding can push an exact zero variance (all 0 or all 1) slightly negative.
    return np.maximum(((1.0 - n_h / design.population) * spread).sum(axis=1), 0.0)


def _t_crit(df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile; NaN where df <= 0, as in svy (no interval without df)."""
    positive = df > 0
    # scipy.special's quantile functions are what stats.t.ppf and stats.beta.ppf call,
    # without their argument handling: the disclosure audit computes intervals often.
    return np.where(positive, special.stdtrit(np.where(positive, df, 1), 1 - ALPHA / 2), np.nan)


def _t_interval(
    estimate: np.ndarray, se: np.ndarray, df: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    half = _t_crit(df) * se
    return estimate - half, estimate + half


def _korn_graubard(
    p: np.ndarray, se: np.ndarray, df: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Korn-Graubard interval as svy's ``ci_method="korn-graubard"`` (NCHS SAS macro).

    Effective sample size ``p(1-p)/se^2``, scaled by ``(t(n-1)/t(df))^2`` and truncated
    at n; Clopper-Pearson on it. At p = 0 or 1 the effective size is n itself, giving a
    one-sided interval; a zero se with 0 < p < 1 gives the point (p, p).
    """
    boundary = (p <= _BOUNDARY_TOL) | (p >= 1 - _BOUNDARY_TOL)
    p_ci = np.where(boundary, np.round(p), p)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = np.where(boundary, n, p_ci * (1 - p_ci) / se**2)
        t_n = special.stdtrit(np.where(n > 1, n - 1, 1), 1 - ALPHA / 2)
        t_adjust = np.where(n > 1, (t_n / _t_crit(df)) ** 2, 1.0)
        n_eff = np.minimum(n, n_eff * t_adjust)
        x = n_eff * p_ci
        # Beta quantiles are the F-distribution form of the macro, rewritten.
        low = np.where(x > 0, special.betaincinv(x, n_eff - x + 1, ALPHA / 2), 0.0)
        high = np.where(n_eff - x > 0, special.betaincinv(x + 1, n_eff - x, 1 - ALPHA / 2), 1.0)
    point = ~boundary & (se <= _BOUNDARY_TOL)
    low = np.where(point, p, low)
    high = np.where(point, p, high)
    undefined = (df <= 0) | (n == 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def compare(now: Sequence[float], earlier: Sequence[float], kind: str) -> Change:
    """`compare_all` for one pair of (estimate, se, ci_low, ci_high)."""
    return compare_all(np.array([now], dtype=float), np.array([earlier], dtype=float), kind)[0]


def compare_all(now: np.ndarray, earlier: np.ndarray, kind: str) -> list[Change]:
    """Change since an earlier wave for every row of (estimate, se, ci_low, ci_high) of
    both; independent samples.

    The 95% interval of the difference is Newcombe's MOVER (method 10, Newcombe 1998;
    Zou & Donner 2008) on each wave's limits ``l, u`` around its estimate ``p``:

        low  = d - sqrt((p_now - l_now)^2 + (u_earlier - p_earlier)^2)
        high = d + sqrt((u_now - p_now)^2 + (p_earlier - l_earlier)^2)

    In the interior each wave's limits are ``p ± z se``, and this is the normal test on
    ``sqrt(se1^2 + se2^2)``. A proportion whose normal interval reaches 0 or 1 is at an
    edge, where its variance estimate collapses (0 of 50: se 0): there both waves bring
    their published Korn-Graubard limits, so the change is never surer than the waves
    themselves. So does a share published without a standard error (a small group's:
    README, "The statistical method", rule 2), and the change then has none either
    (``se`` None). The p-value is two-sided, from the half-width on the side of 0 (the
    normal test in the interior), and ``significant`` is exactly "the interval excludes
    0" (p < 0.05). With a zero half-width the difference is known exactly: p is 1.0 for
    no difference and 0.0 for any other.
    """
    if not len(now):
        return []
    z = stats.norm.ppf(1 - ALPHA / 2)

    def normal(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return rows[:, 0] - z * rows[:, 1], rows[:, 0] + z * rows[:, 1]

    edge = np.zeros(len(now), dtype=bool)
    if kind == "proportion":
        for rows in (now, earlier):
            low, high = normal(rows)
            edge |= (low <= 0) | (high >= 1) | np.isnan(rows[:, 1])
        # Without published limits (figures stored before they were kept): the normal ones.
        edge &= np.isfinite(now[:, 2:]).all(axis=1) & np.isfinite(earlier[:, 2:]).all(axis=1)

    def limits(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        low, high = normal(rows)
        return rows[:, 0], np.where(edge, rows[:, 2], low), np.where(edge, rows[:, 3], high)

    p1, l1, h1 = limits(now)
    p0, l0, h0 = limits(earlier)
    difference = p1 - p0
    below = np.hypot(p1 - l1, h0 - p0)
    above = np.hypot(h1 - p1, p0 - l0)
    ci_low, ci_high = difference - below, difference + above
    toward_zero = np.where(difference > 0, below, above)
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = 2 * stats.norm.sf(z * np.abs(difference) / toward_zero)
    p_value = np.where(difference == 0, 1.0, np.where(toward_zero == 0, 0.0, tail))
    significant = (ci_low > 0) | (ci_high < 0)
    se = np.hypot(now[:, 1], earlier[:, 1])
    return [
        Change(difference=d, se=s, ci_low=lo, ci_high=hi, p_value=pv, significant=sig)
        for d, s, lo, hi, pv, sig in zip(
            difference.tolist(),
            [s if np.isfinite(s) else None for s in se.tolist()],
            ci_low.tolist(),
            ci_high.tolist(),
            p_value.tolist(),
            significant.tolist(),
            strict=True,
        )
    ]
