"""A wave's figures: weights from the frame, estimates for every indicator and breakdown,
suppression; stored once at close, computed on demand for an open wave's preview; and the
trends read back from what was stored."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from itertools import groupby
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np
from scipy import stats
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.indicators.definitions import Indicator, IndicatorSet
from app.indicators.derive import derive, load_answers
from app.problems import Conflict
from app.questionnaires.conditions import AnswerTable, collector_paused
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version
from app.stats.estimators import ALPHA, Change, GroupEstimates, estimate_groups
from app.stats.groups import cell_groups, hierarchy, node, respondent_frame_cells
from app.stats.models import BREAKDOWNS, Estimate
from app.stats.rates import response_rates, store_counts
from app.stats.suppression import Node, suppress_hierarchy
from app.stats.weights import Design, post_stratify
from app.waves.models import Wave
from app.waves.service import FrameRow, frame_cells

Rates = dict[str | None, float | None]  # group (None: the total) -> response rate


@dataclass(frozen=True)
class WaveSample:
    """A wave's responses as columns, each placed in its frame cell and weighted."""

    questionnaire: Questionnaire
    table: AnswerTable
    frame: list[FrameRow]
    cell: np.ndarray  # frame-cell index per respondent
    design: Design | None  # None without respondents


@dataclass(frozen=True)
class Figure:
    """One figure, as stored in `estimate` (without its wave)."""

    indicator: str
    breakdown: str
    group_code: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n: int | None
    suppressed: bool
    series_break: bool


def wave_sample(session: Session, wave: Wave) -> WaveSample:
    questionnaire = get_version(session, wave.questionnaire_id)
    table = load_answers(session, wave.id, questionnaire)
    frame = frame_cells(session, wave.id)
    cell = respondent_frame_cells(table, frame)
    if (cell < 0).any():
        raise Conflict(
            f"wave {wave.id} has responses in cells that are no longer in its frame; "
            "load a frame with every cell ('monitor frame load')"
        )
    return WaveSample(questionnaire, table, frame, cell, _design(wave, frame, cell))


def _design(wave: Wave, frame: list[FrameRow], cell: np.ndarray) -> Design | None:
    organisation = np.array([c.organisation for c in frame])
    # An organisation without respondents cannot be weighted: its cells are left out, so
    # the figures describe the organisations that answered (its own have n = 0).
    kept = np.isin(organisation, organisation[cell])
    if not kept.any():
        return None
    try:
        return post_stratify(
            organisation[kept],
            np.array([c.unit for c in frame])[kept],
            np.array([c.headcount for c in frame])[kept],
            (np.cumsum(kept) - 1)[cell],
        )
    except ValueError as exc:
        raise Conflict(
            f"the responses of wave {wave.id} cannot be weighted to its frame: {exc}; "
            "correct the frame ('monitor frame load') and try again"
        ) from None


def compute_figures(
    sample: WaveSample,
    defs: IndicatorSet,
    min_cell: int,
    indicators: list[Indicator] | None = None,
) -> list[Figure]:
    """Every breakdown of every indicator (all by default), suppressed per indicator as
    one hierarchy, so no hidden figure follows from the published ones."""
    chosen = list(defs.indicators) if indicators is None else indicators
    values = derive(defs, sample.questionnaire, sample.table, chosen)
    groupings = {by: cell_groups(sample.frame, by) for by in BREAKDOWNS}
    # Each respondent's group per breakdown, once for all indicators.
    respondent_group = {by: of_cell[sample.cell] for by, (_, of_cell) in groupings.items()}
    parent = hierarchy(sample.frame)
    figures: list[Figure] = []
    for indicator in chosen:
        series_break = indicator.versions[sample.questionnaire.id].series_break
        results: dict[Node, tuple[str, str, GroupEstimates, int]] = {}
        for by, (codes, _) in groupings.items():
            if sample.design is None:
                result = _no_respondents(len(codes))
            else:
                result = estimate_groups(
                    values[indicator.id],
                    respondent_group[by],
                    len(codes),
                    sample.design,
                    indicator.kind,
                )
            for i, code in enumerate(codes):
                results[node(by, code)] = (by, code, result, i)
        hidden = suppress_hierarchy(
            {key: int(r.n[i]) for key, (_, _, r, i) in results.items()}, parent, min_cell
        )
        for key, (by, code, r, i) in results.items():
            shown = key not in hidden
            figures.append(
                Figure(
                    indicator=indicator.id,
                    breakdown=by,
                    group_code=code,
                    estimate=_published(r.estimate[i], shown),
                    ci_low=_published(r.ci_low[i], shown),
                    ci_high=_published(r.ci_high[i], shown),
                    se=_published(r.se[i], shown),
                    n=int(r.n[i]) if shown else None,
                    suppressed=not shown,
                    series_break=series_break,
                )
            )
    return figures


def _no_respondents(n_groups: int) -> GroupEstimates:
    nan = np.full(n_groups, np.nan)
    return GroupEstimates(nan, nan, nan, nan, np.zeros(n_groups, dtype=int))


def _published(value: float, shown: bool) -> float | None:
    # An interval without degrees of freedom is NaN: stored as NULL, like a hidden one.
    return float(value) if shown and np.isfinite(value) else None


