"""A wave's figures: weights from the frame, estimates for every indicator and breakdown,
suppression; stored once at close, computed on demand for an open wave's preview; and the
trends read back from what was stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import groupby

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.indicators.definitions import Indicator, IndicatorSet
from app.indicators.derive import derive, load_answers
from app.problems import Conflict
from app.questionnaires.conditions import AnswerTable
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version
from app.stats.estimators import Change, GroupEstimates, compare, estimate_groups
from app.stats.groups import cell_groups, hierarchy, node, respondent_cells
from app.stats.models import BREAKDOWNS, Estimate
from app.stats.rates import store_counts
from app.stats.suppression import Node, suppress_hierarchy
from app.stats.weights import Design, post_stratify
from app.waves.models import Wave
from app.waves.service import FrameRow, frame_cells


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
    position = {(c.organisation, c.unit, c.function_group): i for i, c in enumerate(frame)}
    cells = [position.get(key) for key in respondent_cells(table)]
    if None in cells:
        raise Conflict(
            f"wave {wave.id} has responses in cells that are no longer in its frame; "
            "load a frame with every cell ('monitor frame load')"
        )
    cell = np.array(cells, dtype=np.intp)
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
    parent = hierarchy(sample.frame)
    figures: list[Figure] = []
    for indicator in chosen:
        series_break = indicator.versions[sample.questionnaire.id].series_break
        results: dict[Node, tuple[str, str, GroupEstimates, int]] = {}
        for by, (codes, group_of_cell) in groupings.items():
            if sample.design is None:
                result = _no_respondents(len(codes))
            else:
                result = estimate_groups(
                    values[indicator.id],
                    group_of_cell[sample.cell],
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
    points: list[TrendPoint] = []
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
            change = None
            if not figure.suppressed:
                earlier = latest.get(figure.group_code)
                if earlier is not None:
                    vs_wave, before = earlier
                    assert figure.estimate is not None and figure.se is not None
                    assert before.estimate is not None and before.se is not None
                    change = (
                        vs_wave,
                        compare(figure.estimate, figure.se, before.estimate, before.se),
                    )
                latest[figure.group_code] = (wave.id, figure)
            points.append(TrendPoint(wave, figure, breaks, change))
    return points
