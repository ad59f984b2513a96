"""Disclosure control over the linked table, and the audit that attacks it.

Every breakdown of a wave is a union of frame cells (organisation x unit x function
group): the total, each organisation, each unit and each function group. Units and
function groups are the two margins of one table, so the attacker sees one system of
sums over cells, not independent breakdowns. This module models that system and plays
the strongest attacker the project knows against it.

The attack on a share or a mean (``audit_estimates``). The attacker is given more than
the contract's attacker holds: the whole weighting design (every cell's respondents,
strata and weights) and every cell's number of valid answers. What is left unknown are
the sums ``y_c`` per cell (a share's yes-answers; a mean's days), whole numbers between
what the cell's answers can least and most add up to. Each published estimate ``r_g``
of a group, rounded to a unit ``u``, then says

    W_g * (r_g - u/2) <= sum_{c in g} w_c * y_c <= W_g * (r_g + u/2),   W_g = sum w_c v_c

which is linear in the sums. For a hidden group, a mixed-integer programme (scipy's
``milp``, HiGHS) finds the smallest and largest value the group's figure can take under
all of these at once: the band the attack reaches. Standard errors and intervals are not
linear in the counts; rather than relax them, the audit of a share can check each end it
found (points between it and the true data, each step of its walks) by recomputing
*every* published figure of the indicator from the candidate counts, rounded as
published (``intervals``). Only candidates that reproduce them count: each is a data set
the attacker cannot tell from the real one, so the values they give are values the
attacker cannot rule out. The
promise holds for a hidden figure when those verified values span at least
``CellCounts.band_needed`` (2 x protection for a share; for a mean, 2 x protection of its
value, at least 2 x protection) and at least three different sums (or every sum the
group's size allows). Giving the attacker the design and the valid counts makes the
audit stricter, never weaker.

The attack on respondent counts (``audit_counts``): response rates publish respondents
per group; with the frame's headcounts the attacker bounds each hidden group's count
by integer programming over the cells. Every integer solution is a genuine alternative
(nothing else is published about the counts), so the bounds are exact.

``protect_*`` start from the primary and complementary suppression of
``app.method.suppression`` and hide more (a published group that shares cells or a
parent with a failing one, one that holds answers to trade first) until the audit
passes. Closing a wave runs both (app.closing.figures).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial, wraps
from typing import ParamSpec, TypeVar

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from app.method.estimators import _korn_graubard, stratified_variance
from app.method.suppression import Node
from app.method.weights import Design

DEFAULT_PROTECTION = 0.10
P = ParamSpec("P")
R = TypeVar("R")
# Each integer programme stops after this many branch-and-bound nodes with the best data
# set found so far: only verified data sets count, so a stop can only make the band
# narrower (more suppression). A node limit, unlike a time limit, gives the same figures
# on a busy machine as on a quiet one.
MILP_NODES = 50
# A walk that must reproduce the published intervals and standard errors tries this many
# of its best steps (by how far they go) before it stops.
VERIFIED_TRIES = 25


@dataclass(frozen=True)
class Precision:
    """How precisely figures are published (README, "The statistical method", rule 2):
    estimates and interval ends to the decimals of their kind, standard errors to
    ``se_digits`` significant digits. A share of a group with fewer than ``small``
    respondents is published coarser: its interval ends to ``small_decimals`` and,
    without ``small_se``, no standard error. The defaults are what closing publishes
    (``PUBLISHED``); other rules are for measuring what they would cost
    (bench/precision.py)."""

    proportion_decimals: int = 2
    mean_decimals: int = 1
    se_digits: int = 1
    # A small group's rounded interval ends and standard error pin what is hidden around
    # it (bench/precision.py): 1 decimal and none keep the promise hiding least.
    small: int = 200
    small_decimals: int = 1
    small_se: bool = False

    def is_small(self, kind: str, n: float | None) -> bool:
        """Whether a figure of ``n`` respondents is a small group's share, published
        coarser."""
        return kind == "proportion" and n is not None and n < self.small

    def decimals(self, kind: str, field: str, n: float | None = None) -> int:
        """Decimals of an estimate or interval end (a standard error's follow its size);
        n: the figure's respondents."""
        if kind != "proportion":
            return self.mean_decimals
        coarse = field != "estimate" and self.is_small(kind, n)
        return self.small_decimals if coarse else self.proportion_decimals

    def unit(self, kind: str, field: str, n: float | None = None) -> float:
        """The step an estimate or interval end is rounded to."""
        return 10.0 ** -self.decimals(kind, field, n)

    def value(
        self, value: float | None, kind: str, field: str, n: float | None = None
    ) -> float | None:
        """A figure's value as published; None where it is not published."""
        if value is None or not np.isfinite(value):
            return None
        if field == "se":
            if self.is_small(kind, n) and not self.small_se:
                return None
            if value == 0:
                return 0.0
            digits = self.se_digits - 1 - int(np.floor(np.log10(abs(value))))
        else:
            digits = self.decimals(kind, field, n)
        return round(float(value), digits) + 0.0  # + 0.0: no "-0.0"

    def as_compared(
        self, figure: Sequence[float | None], kind: str, n: float | None
    ) -> tuple[float, ...]:
        """A published (estimate, se, ci_low, ci_high) as a change between waves reads it
        (NaN for what is not published): an interval end published to fewer decimals than
        its estimate stands for anything within half its last decimal, so the change takes
        the widest it could be, and is never surer than the wave."""
        estimate, se, low, high = (np.nan if x is None else float(x) for x in figure)
        step = self.unit(kind, "ci_low", n)
        if step > self.unit(kind, "estimate"):  # only a small group's share
            low, high = max(low - step / 2, 0.0), min(high + step / 2, 1.0)
        return estimate, se, low, high


PUBLISHED = Precision()
published_value = PUBLISHED.value
# Until December 2026 every share was published alike, small groups' included.
PUBLISHED_BEFORE_2026_12 = Precision(small=0)


@dataclass(frozen=True)
class CellCounts:
    """One indicator's counts per frame cell, with the design that weights them.

    A share counts yes-answers (0 or 1 each); a mean of days adds whole numbers of days
    (0 to 365 each): ``y`` is that sum in steps of ``unit`` (a value of the figure), and
    each answer lies between ``least`` and ``most`` steps. A share is the mean of answers
    between 0 and 1, so both are attacked alike."""

    y: np.ndarray  # int, yes-answers (a mean: the answers' sum in steps) per cell
    v: np.ndarray  # int, valid answers (in the domain, with a value) per cell
    weight: np.ndarray  # float, the weight of the cell's respondents (0 without any)
    stratum: np.ndarray  # int, the cell's stratum (-1 without respondents)
    design: Design
    kind: str = "proportion"
    unit: float = 1.0  # the figure's value of one step
    least: int = 0  # one answer's range, in steps
    most: int = 1

    def band_needed(self, value: float, protection: float) -> float:
        """The promise for a figure: a share's band at least 2 x protection (20 points);
        a mean, a magnitude, as tau-Argus protects magnitudes, at least 2 x protection of
        its value (20% of 12 days is 2.4 days), and never less than 2 x protection in its
        own unit."""
        return 2 * protection * (1.0 if self.kind == "proportion" else max(1.0, abs(value)))

    def lowest(self) -> np.ndarray:
        """The fewest steps each cell's answers can add up to."""
        return self.v * self.least

    def highest(self) -> np.ndarray:
        return self.v * self.most


@dataclass(frozen=True)
class Band:
    """What the attack reached for one hidden figure."""

    node: Node
    attack_low: float  # the integer programme's bounds (estimates and counts only)
    attack_high: float
    low: float  # verified: values of data sets that reproduce every published figure
    high: float
    counts: int  # different yes-counts (respondents) among the verified data sets
    needed_counts: int
    ok: bool

    @property
    def width(self) -> float:
        return self.high - self.low


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """File descriptor 1 to /dev/null: HiGHS 1.12's integer solver prints a stray debug line
    there whatever its options (ERGO-Code/HiGHS#2783), and stdout is the commands' data."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solver_quiet(attack: Callable[P, R]) -> Callable[P, R]:
    @wraps(attack)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with _stdout_silenced():
            return attack(*args, **kwargs)

    return run


def group_matrix(groups: Sequence[np.ndarray], n_cells: int) -> np.ndarray:
    """0/1 matrix: groups x cells."""
    m = np.zeros((len(groups), n_cells))
    for i, cells in enumerate(groups):
        m[i, cells] = 1.0
    return m


def proportion_figures(
    y: np.ndarray, counts: CellCounts, member: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Estimate, se, ci_low, ci_high and n of every group (rows of ``member``) from counts
    per cell: the same arithmetic as ``estimate_groups`` for a 0/1 indicator."""
    r, se, df, n = _proportion_moments(y, counts, member)
    low, high = _korn_graubard(r, se, df, n)
    return r, se, low, high, n


def _proportion_moments(
    y: np.ndarray, counts: CellCounts, member: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Estimate, se, degrees of freedom and n of every group: the figures but the interval."""
    design = counts.design
    v = counts.v.astype(float)
    y = np.asarray(y, dtype=float)
    w = counts.weight
    n_strata = design.population.size
    has = np.flatnonzero(counts.stratum >= 0)
    # groups x strata sums of yes-counts and valid counts: a cell is in one stratum
    slot = (np.arange(member.shape[0])[:, None] * n_strata + counts.stratum[has]).ravel()
    size = member.shape[0] * n_strata

    def by_stratum(x: np.ndarray) -> np.ndarray:
        return np.bincount(slot, (member[:, has] * x[has]).ravel(), size).reshape(-1, n_strata)

    gy, gv = by_stratum(y), by_stratum(v)
    w_h = np.zeros(n_strata)
    w_h[counts.stratum[has]] = w[has]
    n = gv.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        total = gv @ w_h
        r = (gy @ w_h) / total
        rr = r[:, None]
        z_sum = w_h * (gy - rr * gv) / total[:, None]
        z_sq = w_h**2 * (gy * (1 - rr) ** 2 + (gv - gy) * rr**2) / total[:, None] ** 2
        variance = stratified_variance(z_sum, z_sq, design)
    se = np.where(n > 0, np.sqrt(variance), np.nan)
    df = n - np.count_nonzero(gv, axis=1)
    return r, se, df, n


def _rounded(
    figures: tuple[np.ndarray, ...], rows: np.ndarray, precision: Precision = PUBLISHED
) -> list[tuple[float | None, ...]]:
    r, se, low, high, n = figures
    return [
        tuple(
            precision.value(x[i], "proportion", f, n[i])
            for x, f in ((r, "estimate"), (se, "se"), (low, "ci_low"), (high, "ci_high"))
        )
        for i in rows
    ]


def _interval_window(
    truth: tuple[np.ndarray, ...],
    published: list[tuple[float | None, ...]],
    precision: Precision = PUBLISHED,
) -> tuple[np.ndarray, np.ndarray]:
    """Per published share, the values its estimate can take given its published estimate
    and interval ends, each rounded as ``precision`` publishes it. An interval end lies
    at a distance from the estimate that hardly changes when a few answers move, so a
    rounded end is a second (and third) rounded estimate with its own offset: the
    attacker intersects them, and the window is often a third of the estimate's alone.
    Data sets in these windows still have to reproduce every published figure
    (``verified``); the windows make the search find them."""
    r, _, low, high, n = truth
    ends = np.array(
        [[np.nan if x is None else x for x in p] for p in published], dtype=float
    ).reshape(-1, 4)
    half = precision.unit("proportion", "estimate") / 2
    end_half = np.array([precision.unit("proportion", "ci_low", k) / 2 for k in n])
    with np.errstate(invalid="ignore"):
        below = np.fmax(
            ends[:, 0] - half,
            np.fmax(ends[:, 2] - end_half + (r - low), ends[:, 3] - end_half - (high - r)),
        )
        above = np.fmin(
            ends[:, 0] + half,
            np.fmin(ends[:, 2] + end_half + (r - low), ends[:, 3] + end_half - (high - r)),
        )
    return below, above


@_solver_quiet
def audit_estimates(
    counts: CellCounts,
    groups: Mapping[Node, np.ndarray],
    hidden: set[Node],
    protection: float = DEFAULT_PROTECTION,
    only: set[Node] | None = None,
    intervals: bool = True,
    enough: bool = False,
    withheld: frozenset[Node] = frozenset(),
    precision: Precision = PUBLISHED,
) -> list[Band]:
    """The attack on every hidden figure (with a respondent) of one share or mean, or on
    those in ``only``; with ``enough`` each search stops once the promise is shown to
    hold (the band is then at least, not exactly, what is reported). ``withheld``
    figures are not published for reasons that are no secret (coverage, no interval):
    the attacker has no equation for them, and they are not attacked. ``intervals``
    (shares only) also keeps to data sets that reproduce every published interval and
    standard error. Figures are published as ``precision`` says."""
    nodes = list(groups)
    member = group_matrix([groups[k] for k in nodes], counts.y.size)
    w_all = counts.weight
    v_all = counts.v.astype(float)
    unseen = hidden | withheld
    n = member @ v_all
    rows = np.flatnonzero([k not in unseen and n[i] > 0 for i, k in enumerate(nodes)])
    a_all = member[rows] * w_all * counts.unit  # a published figure is a_all @ y / total
    total = member[rows] * w_all @ v_all
    intervals = intervals and counts.kind == "proportion"
    unit = precision.unit(counts.kind, "estimate")
    if intervals:
        truth = proportion_figures(counts.y, counts, member[rows])
        published = _rounded(truth, np.arange(rows.size), precision)
        estimate = np.array([p[0] for p in published], dtype=float)
        window = _interval_window(truth, published, precision)
    else:
        estimate = np.array(
            [precision.value(x, counts.kind, "estimate") for x in a_all @ counts.y / total],
            dtype=float,
        )
        window = (estimate - unit / 2, estimate + unit / 2)
    low_all, high_all = total * window[0], total * window[1]
    cells_with = counts.v > 0  # cells with something unknown
    lowest, highest = counts.lowest(), counts.highest()
    organisation = _organisation_of_cells(groups, counts.y.size)
    hidden_rows = [j for j, k in enumerate(nodes) if k in unseen and k[0] != "total"]
    in_hidden = member[hidden_rows].sum(axis=0) > 0 if hidden_rows else member[0] > 0

    shown = member[rows]

    def verified(free: np.ndarray, candidate: np.ndarray) -> bool:
        y = counts.y.copy()
        y[free] = candidate
        # Only the figures of groups holding a changed cell can change.
        touched = np.flatnonzero(shown[:, y != counts.y].any(axis=1))
        expected = [published[t] for t in touched]
        r, se, df, n_touched = _proportion_moments(y, counts, shown[touched])
        # Estimates and standard errors first: the interval's quantiles cost the most.
        if [
            (
                precision.value(a, "proportion", "estimate"),
                precision.value(b, "proportion", "se", k),
            )
            for a, b, k in zip(r, se, n_touched, strict=True)
        ] != [e[:2] for e in expected]:
            return False
        low, high = _korn_graubard(r, se, df, n_touched)
        figures = (r, se, low, high, n_touched)
        return _rounded(figures, np.arange(touched.size), precision) == expected

    bands = []
    for i, k in enumerate(nodes):
        if k not in hidden or n[i] == 0 or (only is not None and k not in only):
            continue
        # The attacker may move answers in any cell; the audit looks for its data sets in
        # the organisation(s) of the hidden group and keeps the rest as it is (fewer data
        # sets, so a narrower band: never in the defender's favour).
        # Only cells in some hidden group move: a cell whose groups are all published
        # could only move if others make up for it in each of them.
        orgs = set(organisation[member[i] > 0].tolist())
        free = np.flatnonzero(cells_with & np.isin(organisation, list(orgs)) & in_hidden)
        fixed = np.setdiff1d(np.arange(counts.y.size), free)
        rest = a_all[:, fixed] @ counts.y[fixed]
        target = member[i] * w_all * counts.unit
        size = float(member[i] * w_all @ v_all)
        band_needed = counts.band_needed(float(target @ counts.y) / size, protection)
        search = _Search(
            constraints=[LinearConstraint(a_all[:, free], low_all - rest, high_all - rest)]
            if rows.size
            else [],
            bounds=Bounds(lowest[free], highest[free]),
            target=target[free],
            members=member[i, free],
            y_true=counts.y[free].astype(float),
            size=size,
            base=float(target[fixed] @ counts.y[fixed]),
            base_yes=int(member[i, fixed] @ counts.y[fixed]),
            needed=min(3, int(member[i] @ (highest - lowest)) + 1),
            band_needed=band_needed,
            verified=partial(verified, free) if intervals else None,
            walks=counts.most - counts.least == 1,
        )
        if not enough:
            bands.append(search.band(k))
            continue
        # Closing only needs to know whether the promise holds. First the linear
        # relaxation (a millisecond or two): it bounds every data set the attacker could
        # find, so narrower than the promise, the figure fails without the integer
        # programmes (which are slowest exactly there, proving that nothing else fits);
        # on a small wave most hidden figures end here. Then the walks, which often show
        # that it holds; they step one answer at a time, which suits shares, not sums of
        # days. Then the integer programmes.
        low, high = search.relaxed()
        if high - low < band_needed - 1e-9:
            bands.append(search.pinned(k, (low, high)))
            continue
        settled = search.shortcut(k)
        bands.append(search.band(k) if settled is None else settled)
    return bands


@dataclass
class _Search:
    """The attack on one hidden figure: integer programmes over the free cells' yes-counts
    under the published estimates (``constraints``); ``verified`` (if given) keeps only
    data sets that also reproduce every published interval and standard error."""

    constraints: list[LinearConstraint]
    bounds: Bounds
    target: np.ndarray  # weight of each free cell's yes-count in the group's numerator
    members: np.ndarray  # 1 for the free cells in the group
    y_true: np.ndarray
    size: float  # the group's weighted valid answers (the figure's denominator)
    base: float  # the numerator of the group's cells kept as they are
    base_yes: int
    needed: int
    band_needed: float  # the promise: the band at least this wide
    verified: Callable[[np.ndarray], bool] | None
    # Whether to walk from the truth (shares): the walks step one answer at a time, which
    # suits shares, not sums of days; with ``verified``, only through verified data sets.
    walks: bool
    # The relaxation's solutions per direction, once solved: rounded, often already a
    # data set that fits, which spares an integer programme.
    hints: dict[float, np.ndarray] = field(default_factory=dict)
    walk_sets: list[np.ndarray] | None = None

    def value(self, y: np.ndarray) -> float:
        return (self.base + float(self.target @ y)) / self.size

    def yes(self, y: np.ndarray) -> int:
        return self.base_yes + round(float(self.members @ y))

    def relaxed(self) -> tuple[float, float]:
        """The band of the linear relaxation (counts need not be whole): it holds every
        data set the attacker could find."""
        a_ub = b_ub = None
        if self.constraints:
            (published,) = self.constraints
            a_ub = np.vstack([published.A, -published.A])
            b_ub = np.concatenate([published.ub, -published.lb])
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                sign * self.target,
                A_ub=a_ub,
                b_ub=b_ub,
                bounds=np.column_stack([self.bounds.lb, self.bounds.ub]),
                method="highs",
            )
            if result.x is not None:
                self.hints[sign] = result.x
            ends.append(self.value(self.y_true if result.x is None else result.x))
        return min(ends), max(ends)

    def fits(self, y: np.ndarray) -> bool:
        """Whether counts reproduce every published estimate (as rounded)."""
        return all(
            bool(np.all(c.lb - 1e-9 <= c.A @ y) and np.all(c.A @ y <= c.ub + 1e-9))
            for c in self.constraints
        )

    def extreme(self, sign: float) -> np.ndarray:
        """Whole counts as low (sign 1) or high (sign -1) as the attack gets the figure: the
        relaxation's solution rounded where that fits, else the integer programme's."""
        hint = self.hints.get(sign)
        if hint is not None and self.fits(np.round(hint)):
            return np.round(hint)
        result = milp(
            sign * self.target,
            constraints=self.constraints,
            integrality=np.ones(self.y_true.size),
            bounds=self.bounds,
            options={"node_limit": MILP_NODES},
        )
        return self.y_true if result.x is None else np.round(result.x)

    def pinned(self, node: Node, outer: tuple[float, float]) -> Band:
        """A failing figure's band without searching: the truth, inside the relaxation's."""
        truth = self.value(self.y_true)
        return Band(node, outer[0], outer[1], truth, truth, 1, self.needed, False)

    def shortcut(self, node: Node) -> Band | None:
        """The promise shown to hold without integer programmes: walks from the truth,
        one or two changed answers a step, each step a data set that fits every
        published estimate (and, with ``verified``, reproduces every published interval
        and standard error: one the attacker cannot rule out), towards the lowest and
        towards the highest value. None when the walks do not span the band and the
        counts the promise needs (the integer programmes then search further)."""
        if not self.walks:
            return None
        found = [self.y_true, *self.walked()]
        values = [self.value(f) for f in found]
        low, high = min(values), max(values)
        counts = len({self.yes(f) for f in found})
        if high - low < self.band_needed - 1e-9 or counts < self.needed:
            return None
        return Band(node, low, high, low, high, counts, self.needed, True)

    def walked(self) -> list[np.ndarray]:
        """The data sets of the walks both ways, each long enough to span the band (walked
        once: the shortcut's are the band's too)."""
        if self.walk_sets is None:
            steps = int(np.ceil(self.band_needed * float(self.members @ self.bounds.ub))) + 3
            self.walk_sets = [*self.walk(1.0, steps), *self.walk(-1.0, steps)]
        return self.walk_sets

    def walk(self, sign: float, steps: int) -> list[np.ndarray]:
        """Data sets from the truth towards the lowest (sign 1) or highest (sign -1)
        value: each step moves one answer of the group the way the walk goes and, where
        the published estimates need it, one answer elsewhere the other way (the pair
        that gets furthest while every estimate keeps its published rounding)."""
        if not self.constraints:
            return []
        (published,) = self.constraints
        a, lb, ub = published.A, published.lb - 1e-9, published.ub + 1e-9
        y = self.y_true.copy()
        bottom, top = self.bounds.lb, self.bounds.ub
        own = np.flatnonzero(self.members)
        in_row = a != 0  # the published groups each free cell is in
        visited = []
        for _ in range(steps):
            # the group's answer moves by -sign; the other answer (or none) by +sign
            step = -sign
            movable = own[(y[own] + step >= bottom[own]) & (y[own] + step <= top[own])]
            others = np.flatnonzero((y - step >= bottom) & (y - step <= top))
            if not movable.size:
                break
            now = a @ y
            one = now[:, None] + step * a[:, movable]  # rows x movable
            two = one[:, :, None] - step * a[:, others][:, None, :]  # rows x movable x others
            fits_one = np.all((lb[:, None] <= one) & (one <= ub[:, None]), axis=0)
            fits_two = np.all((lb[:, None, None] <= two) & (two <= ub[:, None, None]), axis=0)
            fits_two &= movable[:, None] != others[None, :]
            gain_one = -sign * step * self.target[movable]  # > 0: the way the walk goes
            gain_two = gain_one[:, None] + sign * step * self.target[others][None, :]
            gain_one = np.where(fits_one, gain_one, -np.inf)
            gain_two = np.where(fits_two & (gain_two > 1e-12), gain_two, -np.inf)
            # With intervals to keep, steps that touch fewer published groups first: a
            # pair inside the same groups changes none of their figures' sums.
            touches = None
            if self.verified is not None:
                touches = np.concatenate([
                    in_row[:, movable].sum(axis=0),
                    (in_row[:, movable][:, :, None] != in_row[:, others][:, None, :])
                    .sum(axis=0)
                    .ravel(),
                ])  # fmt: skip
            moved = self._furthest(y, step, movable, others, gain_one, gain_two, touches)
            if moved is None:
                break
            y = moved
            visited.append(y)
        return visited

    def _furthest(
        self,
        y: np.ndarray,
        step: float,
        movable: np.ndarray,
        others: np.ndarray,
        gain_one: np.ndarray,
        gain_two: np.ndarray,
        touches: np.ndarray | None,
    ) -> np.ndarray | None:
        """The step that gains most, one answer alone before a pair that gains as much;
        with ``verified``, the first of a few steps that gain, those touching the fewest
        published groups (``touches``) first, that also reproduces every published interval
        and standard error. None if no step gains."""
        gains = np.concatenate([gain_one, gain_two.ravel()])
        gaining = np.flatnonzero(gains > 0)
        if touches is None:
            order = gaining[np.argsort(-gains[gaining], kind="stable")][:1]
        else:
            order = gaining[np.lexsort((-gains[gaining], touches[gaining]))][:VERIFIED_TRIES]
        for j in order:
            moved = y.copy()
            if j < movable.size:
                moved[movable[j]] += step
            else:
                m, c = divmod(int(j) - movable.size, others.size)
                moved[movable[m]] += step
                moved[others[c]] -= step
            if self.verified is None or self.verified(moved):
                return moved
        return None

    def band(self, node: Node) -> Band:
        """The band between the lowest and highest data sets found."""
        integrality = np.ones(self.y_true.size)
        start = float(self.target @ self.y_true)
        # The walks' data sets count too (the integer programmes stop after a fixed amount
        # of work and may miss what a walk finds): the band is never narrower than the
        # one the close's shortcut reached.
        reached, found = [], [self.y_true, *(self.walked() if self.walks else [])]
        if not self.hints:  # the relaxation's ends, rounded, spare integer programmes
            self.relaxed()
        for sign in (1.0, -1.0):
            end = self.extreme(sign)
            reached.append(self.value(end))
            if self.verified is None:  # the end fits every published estimate as it is
                found.append(end)
                continue
            # Data sets that reach towards the end while changing as few answers as
            # possible (so that intervals elsewhere keep their rounding): the farthest
            # verified one, and one halfway for a third count.
            reach = float(self.target @ end)
            for t in (1.0, 0.5):
                goal = start + t * (reach - start)
                candidate = _nearest(
                    self.y_true, self.constraints, self.bounds, self.target, goal, sign
                )
                if candidate is not None and self.verified(candidate):
                    found.append(candidate)
                    half = _nearest(
                        self.y_true,
                        self.constraints,
                        self.bounds,
                        self.target,
                        start + t * (reach - start) / 2,
                        sign,
                    )
                    if half is not None and self.verified(half):
                        found.append(half)
                    break
        yes_counts = {self.yes(f) for f in found}
        # A third count, if the ends and the truth give only two: a data set with each
        # count in between, if one reproduces every published figure.
        for count in range(min(yes_counts) + 1, max(yes_counts)):
            if len(yes_counts) >= self.needed:
                break
            if count in yes_counts:
                continue
            result = milp(
                np.zeros(self.y_true.size),
                constraints=[
                    *self.constraints,
                    LinearConstraint(
                        self.members[None, :], count - self.base_yes, count - self.base_yes
                    ),
                ],
                integrality=integrality,
                bounds=self.bounds,
                options={"node_limit": MILP_NODES},
            )
            if result.x is None:
                continue
            candidate = np.round(result.x)
            if self.verified is None or self.verified(candidate):
                found.append(candidate)
                yes_counts.add(count)
        values = [self.value(f) for f in found]
        low, high = min(values), max(values)
        return Band(
            node=node,
            attack_low=min(reached),
            attack_high=max(reached),
            low=low,
            high=high,
            counts=len(yes_counts),
            needed_counts=self.needed,
            ok=high - low >= self.band_needed - 1e-9 and len(yes_counts) >= self.needed,
        )


def _nearest(
    y_true: np.ndarray,
    constraints: list[LinearConstraint],
    bounds: Bounds,
    target: np.ndarray,
    goal: float,
    sign: float,
) -> np.ndarray | None:
    """Integer counts closest to the truth (fewest changed answers) whose target is at
    least ``goal`` (sign -1: above; +1: at most), under the published estimates."""
    k = y_true.size
    # variables: y (k), d (k) with d >= |y - y_true|; minimise sum d
    eye = np.eye(k)
    rows = [
        LinearConstraint(np.hstack([c.A, np.zeros((c.A.shape[0], k))]), c.lb, c.ub)
        for c in constraints
    ]
    rows.append(LinearConstraint(np.hstack([eye, -eye]), -np.inf, y_true))
    rows.append(LinearConstraint(np.hstack([eye, eye]), y_true, np.inf))
    goal_row = np.hstack([target, np.zeros(k)])[None, :]
    if sign > 0:
        rows.append(LinearConstraint(goal_row, -np.inf, goal + 1e-9))
    else:
        rows.append(LinearConstraint(goal_row, goal - 1e-9, np.inf))
    result = milp(
        np.hstack([np.zeros(k), np.ones(k)]),
        constraints=rows,
        integrality=np.ones(2 * k),
        bounds=Bounds(np.hstack([bounds.lb, np.zeros(k)]), np.hstack([bounds.ub, bounds.ub])),
        options={"node_limit": MILP_NODES},
    )
    return None if result.x is None else np.round(result.x[:k])


def _organisation_of_cells(groups: Mapping[Node, np.ndarray], n_cells: int) -> np.ndarray:
    """Each cell's organisation code ("" if the groups name none)."""
    found = np.full(n_cells, "", dtype=object)
    for (level, code), cells in groups.items():
        if level == "organisation":
            found[cells] = code
    return found


@_solver_quiet
def audit_counts(
    respondents: np.ndarray,
    headcount: np.ndarray,
    groups: Mapping[Node, np.ndarray],
    hidden: set[Node],
) -> list[Band]:
    """The attack on hidden respondent counts: each hidden group's count bounded by
    integer programming over the cells, from the published counts and the headcounts.
    The band is in respondents; the promise asks for at least 3 possible counts."""
    nodes = list(groups)
    member = group_matrix([groups[k] for k in nodes], respondents.size)
    shown = np.array([k not in hidden for k in nodes])
    known = member[shown] @ respondents
    constraints = [LinearConstraint(member[shown], known, known)] if shown.any() else []
    bounds = Bounds(np.zeros(respondents.size), headcount.astype(float))
    integrality = np.ones(respondents.size)
    bands = []
    for i, k in enumerate(nodes):
        if k not in hidden:
            continue
        ends = []
        for sign in (1.0, -1.0):
            result = milp(
                sign * member[i], constraints=constraints, integrality=integrality, bounds=bounds
            )
            assert result.x is not None  # the true counts are a solution
            ends.append(float(np.round(member[i] @ result.x)))
        low, high = min(ends), max(ends)
        bands.append(Band(k, low, high, low, high, int(high - low) + 1, 3, high - low >= 2))
    return bands


def _complement(
    failing: Node,
    groups: Mapping[Node, np.ndarray],
    hidden: set[Node],
    size: Mapping[Node, float],
    parent: Mapping[Node, Node],
    rank: Callable[[Node], tuple[float | bool, ...]] = lambda _: (),
) -> Node | None:
    """The published group to hide next for a failing one: among its siblings and the
    groups sharing cells with it, the first by ``rank``, then the smallest (by
    respondents, then code); the total last."""
    cells = set(groups[failing].tolist())
    mother = parent.get(failing)
    candidates = [
        k
        for k in groups
        if k not in hidden
        and k != failing
        and (
            (mother is not None and parent.get(k) == mother and k[0] == failing[0])
            or cells & set(groups[k].tolist())
        )
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda k: (k[0] == "total", *rank(k), size[k], k))


def protect_estimates(
    counts: CellCounts,
    groups: Mapping[Node, np.ndarray],
    parent: Mapping[Node, Node],
    hidden: set[Node],
    protection: float = DEFAULT_PROTECTION,
    intervals: bool = True,
    withheld: frozenset[Node] = frozenset(),
    holding: frozenset[Node] = frozenset(),
    precision: Precision = PUBLISHED,
) -> tuple[set[Node], list[Band]]:
    """Hide more until the attack on every hidden figure of a share or mean fails
    (``intervals=False``: an attack on the published estimates alone). ``holding``: hidden
    figures already shown to hold the promise with fewer figures hidden, not attacked
    again (the bands returned are those of the figures attacked)."""
    hidden = set(hidden)
    size = {k: float(counts.v[cells].sum()) for k, cells in groups.items()}
    # In steps above the least answers: a share's yes-answers, a mean's days; ``room``
    # is how far they could go (a share: the valid answers).
    above, most = counts.y - counts.lowest(), counts.highest() - counts.lowest()
    yes = {k: float(above[cells].sum()) for k, cells in groups.items()}
    room = {k: float(most[cells].sum()) for k, cells in groups.items()}

    def rank(k: Node) -> tuple[float, bool]:
        """A hidden figure is protected by answers the attacker cannot place: yes- and
        no-answers that could as well lie in another hidden group of its breakdown and
        parent. First the candidates that, hidden, could trade with those as many
        answers as their own band needs (one that cannot only leads on to hiding more,
        up to its parent), the closest next; then one with both yes- and no-answers of
        its own (one without gives a failing group nothing to take); then the smallest."""
        mother = parent.get(k)
        near = [h for h in hidden if h != k and h[0] == k[0] and parent.get(h) == mother]
        near_yes = sum(yes[h] for h in near)
        near_no = sum(room[h] for h in near) - near_yes
        trade = min(near_yes, room[k] - yes[k]) + min(yes[k], near_no)
        # unweighted: enough to rank by
        mean = counts.unit * (yes[k] + counts.least * size[k]) / size[k] if size[k] else 0.0
        needed = max(
            counts.band_needed(mean, protection) * size[k] / counts.unit, min(2.0, room[k])
        )
        return -min(1.0, trade / needed) if needed else -1.0, not 0 < yes[k] < room[k]

    # Hiding more only takes equations away from the attacker: a figure that holds the
    # promise keeps holding it, so only the failing ones (and the newly hidden) are
    # attacked again.
    done: dict[Node, Band] = {}
    todo: set[Node] | None = (hidden - holding) if holding else None
    while True:
        for band in audit_estimates(
            counts,
            groups,
            hidden,
            protection,
            todo,
            intervals,
            enough=True,
            withheld=withheld,
            precision=precision,
        ):
            done[band.node] = band
        failing = [b for b in done.values() if not b.ok]
        more = {_complement(b.node, groups, hidden | withheld, size, parent, rank) for b in failing}
        more.discard(None)
        if not more:
            return hidden, list(done.values())
        added = {k for k in more if k is not None}
        hidden |= added
        todo = {b.node for b in failing} | added


def protect_counts(
    respondents: np.ndarray,
    headcount: np.ndarray,
    groups: Mapping[Node, np.ndarray],
    parent: Mapping[Node, Node],
    hidden: set[Node],
) -> tuple[set[Node], list[Band]]:
    """Hide more until no hidden respondent count is narrowed to fewer than 3 values."""
    hidden = set(hidden)
    size = {k: float(respondents[cells].sum()) for k, cells in groups.items()}
    while True:
        bands = audit_counts(respondents, headcount, groups, hidden)
        more = {_complement(b.node, groups, hidden, size, parent) for b in bands if not b.ok}
        more.discard(None)
        if not more:
            return hidden, bands
        hidden |= {k for k in more if k is not None}


def cell_counts(
    values: np.ndarray,
    cell: np.ndarray,
    n_cells: int,
    design: Design,
    kind: str = "proportion",
    answers: tuple[float, float] = (0.0, 1.0),
    unit: float = 1.0,
) -> CellCounts:
    """Per-cell sums (yes-counts of a 0/1 indicator; of a mean, the values in steps of
    ``unit``, whole numbers: days times the indicator's scale) and valid counts, with
    each cell's weight and stratum (``cell`` gives each respondent's frame cell);
    ``answers`` is the range of one value."""
    valid = ~np.isnan(values)
    v = np.bincount(cell[valid], minlength=n_cells)
    y = np.bincount(cell[valid], values[valid] / unit, minlength=n_cells).round().astype(int)
    weight = np.zeros(n_cells)
    stratum = np.full(n_cells, -1)
    weight[cell] = design.weight
    stratum[cell] = design.stratum
    least, most = (round(a / unit) for a in answers)
    return CellCounts(y, v, weight, stratum, design, kind, unit, least, most)