def store_wave_estimates(session: Session, wave: Wave, defs: IndicatorSet, min_cell: int) -> None:
    """At close: the wave's figures, and its final respondent counts (replacing the day's
    snapshot). Computed once; trends only read them."""
    # The cyclic garbage collector would walk the wave's answers (a million lists of
    # choices, columns of a million) on each of its full passes; nothing here makes
    # cycles, so it waits until the wave's figures are stored.
    with collector_paused():
        sample = wave_sample(session, wave)
        figures = compute_figures(sample, defs, min_cell)
        session.execute(insert(Estimate), [{"wave_id": wave.id, **asdict(f)} for f in figures])
        store_counts(session, wave.id, sample.table, sample.frame, as_of=None)


def preview(
    session: Session, wave: Wave, indicator: Indicator, by: str, defs: IndicatorSet, min_cell: int
) -> list[Figure]:
    """An open wave's figures so far, computed now (admins; never stored)."""
    if wave.status != "open":
        raise Conflict(
            f"wave {wave.id} is {wave.status}: a preview is for an open wave "
            "(a closed wave's figures are in the trends)"
        )
    figures = compute_figures(wave_sample(session, wave), defs, min_cell, [indicator])
    return [f for f in figures if f.breakdown == by]


# A closed wave's respondent counts are final (written at close, never changed), so its
# response rates per breakdown are kept once read, per database: a trend over ten waves
# then runs no ten queries and suppressions per request. They are read again after
# RATES_KEPT_SECONDS all the same, should the database be replaced under a running server.
RATES_KEPT_SECONDS = 300.0
_closed_wave_rates: WeakKeyDictionary[Any, dict[tuple[str, str, int], tuple[float, Rates]]] = (
    WeakKeyDictionary()
)


def group_rates(session: Session, wave: Wave, by: str, min_cell: int) -> Rates:
    """The response rate of every group of a breakdown (group None for the total), as
    `response_rates` gives them."""
    if wave.status != "closed":
        return {r.group: r.rate for r in response_rates(session, wave, by, min_cell)}
    kept = _closed_wave_rates.setdefault(session.get_bind(), {})
    key = (wave.id, by, min_cell)
    now = time.monotonic()
    found = kept.get(key)
    if found is None or now - found[0] > RATES_KEPT_SECONDS:
        rates = {r.group: r.rate for r in response_rates(session, wave, by, min_cell)}
        found = kept[key] = (now, rates)
    return dict(found[1])


@dataclass(frozen=True)
class TrendPoint:
    wave: Wave
    figure: Estimate
    series_break: bool  # the wording changed since the previous wave
    change: tuple[str, Change] | None  # (earlier wave, change against it)


def trend(session: Session, indicator_id: str, by: str) -> list[TrendPoint]:
    """Stored figures of closed waves in date order, each compared with the latest earlier
    published figure of its group, never across a series break."""
    rows = session.execute(
        select(Wave, Estimate)
        .join(Estimate, Estimate.wave_id == Wave.id)
        .where(Estimate.indicator == indicator_id, Estimate.breakdown == by)
        .order_by(Wave.opens_at, Wave.closes_at, Wave.id, Estimate.group_code)
    ).all()
    found: list[tuple[Wave, Estimate, bool, tuple[str, Estimate] | None]] = []
    latest: dict[str, tuple[str, Estimate]] = {}  # group -> latest published since a break
    previous_version: str | None = None
    for _, grouped in groupby(rows, key=lambda row: row.Wave.id):
        wave_rows = list(grouped)
        wave = wave_rows[0].Wave
        # A version that breaks the series does so against the version before it.
        breaks = (
            previous_version not in (None, wave.questionnaire_id)
            and wave_rows[0].Estimate.series_break
        )
        if breaks:
            latest.clear()
        previous_version = wave.questionnaire_id
        for row in wave_rows:
            figure: Estimate = row.Estimate
            earlier = None
            if not figure.suppressed:
                earlier = latest.get(figure.group_code)
                if earlier is not None:
                    before = earlier[1]
                    assert figure.estimate is not None and figure.se is not None
                    assert before.estimate is not None and before.se is not None
                latest[figure.group_code] = (wave.id, figure)
            found.append((wave, figure, breaks, earlier))
    pairs = [(figure, earlier[1]) for _, figure, _, earlier in found if earlier is not None]
    changes = iter(_compare_all(pairs))
    return [
        TrendPoint(wave, figure, breaks, None if earlier is None else (earlier[0], next(changes)))
        for wave, figure, breaks, earlier in found
    ]


def _compare_all(pairs: list[tuple[Estimate, Estimate]]) -> list[Change]:
    """`compare(now.estimate, now.se, before.estimate, before.se)` for every pair, in one
    go: the same arithmetic on arrays (scipy's normal tail once, not once per figure)."""
    if not pairs:
        return []
    values = np.array(
        [(now.estimate, now.se, before.estimate, before.se) for now, before in pairs], dtype=float
    )
    difference = values[:, 0] - values[:, 2]
    se = np.hypot(values[:, 1], values[:, 3])
    with np.errstate(divide="ignore", invalid="ignore"):
        tail = 2 * stats.norm.sf(np.abs(difference) / se)
    p_value = np.where(se == 0, np.where(difference == 0, 1.0, 0.0), tail)
    return [
        Change(difference=d, se=s, p_value=p, significant=p < ALPHA)
        for d, s, p in zip(difference.tolist(), se.tolist(), p_value.tolist(), strict=True)
    ]
