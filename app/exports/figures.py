"""The published figures as a file: one row per closed wave x indicator x breakdown x
group, with the values the trend API serves for it (suppressed figures empty), the
change against an earlier wave, the group's response rate and the series-break note.

Each column is one line of `COLUMNS`: its name, its labels and where a trend point gives
its value, so that a field the API gains becomes a column with one more line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy.orm import Session

from app.estimates import service
from app.estimates.schemas import ChangeOut, TrendPoint
from app.exports.table import YES_NO, Column, Table
from app.indicators.definitions import Indicator, IndicatorSet
from app.problems import Conflict
from app.questionnaires.parts import Text
from app.questionnaires.schema import text_in
from app.questionnaires.service import get_version
from app.waves.models import Wave
from app.waves.service import get_wave, wave_title

_WORDS = {
    "nl": {
        "title": "Gepubliceerde cijfers per meting, indicator en groep",
        "note": "Onderdrukte cijfers zijn leeg (systeem-missend); n is ongewogen.",
    },
    "en": {
        "title": "Published figures per wave, indicator and group",
        "note": "Suppressed figures are empty (system missing); n is unweighted.",
    },
}


@dataclass(frozen=True)
class Row:
    """One figure: the trend point the API serves for it, and what the file adds."""

    point: TrendPoint
    indicator: Indicator
    by: str
    lang: str
    titles: Mapping[str, str]  # every wave's title in `lang`
    breakdowns: Mapping[str, str]  # every breakdown's name in `lang`

    @property
    def title(self) -> str:
        return self.titles[self.point.wave]

    @property
    def change(self) -> ChangeOut | None:
        return self.point.change


Kind = Literal["code", "number", "count", "flag"]


@dataclass(frozen=True)
class Field:
    """A column of the estimates file: its name, its label per language, what kind of
    value it holds and where a row has it; a code's value label, where it has one."""

    name: str
    label: Text
    kind: Kind
    value: Callable[[Row], Any]
    value_label: Callable[[Row], str | None] | None = None


def _point(field: str) -> Callable[[Row], Any]:
    """A field of the trend point."""
    return lambda r: getattr(r.point, field)


def _changed(field: str) -> Callable[[Row], Any]:
    """A field of the trend point's change (None without one)."""
    return lambda r: None if r.change is None else getattr(r.change, field)


_REASONS = {
    "nl": {"min_cell": "te weinig respondenten", "complementary": "herleidbaar uit andere cijfers",
           "coverage": "een deel van de groep zonder respondenten",
           "no_interval": "geen betrouwbaarheidsinterval mogelijk"},
    "en": {"min_cell": "too few respondents", "complementary": "derivable from other figures",
           "coverage": "part of the group without respondents",
           "no_interval": "no confidence interval possible"},
}  # fmt: skip

COLUMNS = (
    Field("wave", {"nl": "Meting (golf)", "en": "Wave"}, "code",
          _point("wave"), lambda r: r.title),
    Field("wave_title", {"nl": "Naam van de meting", "en": "Title of the wave"}, "code",
          lambda r: r.title),
    Field("indicator", {"nl": "Indicator", "en": "Indicator"}, "code",
          lambda r: r.indicator.id, lambda r: text_in(r.indicator.label, r.lang)),
    Field("indicator_label", {"nl": "Naam van de indicator", "en": "Name of the indicator"},
          "code", lambda r: text_in(r.indicator.label, r.lang)),
    Field("kind", {"nl": "Soort cijfer (proportion = aandeel, mean = gemiddelde)",
                   "en": "Kind of figure (proportion or mean)"}, "code",
          lambda r: r.indicator.kind),
    Field("denominator", {"nl": "Noemer (all = alle respondenten, threatened = bedreigden, "
                                "victims = slachtoffers)",
                          "en": "Denominator (all respondents, threatened or victims)"},
          "code", lambda r: r.indicator.denominator),
    Field("breakdown", {"nl": "Uitsplitsing", "en": "Breakdown"}, "code",
          lambda r: r.by, lambda r: r.breakdowns[r.by]),
    Field("group", {"nl": "Groep (code; leeg zonder uitsplitsing)",
                    "en": "Group (code; empty without a breakdown)"}, "code",
          _point("group"), _point("group_label")),
    Field("group_label", {"nl": "Naam van de groep", "en": "Name of the group"}, "code",
          _point("group_label")),
    Field("estimate", {"nl": "Schatting (gewogen)", "en": "Estimate (weighted)"}, "number",
          _point("estimate")),
    Field("ci_low", {"nl": "Ondergrens 95%-betrouwbaarheidsinterval (aandeel van minder dan "
                           "200 respondenten: op 1 decimaal)",
                     "en": "Lower bound of the 95% confidence interval (a share of fewer than "
                           "200 respondents: to 1 decimal)"}, "number",
          _point("ci_low")),
    Field("ci_high", {"nl": "Bovengrens 95%-betrouwbaarheidsinterval (aandeel van minder dan "
                            "200 respondenten: op 1 decimaal)",
                      "en": "Upper bound of the 95% confidence interval (a share of fewer "
                            "than 200 respondents: to 1 decimal)"}, "number",
          _point("ci_high")),
    Field("se", {"nl": "Standaardfout (leeg bij een aandeel van minder dan 200 respondenten)",
                 "en": "Standard error (empty for a share of fewer than 200 respondents)"},
          "number", _point("se")),
    Field("n", {"nl": "Aantal respondenten (ongewogen)", "en": "Respondents (unweighted)"},
          "count", _point("n")),
    Field("suppressed", {"nl": "Onderdrukt (te weinig respondenten of herleidbaar)",
                         "en": "Suppressed (too few respondents, or derivable)"}, "flag",
          _point("suppressed")),
    Field("reason", {"nl": "Reden van onderdrukking", "en": "Reason for suppression"}, "code",
          _point("reason"), lambda r: r.point.reason and _REASONS[r.lang][r.point.reason]),
    Field("series_break", {"nl": "Trendbreuk: de vraagstelling veranderde",
                           "en": "Series break: the question changed"}, "flag",
          _point("series_break")),
    Field("change_vs_wave", {"nl": "Verandering ten opzichte van meting",
                             "en": "Change against wave"}, "code",
          _changed("vs_wave"), lambda r: None if r.change is None else r.titles[r.change.vs_wave]),
    Field("change_difference", {"nl": "Verschil met die meting",
                                "en": "Difference from that wave"}, "number",
          _changed("difference")),
    Field("change_se", {"nl": "Standaardfout van het verschil (leeg zonder standaardfouten "
                              "van de metingen)",
                        "en": "Standard error of the difference (empty without the waves' "
                              "standard errors)"}, "number",
          _changed("se")),
    Field("change_ci_low", {"nl": "Ondergrens 95%-betrouwbaarheidsinterval van het verschil",
                            "en": "Lower bound of the 95% confidence interval of the difference"},
          "number", _changed("ci_low")),
    Field("change_ci_high", {"nl": "Bovengrens 95%-betrouwbaarheidsinterval van het verschil",
                             "en": "Upper bound of the 95% confidence interval of the difference"},
          "number", _changed("ci_high")),
    Field("change_p_value", {"nl": "p-waarde van het verschil (tweezijdig)",
                             "en": "p-value of the difference (two-sided)"}, "number",
          _changed("p_value")),
    Field("change_significant", {"nl": "Verschil significant (interval zonder 0; p < 0,05)",
                                 "en": "Difference significant (interval without 0; p < 0.05)"},
          "flag",
          _changed("significant")),
    Field("response_rate", {"nl": "Respons in de groep (leeg als onderdrukt)",
                            "en": "Response rate of the group (empty when suppressed)"},
          "number", _point("response_rate")),
    Field("break_note", {"nl": "Toelichting bij de trendbreuk",
                         "en": "Why the series breaks here"}, "code",
          _point("break_note")),
    Field("family", {"nl": "Verdeling waar de indicator een categorie van is (leeg: geen)",
                     "en": "Distribution the indicator is a category of (empty: none)"},
          "code", lambda r: r.indicator.family),
    Field("category", {"nl": "Categorie in die verdeling", "en": "Category in that distribution"},
          "code", lambda r: r.indicator.category,
          lambda r: text_in(r.indicator.category_label, r.lang) or None),
    Field("category_order", {"nl": "Plaats van de categorie (1 eerst)",
                             "en": "Place of the category (1 first)"},
          "count", lambda r: r.indicator.category_order),
)  # fmt: skip


