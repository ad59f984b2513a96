"""The read side of the figures: stored trends with their changes, response rates per
group, and an open wave's preview (computed now, never stored)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from itertools import groupby
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing.models import Estimate
from app.estimates.rates import response_rates
from app.estimates.schemas import By, ChangeOut, IndicatorOut, Preview, Trend
from app.estimates.schemas import TrendPoint as TrendPointOut
from app.indicators.definitions import Indicator
from app.method.estimators import Change, compare_all
from app.problems import Conflict
from app.questionnaires.schema import breakdown_labels, text_in
from app.questionnaires.service import get_version
from app.waves.models import Wave

Rates = dict[str | None, float | None]  # group (None: the total) -> response rate


def preview(session: Session, wave: Wave, indicator: Indicator, by: str) -> list[Estimate]:
    """A closed wave's stored figures for one indicator and breakdown, published or not
    (admins check a wave before `monitor wave publish`). An open wave has none: no figure
    is computed from a wave that still takes responses, so that no two reads can be
    compared around one submission."""
    if wave.status != "closed":
        raise Conflict(
            f"wave {wave.id} is {wave.status}: its figures are computed when it closes "
            "('monitor wave close'); nothing of an open wave is served"
        )
    return list(
        session.scalars(
            select(Estimate)
            .where(
                Estimate.wave_id == wave.id,
                Estimate.indicator == indicator.id,
                Estimate.breakdown == by,
            )
            .order_by(Estimate.group_code)
        )
    )


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
    pairs = [
        (now.estimate, now.se, earlier[1].estimate, earlier[1].se)
        for _, now, _, earlier in found
        if earlier is not None
    ]
    changes = iter(compare_all(np.array(pairs, dtype=float).reshape(-1, 4)))
    return [
        TrendPoint(wave, figure, breaks, None if earlier is None else (earlier[0], next(changes)))
        for wave, figure, breaks, earlier in found
    ]


# --- the bodies the routes serve ---------------------------------------------------------

T = TypeVar("T", bound=Trend)


def indicator_out(indicator: Indicator, lang: str) -> IndicatorOut:
    return IndicatorOut(
        id=indicator.id,
        label=text_in(indicator.label, lang),
        description=text_in(indicator.description, lang),
        kind=indicator.kind,
        denominator=indicator.denominator,
        public=indicator.public,
    )


def published_trend(
    session: Session, indicator: Indicator, by: By, lang: str, min_cell: int
) -> Trend:
    """A trend as served: each closed wave's stored figure per group, with its change,
    series-break note, response rate and group name in `lang`."""
    rates: dict[str, Rates] = {}
    names: dict[str, dict[str, str]] = {}
    points = []
    for point in trend(session, indicator.id, by):
        wave, figure = point.wave, point.figure
        if wave.id not in rates:
            rates[wave.id] = group_rates(session, wave, by, min_cell)
        if wave.questionnaire_id not in names:
            names[wave.questionnaire_id] = breakdown_labels(
                get_version(session, wave.questionnaire_id), lang
            )
        group = None if by == "none" else figure.group_code
        rule = indicator.versions.get(wave.questionnaire_id)
        note = rule.break_note if point.series_break and rule is not None else None
        change = None
        if point.change is not None:
            vs_wave, c = point.change
            change = ChangeOut(
                vs_wave=vs_wave,
                difference=c.difference,
                se=c.se,
                p_value=c.p_value,
                significant=c.significant,
            )
        points.append(
            _point(
                wave,
                group,
                figure,
                series_break=point.series_break,
                change=change,
                break_note=text_in(note, lang) if note else None,
                response_rate=rates[wave.id].get(group),
                group_label=names[wave.questionnaire_id].get(group) if group else None,
            )
        )
    return _body(Trend, indicator, by, lang, points)


def preview_trend(session: Session, wave: Wave, indicator: Indicator, by: By, lang: str) -> Preview:
    """One closed wave's figures as trend points (no change, no rate)."""
    figures = preview(session, wave, indicator, by)
    points = [
        _point(wave, None if by == "none" else f.group_code, f, series_break=False, change=None)
        for f in figures
    ]
    return _body(Preview, indicator, by, lang, points, wave=wave.id)


def _point(wave: Wave, group: str | None, figure: Estimate, **extra: Any) -> TrendPointOut:
    return TrendPointOut(
        wave=wave.id,
        wave_title=wave.title,
        wave_closes_at=wave.closes_at,
        group=group,
        estimate=figure.estimate,
        ci_low=figure.ci_low,
        ci_high=figure.ci_high,
        se=figure.se,
        n=figure.n,
        suppressed=figure.suppressed,
        **extra,
    )


def _body(
    cls: type[T], indicator: Indicator, by: By, lang: str, points: list[TrendPointOut], **extra: str
) -> T:
    return cls(
        indicator=indicator.id,
        by=by,
        points=points,
        label=text_in(indicator.label, lang),
        description=text_in(indicator.description, lang),
        kind=indicator.kind,
        denominator=indicator.denominator,
        **extra,
    )
