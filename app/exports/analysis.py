"""The admin analysis file (CONTRACT section 8): one row per response, in random order.

Columns: organisation, unit, function_group, weight; `ind_<id>` per indicator; `q_<id>`
per non-text question (`q_<id>__<code>` 0/1 per option of a multi question); then, added
so that the design can be rebuilt in any survey package, `stratum` and
`stratum_headcount` (N_h). No ids, no times, no free text.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy.orm import Session

from app.closing.figures import wave_sample
from app.exports.table import YES_NO, Column, Table, reordered
from app.indicators.definitions import IndicatorSet
from app.indicators.derive import derive
from app.problems import Conflict
from app.questionnaires.kinds import AnswerColumn
from app.questionnaires.schema import BACKGROUND_QUESTIONS, text_in
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
        _column(c)
        for qid in BACKGROUND_QUESTIONS
        for c in questions[qid].columns(table.column(qid), lang)
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
        columns += [_column(c, "q_") for c in question.columns(table.column(question.id), lang)]
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
        lang=lang,
    )


def _column(answers: AnswerColumn, prefix: str = "") -> Column:
    """A question's column (app.questionnaires.kinds) as a column of the table: numbers as
    they are; codes, which a choice question labels in its option order, numbered."""
    return Column(
        prefix + answers.name,
        answers.label,
        answers.values,
        numeric=answers.numeric,
        value_labels=answers.value_labels,
        measure=answers.measure,
        whole=answers.numeric,
        numbered=not answers.numeric,
    )
