"""Files for analysts' own tools: the admin analysis file (CONTRACT section 8) and the
table of published figures. Each is built once as labelled columns and then written as
CSV here or as an SPSS file by `app.stats.spss`, so both formats hold the same values.

The analysis file: one row per response, in random order. Columns: organisation, unit,
function_group, weight; `ind_<id>` per indicator; `q_<id>` per non-text question
(`q_<id>__<code>` 0/1 per option of a multi question); then, added so that the design can
be rebuilt in any survey package, `stratum` and `stratum_headcount` (N_h). No ids, no
times, no free text.

The estimates: one row per wave x indicator x breakdown x group of the closed waves, as
the trends serve them (suppressed figures empty), with the change against an earlier wave.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy.orm import Session

from app.indicators.definitions import IndicatorSet
from app.indicators.derive import derive
from app.problems import Conflict
from app.questionnaires.schema import BACKGROUND_QUESTIONS, Questionnaire, Text, text_in
from app.questionnaires.service import get_version
from app.stats import service
from app.stats.models import BREAKDOWNS
from app.stats.service import wave_sample
from app.waves.models import Wave
from app.waves.service import get_wave

Measure = Literal["nominal", "ordinal", "scale"]


@dataclass(frozen=True)
class Column:
    """One variable: its values (numbers as floats with NaN for empty, or codes with None
    for empty) and what SPSS shows about it."""

    name: str
    label: str
    values: Sequence[Any] | np.ndarray
    numeric: bool
    value_labels: Mapping[Any, str] | None = None
    measure: Measure = "nominal"
    whole: bool = False  # whole numbers: shown without decimals


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    title: str  # the SPSS file label
    notes: tuple[str, ...] = ()

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(
        zip(
            *(_numbers(c.values) if c.numeric else _codes(c.values) for c in table.columns),
            strict=True,
        )
    )
    return out.getvalue()


def _numbers(values: Sequence[Any] | np.ndarray) -> list[str]:
    """Whole numbers without a decimal point, others in full precision, NaN empty."""
    return [
        "" if np.isnan(v) else str(int(v)) if float(v).is_integer() else repr(float(v))
        for v in np.asarray(values, dtype=float)
    ]


def _codes(values: Sequence[Any] | np.ndarray) -> list[str]:
    return ["" if v is None else str(v) for v in values]


# --- the analysis file ------------------------------------------------------------------

YES_NO = {
    "nl": {0: "Nee", 1: "Ja"},
    "en": {0: "No", 1: "Yes"},
}
CHOSEN = {
    "nl": {0: "Niet gekozen", 1: "Gekozen"},
    "en": {0: "Not chosen", 1: "Chosen"},
}
_DESIGN_LABELS = {
    "nl": {
        "weight": "Weegfactor: populatie (N_h) / respondenten (n_h) in het stratum",
        "stratum": "Stratum van de weging (weegcel of samengevoegde cellen)",
        "stratum_headcount": "Populatieomvang van het stratum (N_h)",
        "title": "Analysebestand {wave} ({questionnaire}), één rij per respons",
        "note": "Gewogen met weight; strata: stratum; eindige-populatiecorrectie: "
        "stratum_headcount. Willekeurige volgorde; geen ids, tijden of open antwoorden.",
    },
    "en": {
        "weight": "Weight: population (N_h) / respondents (n_h) in the stratum",
        "stratum": "Weighting stratum (a cell or pooled cells)",
        "stratum_headcount": "Population size of the stratum (N_h)",
        "title": "Analysis file {wave} ({questionnaire}), one row per response",
        "note": "Weighted with weight; strata: stratum; finite population correction: "
        "stratum_headcount. Random order; no ids, times or free text.",
    },
}


def analysis_table(session: Session, wave: Wave, defs: IndicatorSet, lang: str = "nl") -> Table:
    """The analysis file as labelled columns, its rows in a newly drawn random order."""
    sample = wave_sample(session, wave)
    table = sample.table
    questionnaire = sample.questionnaire
    values = derive(defs, questionnaire, table)
    design = sample.design
    words = _DESIGN_LABELS[lang]
    questions = questionnaire.question_map()
    columns = [
        _choice_column(qid, questions[qid].text, table.column(qid), questions[qid], lang)
        for qid in BACKGROUND_QUESTIONS
    ]
    columns.append(
        Column(
            "weight",
            words["weight"],
            design.weight if design else np.empty(0),
            numeric=True,
            measure="scale",
        )
    )
    for indicator in defs.indicators:
        proportion = indicator.kind == "proportion"
        columns.append(
            Column(
                f"ind_{indicator.id}",
                text_in(indicator.label, lang),
                values[indicator.id],
                numeric=True,
                value_labels=YES_NO[lang] if proportion else None,
                measure="nominal" if proportion else "scale",
                whole=proportion,
            )
        )
    for question in questionnaire.questions():
        answers = table.column(question.id)
        text = text_in(question.text, lang)
        if question.type == "text":
            continue
        if question.type == "multi":
            for option in question.options or ():
                columns.append(
                    Column(
                        f"q_{question.id}__{option.code}",
                        f"{text}: {text_in(option.label, lang)}",
                        [np.nan if a is None else float(option.code in a) for a in answers],
                        numeric=True,
                        value_labels=CHOSEN[lang],
                        whole=True,
                    )
                )
        elif question.type == "integer":
            columns.append(
                Column(
                    f"q_{question.id}",
                    text,
                    [np.nan if a is None else float(a) for a in answers],
                    numeric=True,
                    measure="scale",
                    whole=True,
                )
            )
        else:
            columns.append(
                _choice_column(f"q_{question.id}", question.text, answers, question, lang)
            )
    columns += [
        Column(
            "stratum",
            words["stratum"],
            design.stratum + 1 if design else np.empty(0),
            numeric=True,
            whole=True,
        ),
        Column(
            "stratum_headcount",
            words["stratum_headcount"],
            design.population[design.stratum] if design else np.empty(0),
            numeric=True,
            measure="scale",
            whole=True,
        ),
    ]
    # The stored order of an open wave is the order of arrival: never pass it on.
    order = np.random.default_rng().permutation(table.size)
    return Table(
        [_reordered(c, order) for c in columns],
        title=words["title"].format(wave=wave.id, questionnaire=questionnaire.id),
        notes=(words["note"],),
    )


def analysis_file(session: Session, wave: Wave, defs: IndicatorSet) -> str:
    """The analysis file as CSV."""
    return to_csv(analysis_table(session, wave, defs))


def _choice_column(name: str, text: Text, answers: list[Any], question: Any, lang: str) -> Column:
    return Column(
        name,
        text_in(text, lang),
        answers,
        numeric=False,
        value_labels={o.code: text_in(o.label, lang) for o in question.options or ()},
        measure="ordinal" if question.type == "scale" else "nominal",
    )


def _reordered(column: Column, order: np.ndarray) -> Column:
    values = column.values
    if isinstance(values, np.ndarray):
        reordered: Sequence[Any] | np.ndarray = values[order]
    else:
        reordered = [values[i] for i in order]
    return Column(
        column.name,
        column.label,
        reordered,
        column.numeric,
        column.value_labels,
        column.measure,
        column.whole,
    )


# --- the published figures -----------------------------------------------------------------

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
        "series_break": "Trendbreuk: de vraagstelling veranderde",
        "change_vs_wave": "Verandering ten opzichte van meting",
        "change_difference": "Verschil met die meting",
        "change_se": "Standaardfout van het verschil",
        "change_p_value": "p-waarde van het verschil (tweezijdig)",
        "change_significant": "Verschil significant (p < 0,05)",
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
        "series_break": "Series break: the question changed",
        "change_vs_wave": "Change against wave",
        "change_difference": "Difference from that wave",
        "change_se": "Standard error of the difference",
        "change_p_value": "p-value of the difference (two-sided)",
        "change_significant": "Difference significant (p < 0.05)",
        "title": "Published figures per wave, indicator and group",
        "note": "Suppressed figures are empty (system missing); n is unweighted.",
    },
}
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
            for point in service.trend(session, indicator.id, by):
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
        numbers("series_break", flag([r["series_break"] for r in rows]), "nominal",
                whole=True, value_labels=yes_no),
        codes("change_vs_wave", [r["vs_wave"] for r in rows], {w.id: w.title for w in order}),
        numbers("change_difference", change_values("difference")),
        numbers("change_se", change_values("se")),
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
        labels[wave.id] = group_names(versions[wave.questionnaire_id], lang)
    return labels


def group_names(questionnaire: Questionnaire, lang: str) -> dict[str, str]:
    """Breakdown code -> its option label in this questionnaire version."""
    questions = questionnaire.question_map()
    return {
        o.code: text_in(o.label, lang)
        for qid in BACKGROUND_QUESTIONS
        for o in questions[qid].options or ()
    }


def _merged(labels: Any) -> dict[str, str]:
    """One label per code over all waves, the latest wave's wording winning."""
    merged: dict[str, str] = {}
    for per_wave in labels:
        merged.update(per_wave)
    return merged
