"""The published figures as a file: one row per closed wave x indicator x breakdown x
group, as the trends serve them (suppressed figures empty), with the change against an
earlier wave."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.estimates import service
from app.exports.table import YES_NO, Column, Measure, Table
from app.indicators.definitions import IndicatorSet
from app.method.groups import BREAKDOWNS
from app.problems import Conflict
from app.questionnaires.schema import Questionnaire, breakdown_labels, text_in
from app.questionnaires.service import get_version
from app.waves.models import Wave
from app.waves.service import get_wave

_ESTIMATE_LABELS = {
    "nl": {
        "wave": "Meting (golf)",
        "wave_title": "Naam van de meting",
        "indicator": "Indicator",
        "indicator_label": "Naam van de indicator",
        "kind": "Soort cijfer (proportion = aandeel, mean = gemiddelde)",
        "denominator": "Noemer (all = alle respondenten, threatened = bedreigden, "
        "victims = slachtoffers)",
        "breakdown": "Uitsplitsing",
        "group": "Groep (code; leeg zonder uitsplitsing)",
        "group_label": "Naam van de groep",
        "estimate": "Schatting (gewogen)",
        "ci_low": "Ondergrens 95%-betrouwbaarheidsinterval",
        "ci_high": "Bovengrens 95%-betrouwbaarheidsinterval",
        "se": "Standaardfout",
        "n": "Aantal respondenten (ongewogen)",
        "suppressed": "Onderdrukt (te weinig respondenten of herleidbaar)",
        "reason": "Reden van onderdrukking",
        "series_break": "Trendbreuk: de vraagstelling veranderde",
        "change_vs_wave": "Verandering ten opzichte van meting",
        "change_difference": "Verschil met die meting",
        "change_se": "Standaardfout van het verschil",
        "change_ci_low": "Ondergrens 95%-betrouwbaarheidsinterval van het verschil",
        "change_ci_high": "Bovengrens 95%-betrouwbaarheidsinterval van het verschil",
        "change_p_value": "p-waarde van het verschil (tweezijdig)",
        "change_significant": "Verschil significant (interval zonder 0; p < 0,05)",
        "title": "Gepubliceerde cijfers per meting, indicator en groep",
        "note": "Onderdrukte cijfers zijn leeg (systeem-missend); n is ongewogen.",
    },
    "en": {
        "wave": "Wave",
        "wave_title": "Title of the wave",
        "indicator": "Indicator",
        "indicator_label": "Name of the indicator",
        "kind": "Kind of figure (proportion or mean)",
        "denominator": "Denominator (all respondents, threatened or victims)",
        "breakdown": "Breakdown",
        "group": "Group (code; empty without a breakdown)",
        "group_label": "Name of the group",
        "estimate": "Estimate (weighted)",
        "ci_low": "Lower bound of the 95% confidence interval",
        "ci_high": "Upper bound of the 95% confidence interval",
        "se": "Standard error",
        "n": "Respondents (unweighted)",
        "suppressed": "Suppressed (too few respondents, or derivable)",
        "reason": "Reason for suppression",
        "series_break": "Series break: the question changed",
        "change_vs_wave": "Change against wave",
        "change_difference": "Difference from that wave",
        "change_se": "Standard error of the difference",
        "change_ci_low": "Lower bound of the 95% confidence interval of the difference",
        "change_ci_high": "Upper bound of the 95% confidence interval of the difference",
        "change_p_value": "p-value of the difference (two-sided)",
        "change_significant": "Difference significant (interval without 0; p < 0.05)",
        "title": "Published figures per wave, indicator and group",
        "note": "Suppressed figures are empty (system missing); n is unweighted.",
    },
}
_REASON_LABELS = {
    "nl": {"min_cell": "te weinig respondenten", "complementary": "herleidbaar uit andere cijfers",
           "coverage": "een deel van de groep zonder respondenten",
           "no_interval": "geen betrouwbaarheidsinterval mogelijk"},
    "en": {"min_cell": "too few respondents", "complementary": "derivable from other figures",
           "coverage": "part of the group without respondents",
           "no_interval": "no confidence interval possible"},
}  # fmt: skip
_BREAKDOWN_LABELS = {
    "nl": {"none": "Geen (totaal)", "organisation": "Organisatie", "unit": "Eenheid",
           "function_group": "Functiegroep"},
    "en": {"none": "None (total)", "organisation": "Organisation", "unit": "Unit",
           "function_group": "Function group"},
}  # fmt: skip


def estimates_table(
    session: Session, defs: IndicatorSet, wave_id: str | None = None, lang: str = "nl"
) -> Table:
    """Every stored figure of the closed waves (or of one closed wave), in the trends'
    order per indicator and breakdown; changes are always judged against the whole
    history, also when one wave is asked for."""
    if wave_id is not None:
        wave = get_wave(session, wave_id)
        if wave.status != "closed":
            raise Conflict(
                f"wave {wave.id} is {wave.status}: its figures are computed and stored when "
                "it closes (an open wave's figures so far are in the admins' preview)"
            )
    rows: list[dict[str, Any]] = []
    for indicator in defs.indicators:
        for by in BREAKDOWNS:
            for point in service.trend(session, defs, indicator, by):
                if wave_id is not None and point.wave.id != wave_id:
                    continue
                figure = point.figure
                vs_wave, change = point.change if point.change is not None else (None, None)
                rows.append(
                    {
                        "wave": point.wave,
                        "indicator": indicator,
                        "breakdown": by,
                        "group": None if by == "none" else figure.group_code,
                        "figure": figure,
                        "series_break": point.series_break,
                        "vs_wave": vs_wave,
                        "change": change,
                    }
                )
    waves = {r["wave"].id: r["wave"] for r in rows}
    order = sorted(waves.values(), key=lambda w: (w.opens_at, w.closes_at, w.id))
    position = {w.id: i for i, w in enumerate(order)}
    rows.sort(key=lambda r: position[r["wave"].id])  # stable: indicator, breakdown, group
    group_names = _group_labels(session, order, lang)
    indicator_names = {i.id: text_in(i.label, lang) for i in defs.indicators}
    breakdown_names = _BREAKDOWN_LABELS[lang]
    words = _ESTIMATE_LABELS[lang]

    def number(value: Any) -> float:
        return np.nan if value is None else float(value)

    def figure_values(field: str) -> list[float]:
        return [number(getattr(r["figure"], field)) for r in rows]

    def change_values(field: str) -> list[float]:
        return [
            np.nan if r["change"] is None else number(getattr(r["change"], field)) for r in rows
        ]

    def flag(values: list[bool | None]) -> list[float]:
        return [np.nan if v is None else float(v) for v in values]

    def codes(
        name: str, values: list[str | None], labels: Mapping[Any, str] | None = None
    ) -> Column:
        return Column(name, words[name], values, numeric=False, value_labels=labels)

    def numbers(name: str, values: list[float], measure: Measure = "scale", **kw: Any) -> Column:
        return Column(name, words[name], values, numeric=True, measure=measure, **kw)

    yes_no = YES_NO[lang]
    columns = [
        codes("wave", [r["wave"].id for r in rows], {w.id: w.title for w in order}),
        codes("wave_title", [r["wave"].title for r in rows]),
        codes("indicator", [r["indicator"].id for r in rows], indicator_names),
        codes("indicator_label", [indicator_names[r["indicator"].id] for r in rows]),
        codes("kind", [r["indicator"].kind for r in rows]),
        codes("denominator", [r["indicator"].denominator for r in rows]),
        codes("breakdown", [r["breakdown"] for r in rows], breakdown_names),
        codes("group", [r["group"] for r in rows], _merged(group_names.values())),
        codes(
            "group_label",
            [
                None if r["group"] is None else group_names[r["wave"].id].get(r["group"])
                for r in rows
            ],
        ),
        numbers("estimate", figure_values("estimate")),
        numbers("ci_low", figure_values("ci_low")),
        numbers("ci_high", figure_values("ci_high")),
        numbers("se", figure_values("se")),
        numbers("n", figure_values("n"), whole=True),
        numbers("suppressed", flag([r["figure"].suppressed for r in rows]), "nominal",
                whole=True, value_labels=yes_no),
        codes("reason", [r["figure"].reason for r in rows], _REASON_LABELS[lang]),
        numbers("series_break", flag([r["series_break"] for r in rows]), "nominal",
                whole=True, value_labels=yes_no),
        codes("change_vs_wave", [r["vs_wave"] for r in rows], {w.id: w.title for w in order}),
        numbers("change_difference", change_values("difference")),
        numbers("change_se", change_values("se")),
        numbers("change_ci_low", change_values("ci_low")),
        numbers("change_ci_high", change_values("ci_high")),
        numbers("change_p_value", change_values("p_value")),
        numbers(
            "change_significant",
            flag([None if r["change"] is None else r["change"].significant for r in rows]),
            "nominal",
            whole=True,
            value_labels=yes_no,
        ),
    ]  # fmt: skip
    return Table(columns, title=words["title"], notes=(words["note"],))


def _group_labels(session: Session, waves: list[Wave], lang: str) -> dict[str, dict[str, str]]:
    """Per wave: breakdown code -> its option label in the wave's questionnaire."""
    versions: dict[str, Questionnaire] = {}
    labels: dict[str, dict[str, str]] = {}
    for wave in waves:
        if wave.questionnaire_id not in versions:
            versions[wave.questionnaire_id] = get_version(session, wave.questionnaire_id)
        labels[wave.id] = breakdown_labels(versions[wave.questionnaire_id], lang)
    return labels


def _merged(labels: Any) -> dict[str, str]:
    """One label per code over all waves, the latest wave's wording winning."""
    merged: dict[str, str] = {}
    for per_wave in labels:
        merged.update(per_wave)
    return merged
