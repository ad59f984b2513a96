"""Attacks on hidden means (days of absence): the audit covers them as it covers shares.

A mean is attacked through the sums of its answers per cell: whole numbers between the
least and the most the cell's answers can add up to. The exhaustive attacker below tries
every such sum in every cell a hidden group touches, on answers of 0 to 2 (so that trying
them all stays possible), keeps the data sets that reproduce every published mean as
published (one decimal), and reads off the band of each hidden mean. The promise for a
mean: a band of at least 20% of its value, never under 0.2, and three possible sums.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from app.method.disclosure import (
    DEFAULT_PROTECTION,
    CellCounts,
    audit_estimates,
    cell_counts,
    group_matrix,
    protect_estimates,
    published_value,
)
from app.method.suppression import TOTAL, Node, suppress_hierarchy
from app.method.weights import post_stratify
from tests.method.test_disclosure import MIN_CELL, random_table


def means(counts: CellCounts, member: np.ndarray, y: np.ndarray) -> np.ndarray:
    weighted = member * counts.weight
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts.unit * (weighted @ y) / (weighted @ counts.v)


def exhaustive(counts: CellCounts, groups, hidden, limit=3000):
    """Every hidden mean's band {node: (low, high, sums, truth)}; None when too many
    combinations to try."""
    nodes = list(groups)
    member = group_matrix([groups[k] for k in nodes], counts.y.size)
    n = member @ counts.v
    shown = [i for i, k in enumerate(nodes) if k not in hidden and n[i] > 0]
    true = means(counts, member, counts.y)
    published = [published_value(true[i], "mean", "estimate") for i in shown]
    touched = sorted({int(c) for k in hidden for c in groups[k] if counts.v[c] > 0})
    ranges = [range(counts.lowest()[c], counts.highest()[c] + 1) for c in touched]
    if np.prod([len(r) for r in ranges], dtype=float) > limit:
        return None
    found = []
    for combo in itertools.product(*ranges):
        y = counts.y.copy()
        y[touched] = combo
        again = means(counts, member, y)
        if [published_value(again[i], "mean", "estimate") for i in shown] == published:
            found.append((again, y))
    return {
        k: (
            min(m[i] for m, _ in found),
            max(m[i] for m, _ in found),
            len({round(float(member[i] @ y)) for _, y in found}),
            true[i],
        )
        for i, k in enumerate(nodes)
        if k in hidden and n[i] > 0
    }


def holds(band, room: int) -> bool:
    low, high, sums, truth = band
    needed = 2 * DEFAULT_PROTECTION * max(1.0, abs(truth))
    return high - low >= needed - 1e-9 and sums >= min(3, room + 1)


def as_mean(counts: CellCounts, rng: np.random.Generator) -> CellCounts:
    """The same table with answers of 0 to 2 (a sum per cell), most of them 0 as days of
    absence are."""
    y = np.array([rng.choice(3, size=v, p=[0.6, 0.25, 0.15]).sum() for v in counts.v])
    return replace(counts, y=y, kind="mean", most=2)


def test_random_tables_hold_the_promise_for_means():
    rng = np.random.default_rng(100)
    broken_before = attacked = 0
    for seed in range(75):
        shares, groups, parent, _, _ = random_table(rng)
        counts = as_mean(shares, rng)
        n = {k: int(counts.v[c].sum()) for k, c in groups.items()}
        start = suppress_hierarchy(n, parent, MIN_CELL)
        before = exhaustive(counts, groups, start)
        hidden, audit = protect_estimates(counts, groups, parent, start)
        assert all(b.ok for b in audit) and start <= hidden
        after = exhaustive(counts, groups, hidden)
        if before is None or after is None:
            continue
        attacked += 1
        room = {k: int(counts.highest()[c].sum()) for k, c in groups.items()}
        broken_before += any(not holds(band, room[k]) for k, band in before.items())
        for k, band in after.items():
            assert holds(band, room[k]), (seed, k, band)
    assert attacked >= 15
    assert broken_before  # the attack works on small groups and complements alone


def test_the_audit_of_a_mean_finds_what_the_exhaustive_attack_finds():
    """Three units; the smallest hidden alone (as an empty sibling left it): the total
    minus the others reads its mean off to within the rounding. Hidden with a complement
    that holds answers to trade, it keeps the promise."""
    cell = np.repeat(np.arange(3), [20, 6, 12])
    design = post_stratify(np.array(["pol"] * 3), np.array(["a", "b", "c"]), np.full(3, 40), cell)
    values = np.zeros(cell.size)
    values[20:26] = [2, 2, 1, 2, 2, 2]
    values[:20] = [1, 0] * 10
    counts = cell_counts(values, cell, 3, design, "mean", (0.0, 2.0))
    groups: dict[Node, np.ndarray] = {TOTAL: np.arange(3)} | {
        ("unit", u): np.array([i]) for i, u in enumerate("abc")
    }
    for hidden, broken in (({("unit", "b")}, True), ({("unit", "b"), ("unit", "c")}, False)):
        attack = exhaustive(counts, groups, hidden)
        bands = {b.node: b for b in audit_estimates(counts, groups, hidden)}
        assert (not holds(attack["unit", "b"], 12)) == broken
        for k, (low, high, _, _) in attack.items():
            # what the audit reports is reached by data sets the attacker cannot rule out
            assert low - 1e-9 <= bands[k].low and bands[k].high <= high + 1e-9
            assert bands[k].ok == holds(attack[k], int(counts.highest()[groups[k]].sum()))


def test_days_per_100_staff_are_attacked_in_whole_days():
    """A mean of days per 100 staff: values are days x 100; the audit counts whole days
    (0 to 365 a respondent) and publishes per 100 staff."""
    cell = np.repeat(np.arange(2), [12, 8])
    design = post_stratify(np.array(["pol"] * 2), np.array(["a", "b"]), np.full(2, 30), cell)
    days = np.array([0, 3, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 2], float)
    counts = cell_counts(days * 100, cell, 2, design, "mean", (0.0, 36500.0), 100)
    assert counts.y.tolist() == [14, 7] and (counts.least, counts.most) == (0, 365)
    assert counts.band_needed(116.7, DEFAULT_PROTECTION) == pytest.approx(23.34)