def estimates_table(
    session: Session,
    defs: IndicatorSet,
    min_cell: int,
    wave_id: str | None = None,
    lang: str = "nl",
    by: str | None = None,
) -> Table:
    """Every stored figure of the closed waves (or of one closed wave; of one breakdown
    with `by`), in the trends' order per indicator and breakdown, waves in date order;
    changes are always judged against the whole history, also when one wave is asked
    for."""
    named = {b.id: b.label for b in service.breakdowns(session, lang)}
    wanted = list(named) if by is None else [service.checked_breakdown(session, by)]
    if wave_id is not None:
        wave = get_wave(session, wave_id)
        if wave.status != "closed":
            raise Conflict(
                f"wave {wave.id} is {wave.status}: its figures are computed and stored when "
                "it closes (an open wave's figures so far are in the admins' preview)"
            )
    points = [
        (indicator, by, point)
        for indicator in defs.indicators
        for by in wanted
        for point in service.published_trend(
            session, defs, service.TrendQuery(indicator, by, lang, min_cell)
        ).points
        if wave_id is None or point.wave == wave_id
    ]
    waves = {w: get_wave(session, w) for _, _, p in points for w in _waves_named(p)}
    titles = {
        w.id: wave_title(w, get_version(session, w.questionnaire_id), lang) for w in waves.values()
    }
    order = {w: i for i, w in enumerate(sorted(waves, key=lambda w: _date_order(waves[w])))}
    rows = [Row(point, indicator, by, lang, titles, named) for indicator, by, point in points]
    rows.sort(key=lambda r: order[r.point.wave])  # stable: indicator, breakdown, group
    words = _WORDS[lang]
    return Table(
        [_column(field, rows, lang) for field in COLUMNS],
        title=words["title"],
        notes=(words["note"],),
        lang=lang,
    )


def _waves_named(point: TrendPoint) -> list[str]:
    return [point.wave] + ([point.change.vs_wave] if point.change else [])


def _date_order(wave: Wave) -> tuple[Any, ...]:
    return (wave.opens_at, wave.closes_at, wave.id)


def _column(field: Field, rows: list[Row], lang: str) -> Column:
    values = [field.value(r) for r in rows]
    label = text_in(field.label, lang)
    if field.kind == "code":
        return Column(field.name, label, values, numeric=False, value_labels=_labels(field, rows))
    numbers = [np.nan if v is None else float(v) for v in values]
    if field.kind == "flag":
        return Column(
            field.name, label, numbers, numeric=True, value_labels=YES_NO[lang], whole=True
        )
    return Column(
        field.name, label, numbers, numeric=True, measure="scale", whole=field.kind == "count"
    )


def _labels(field: Field, rows: list[Row]) -> dict[str, str] | None:
    """One label per code of a code column that has them; the latest wave's wording wins."""
    if field.value_label is None:
        return None
    labels = {}
    for row in rows:
        code, label = field.value(row), field.value_label(row)
        if code is not None and label is not None:
            labels[code] = label
    return labels
