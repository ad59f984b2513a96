"""Design-based domain estimates for many groups in one pass, and change between waves.

Every group figure is a ratio (domain) estimate ``sum(w*y*d) / sum(w*d)``, ``d`` marking
respondents in the group with a value. Its variance is the Taylor linearisation for the
stratified single-stage design of the whole sample (each respondent its own PSU), with
the finite population correction ``1 - n_h/N_h``:

    z_i = w_i * d_i * (y_i - R) / sum(w*d)
    V   = sum_h (1 - n_h/N_h) * n_h/(n_h - 1) * sum_{i in h} (z_i - mean_h(z))^2

where ``mean_h`` runs over all ``n_h`` respondents of stratum h, not only the domain's.
Intervals follow ``svy`` 0.35 (the contract's reference): the degrees of freedom of a
domain are its respondents minus the strata it touches, means get ``est ± t(df)*se``,
and proportions get the NCHS Korn-Graubard interval that ``svy`` calls
``ci_method="korn-graubard"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

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


@dataclass(frozen=True)
class Change:
    difference: float
    se: float
    p_value: float
    significant: bool


def estimate_groups(
    values: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    design: Design,
    kind: Literal["proportion", "mean"],
) -> GroupEstimates:
    """Estimate a proportion or mean for every group at once.

    ``values`` holds one float per respondent (0/1 for a proportion), NaN outside the
    indicator's domain or without a value; ``group`` holds one group index per
    respondent, -1 for none. O(n) in respondents.
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
        n_h = design.sample.astype(float)
        # A single-respondent stratum has no within-stratum variance (its sum is 0).
        factor = np.where(
            n_h > 1, (1.0 - n_h / design.population) * n_h / np.maximum(n_h - 1.0, 1.0), 0.0
        )
        # Rounding can push an exact zero variance (all 0 or all 1) slightly negative.
        variance = np.maximum((factor * (z_sq - z_sum * z_sum / n_h)).sum(axis=1), 0.0)
    se = np.where(n > 0, np.sqrt(variance), np.nan)

    if kind == "mean":
        ci_low, ci_high = _t_interval(estimate, se, df)
    else:
        ci_low, ci_high = _korn_graubard(estimate, se, df, n)
    return GroupEstimates(estimate=estimate, se=se, ci_low=ci_low, ci_high=ci_high, n=n)


def _t_crit(df: np.ndarray) -> np.ndarray:
    """Two-sided t quantile; NaN where df <= 0, as in svy (no interval without df)."""
    positive = df > 0
    return np.where(positive, stats.t.ppf(1 - ALPHA / 2, np.where(positive, df, 1)), np.nan)


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
        t_n = stats.t.ppf(1 - ALPHA / 2, np.where(n > 1, n - 1, 1))
        t_adjust = np.where(n > 1, (t_n / _t_crit(df)) ** 2, 1.0)
        n_eff = np.minimum(n, n_eff * t_adjust)
        x = n_eff * p_ci
        # Beta quantiles are the F-distribution form of the macro, rewritten.
        low = np.where(x > 0, stats.beta.ppf(ALPHA / 2, x, n_eff - x + 1), 0.0)
        high = np.where(n_eff - x > 0, stats.beta.ppf(1 - ALPHA / 2, x + 1, n_eff - x), 1.0)
    point = ~boundary & (se <= _BOUNDARY_TOL)
    low = np.where(point, p, low)
    high = np.where(point, p, high)
    undefined = (df <= 0) | (n == 0)
    return np.where(undefined, np.nan, low), np.where(undefined, np.nan, high)


def compare(estimate: float, se: float, earlier_estimate: float, earlier_se: float) -> Change:
    """Change since an earlier wave; independent samples, two-sided normal test.

    With a zero combined se the difference is known exactly: p is 1.0 for no
    difference and 0.0 for any other.
    """
    difference = float(estimate - earlier_estimate)
    se_diff = float(np.hypot(se, earlier_se))
    if se_diff == 0:
        p_value = 1.0 if difference == 0 else 0.0
    else:
        p_value = float(2 * stats.norm.sf(abs(difference) / se_diff))
    return Change(difference=difference, se=se_diff, p_value=p_value, significant=p_value < ALPHA)


def compare_all(pairs: np.ndarray) -> list[Change]:
    """`compare(*row)` for every row of (estimate, se, earlier_estimate, earlier_se), in
    one go: the same arithmetic on arrays (scipy's normal tail once, not once per figure)."""
    if not len(pairs):
        return []
    difference = pairs[:, 0] - pairs[:, 2]
    se = np.hypot(pairs[:, 1], pairs[:, 3])
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = 2 * stats.norm.sf(np.abs(difference) / se)
    p_value = np.where(se == 0, np.where(difference == 0, 1.0, 0.0), tail)
    return [
        Change(difference=d, se=s, p_value=p, significant=p < ALPHA)
        for d, s, p in zip(difference.tolist(), se.tolist(), p_value.tolist(), strict=True)
    ]
