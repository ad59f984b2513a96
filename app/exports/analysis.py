"""The admin analysis file (CONTRACT section 8): one row per response, in random order.

Columns: organisation, unit, function_group, weight; `ind_<id>` per indicator; `q_<id>`
per non-text question (`q_<id>__<code>` 0/1 per option of a multi question); then, added
so that the design can be rebuilt in any survey package, `stratum` and
`stratum_headcount` (N_h). No ids, no times, no free text.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.closing.figures import wave_sample
from app.exports.table import CHOSEN, YES_NO, Column, Table, reordered
from app.indicators.definitions import IndicatorSet
from app.indicators.derive import derive
from app.problems import Conflict
from app.questionnaires.schema import BACKGROUND_QUESTIONS, Text, text_in
from app.waves.models import Wave

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
    if wave.status != "closed":
        # Two downloads around one submission would differ by exactly its row.
        raise Conflict(
            f"wave {wave.id} is {wave.status}: row-level data is served once the wave is "
            "closed and its responses are sealed ('monitor wave close')"
        )
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
        [reordered(c, order) for c in columns],
        title=words["title"].format(wave=wave.id, questionnaire=questionnaire.id),
        notes=(words["note"],),
    )


def _choice_column(name: str, text: Text, answers: list[Any], question: Any, lang: str) -> Column:
    return Column(
        name,
        text_in(text, lang),
        answers,
        numeric=False,
        value_labels={o.code: text_in(o.label, lang) for o in question.options or ()},
        measure="ordinal" if question.type == "scale" else "nominal",
    )
