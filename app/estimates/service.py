"""The read side of the figures: stored trends with their changes, response rates per
group, and an open wave's preview (computed now, never stored)."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from itertools import groupby
from threading import Lock
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing.models import Estimate
from app.estimates.rates import response_rates
from app.estimates.schemas import BreakdownOut, By, ChangeOut, IndicatorOut, Preview, Trend
from app.estimates.schemas import TrendPoint as TrendPointOut
from app.indicators.definitions import Indicator, IndicatorSet
from app.indicators.fingerprint import comparable, fingerprint
from app.method.disclosure import PUBLISHED
from app.method.estimators import Change, compare_all
from app.method.groups import BREAKDOWNS
from app.problems import Code, Conflict, FieldError, InvalidInput
from app.questionnaires.schema import Question, breakdown_labels, text_in
from app.questionnaires.service import get_version, version_hashes
from app.waves.models import Wave
from app.waves.service import wave_title

Rates = dict[str | None, float | None]  # group (None: the total) -> response rate

# The names of the frame's breakdowns (those by an answer are named in the questionnaire).
FRAME_BREAKDOWN_LABELS = {
    "nl": {"none": "Geen (totaal)", "organisation": "Organisatie", "unit": "Eenheid",
           "function_group": "Functiegroep"},
    "en": {"none": "None (total)", "organisation": "Organisation", "unit": "Unit",
           "function_group": "Function group"},
}  # fmt: skip


def answer_breakdowns(session: Session) -> dict[str, Question]:
    """The breakdowns by a background answer that the published questionnaire versions
    mark, by id (the latest version's question where versions differ)."""
    found: dict[str, Question] = {}
    for version in version_hashes(session):
        for question in get_version(session, version).breakdowns():
            found[question.id] = question
    return found


def breakdowns(session: Session, lang: str) -> list[BreakdownOut]:
    """Every value `by` takes, with its name and, for those by an answer, its groups."""
    frame = [
        BreakdownOut(id=by, label=FRAME_BREAKDOWN_LABELS[lang][by], groups={}) for by in BREAKDOWNS
    ]
    return frame + [
        BreakdownOut(
            id=by,
            label=text_in(question.breakdown, lang),  # type: ignore[attr-defined]
            groups={o.code: text_in(o.label, lang) for o in question.choices()},
        )
        for by, question in answer_breakdowns(session).items()
    ]


def checked_breakdown(session: Session, by: str) -> str:
    """`by` as the routes take it: a breakdown of the frame or one a version marks."""
    if by in BREAKDOWNS or by in answer_breakdowns(session):
        return by
    problem = FieldError(
        "query.by",
        *Code.UNKNOWN_BREAKDOWN.says(
            by=by, known=", ".join([*BREAKDOWNS, *answer_breakdowns(session)])
        ),
    )
    raise InvalidInput(f"there is no breakdown '{by}'", [problem])


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


class KeptPerDatabase:
    """Values read from closed waves, kept per database (engine) and read again after
    KEPT_SECONDS all the same, should the database be replaced under a running server;
    with ``most``, the least recently used go first beyond that many."""

    def __init__(self, most: int | None = None) -> None:
        self._kept: WeakKeyDictionary[Any, OrderedDict[Any, tuple[float, Any]]] = (
            WeakKeyDictionary()
        )
        self._most = most
        self._lock = Lock()

    def get(self, session: Session, key: Any) -> Any | None:
        with self._lock:
            kept = self._kept.setdefault(session.get_bind(), OrderedDict())
            found = kept.get(key)
            if found is None or time.monotonic() - found[0] > KEPT_SECONDS:
                return None
            kept.move_to_end(key)
            return found[1]

    def put(self, session: Session, key: Any, value: Any) -> None:
        with self._lock:
            kept = self._kept.setdefault(session.get_bind(), OrderedDict())
            kept[key] = (time.monotonic(), value)
            kept.move_to_end(key)
            while self._most is not None and len(kept) > self._most:
                kept.popitem(last=False)


# A closed wave's respondent counts are final (written at close, never changed), so its
# response rates per breakdown are kept once read: a trend over ten waves then runs no
# ten queries and suppressions per request.
KEPT_SECONDS = 300.0
_closed_wave_rates = KeptPerDatabase()


def group_rates(session: Session, wave: Wave, by: str, min_cell: int) -> Rates:
    """The response rate of every group of a breakdown (group None for the total), as
    `response_rates` gives them; none by a background answer, which has no headcount."""
    if by not in BREAKDOWNS:
        return {}
    if wave.status != "closed":
        return {r.group: r.rate for r in response_rates(session, wave, by, min_cell)}
    key = (wave.id, by, min_cell)
    rates: Rates | None = _closed_wave_rates.get(session, key)
    if rates is None:
        rates = {r.group: r.rate for r in response_rates(session, wave, by, min_cell)}
        _closed_wave_rates.put(session, key, rates)
    return dict(rates)


@dataclass(frozen=True)
class TrendPoint:
    wave: Wave
    figure: Estimate
    # (earlier version, this version) where the series breaks: what the indicator reads
    # is not comparable with the previous wave's (app.indicators.fingerprint).
    break_between: tuple[str, str] | None
    change: tuple[str, Change] | None  # (earlier wave, change against it)

    @property
    def series_break(self) -> bool:
        return self.break_between is not None


def trend(
    session: Session,
    defs: IndicatorSet,
    indicator: Indicator,
    by: str,
    *,
    published_only: bool = False,
) -> list[TrendPoint]:
    """Stored figures of closed waves (only published ones with `published_only`, as the
    public sees them) in date order, each compared with the latest earlier published
    figure of its group whose version is comparable (in either direction: after 2026.1 ->
    2027.1 -> 2026.1 the third wave compares with the first). A pilot wave's figures are
    compared with the series like any other, but the series never compares with them: a
    pilot is never a reference and neither starts nor breaks the series."""
    query = (
        select(Wave, Estimate)
        .join(Estimate, Estimate.wave_id == Wave.id)
        .where(Estimate.indicator == indicator.id, Estimate.breakdown == by)
    )
    if published_only:
        query = query.where(Wave.published_on.is_not(None))
    rows = session.execute(
        query.order_by(Wave.opens_at, Wave.closes_at, Wave.id, Estimate.group_code)
    ).all()
    fingerprints = {
        version: fingerprint(defs, indicator, get_version(session, version))
        for version in {row.Wave.questionnaire_id for row in rows}
    }

    found: list[tuple[Wave, Estimate, tuple[str, str] | None, tuple[Wave, Estimate] | None]] = []
    published: dict[str, list[tuple[Wave, Estimate]]] = {}  # group -> its published figures
    previous_version: str | None = None
    for _, grouped in groupby(rows, key=lambda row: row.Wave.id):
        wave_rows = list(grouped)
        wave = wave_rows[0].Wave
        version = wave.questionnaire_id

        def same_series(other: str, version: str = version) -> bool:
            return comparable(indicator, version, other, fingerprints)

        between = None
        if previous_version is not None and not same_series(previous_version):
            between = (previous_version, version)
        if not wave.pilot:
            previous_version = version
        for row in wave_rows:
            figure: Estimate = row.Estimate
            earlier = None
            if not figure.suppressed:
                history = published.setdefault(figure.group_code, [])
                earlier = next(
                    (p for p in reversed(history) if same_series(p[0].questionnaire_id)), None
                )
                if not wave.pilot:
                    history.append((wave, figure))
            found.append((wave, figure, between, earlier))

    def limits(figure: Estimate) -> tuple[float, ...]:
        published = (figure.estimate, figure.se, figure.ci_low, figure.ci_high)
        return PUBLISHED.as_compared(published, indicator.kind, figure.n)

    pairs = [(limits(now), limits(earlier[1])) for _, now, _, earlier in found if earlier]
    changes = iter(
        compare_all(
            np.array([now for now, _ in pairs], dtype=float).reshape(-1, 4),
            np.array([before for _, before in pairs], dtype=float).reshape(-1, 4),
            indicator.kind,
        )
    )
    return [
        TrendPoint(
            wave, figure, between, None if earlier is None else (earlier[0].id, next(changes))
        )
        for wave, figure, between, earlier in found
    ]


# Why a series breaks, where the indicator's definition gives no note of its own.
BREAK_NOTE = {
    "nl": "De vragen achter dit cijfer zijn in vragenlijst {now} anders gesteld dan in "
    "{before}; de uitkomsten zijn niet met elkaar te vergelijken.",
    "en": "The questions behind this figure are asked differently in questionnaire {now} "
    "than in {before}; the results cannot be compared.",
}


def break_note(indicator: Indicator, between: tuple[str, str], lang: str) -> str:
    """Why the series breaks between two versions: the note of the later version's rule,
    else of the earlier one's (going back to an older wording), else a general one."""
    before, now = between
    for version in (now, before):
        rule = indicator.versions.get(version)
        if rule is not None and rule.break_note:
            return text_in(rule.break_note, lang)
    return BREAK_NOTE[lang].format(now=now, before=before)


# --- the bodies the routes serve ---------------------------------------------------------

T = TypeVar("T", bound=Trend)


def indicator_out(defs: IndicatorSet, indicator: Indicator, lang: str) -> IndicatorOut:
    family = defs.families.get(indicator.family) if indicator.family else None
    return IndicatorOut(
        id=indicator.id,
        label=text_in(indicator.label, lang),
        description=text_in(indicator.description, lang),
        kind=indicator.kind,
        denominator=indicator.denominator,
        public=indicator.public,
        family=indicator.family,
        category=indicator.category,
        category_order=indicator.category_order,
        category_label=text_in(indicator.category_label, lang)
        if indicator.category_label
        else None,
        family_label=text_in(family.label, lang) if family else None,
        family_description=text_in(family.description, lang) or None if family else None,
        scale=indicator.scale if indicator.scale != 1 else None,
    )


@dataclass(frozen=True)
class TrendQuery:
    """What a trend is asked for: published waves only for the public."""

    indicator: Indicator
    by: By
    lang: str
    min_cell: int
    published_only: bool = False


def published_trend(session: Session, defs: IndicatorSet, query: TrendQuery) -> Trend:
    """A trend as served: each closed wave's stored figure per group (only published
    waves with `published_only`), with its change, series-break note, response rate and
    group name in `lang`."""
    indicator, by, lang, min_cell = query.indicator, query.by, query.lang, query.min_cell
    published_only = query.published_only
    rates: dict[str, Rates] = {}
    titles: dict[str, str] = {}
    names: dict[str, dict[str, str]] = {}
    points = []
    for point in trend(session, defs, indicator, by, published_only=published_only):
        wave, figure = point.wave, point.figure
        if wave.id not in rates:
            rates[wave.id] = group_rates(session, wave, by, min_cell)
            titles[wave.id] = wave_title(wave, get_version(session, wave.questionnaire_id), lang)
        if wave.questionnaire_id not in names:
            names[wave.questionnaire_id] = breakdown_labels(
                get_version(session, wave.questionnaire_id), by, lang
            )
        group = None if by == "none" else figure.group_code
        between = point.break_between
        change = None
        if point.change is not None:
            vs_wave, c = point.change
            change = ChangeOut(
                vs_wave=vs_wave,
                difference=c.difference,
                se=c.se,
                ci_low=c.ci_low,
                ci_high=c.ci_high,
                p_value=c.p_value,
                significant=c.significant,
            )
        points.append(
            _point(
                wave,
                titles[wave.id],
                group,
                figure,
                series_break=point.series_break,
                change=change,
                break_note=None if between is None else break_note(indicator, between, lang),
                response_rate=rates[wave.id].get(group),
                group_label=names[wave.questionnaire_id].get(group) if group else None,
            )
        )
    return _body(Trend, indicator, by, lang, points)


# A trend as served depends on the request, the definitions and the closed waves as they
# stand: their figures and respondent counts are written at close and never change. So
# its JSON is kept, and served again while one query finds the closed waves as they were
# (a wave closed, published or retitled since reads anew), with the same definitions
# object (app.indicators re-reads a changed file into a new one). Each worker keeps its own.
_served_trends = KeptPerDatabase(most=256)


def served_trend(session: Session, defs: IndicatorSet, query: TrendQuery) -> bytes:
    """`published_trend` as JSON, kept while the closed waves stand as they did."""
    waves = tuple(
        tuple(row)
        for row in session.execute(
            select(
                Wave.id, Wave.questionnaire_id, Wave.title, Wave.opens_at, Wave.closes_at,
                Wave.pilot, Wave.published_on,
            )
            .where(Wave.status == "closed")
            .order_by(Wave.id)
        )
    )  # fmt: skip
    key = (query.indicator.id, query.by, query.lang, query.min_cell, query.published_only, waves)
    found = _served_trends.get(session, key)
    if found is not None and found[0] is defs:
        body: bytes = found[1]
        return body
    body = published_trend(session, defs, query).model_dump_json(by_alias=True).encode()
    _served_trends.put(session, key, (defs, body))
    return body


def preview_trend(session: Session, wave: Wave, indicator: Indicator, by: By, lang: str) -> Preview:
    """One closed wave's figures as trend points (no change, no rate)."""
    figures = preview(session, wave, indicator, by)
    title = wave_title(wave, get_version(session, wave.questionnaire_id), lang)
    points = [
        _point(
            wave, title, None if by == "none" else f.group_code, f, series_break=False, change=None
        )
        for f in figures
    ]
    return _body(Preview, indicator, by, lang, points, wave=wave.id)


def _point(
    wave: Wave, title: str, group: str | None, figure: Estimate, **extra: Any
) -> TrendPointOut:
    return TrendPointOut(
        wave=wave.id,
        wave_title=title,
        wave_closes_at=wave.closes_at,
        group=group,
        estimate=figure.estimate,
        ci_low=figure.ci_low,
        ci_high=figure.ci_high,
        se=figure.se,
        n=figure.n,
        suppressed=figure.suppressed,
        reason=figure.reason,
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
