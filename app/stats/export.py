"""The admin analysis file (CONTRACT section 8): one row per response, in random order.

Columns: organisation, unit, function_group, weight; `ind_<id>` per indicator; `q_<id>` per
non-text question (`q_<id>__<code>` 0/1 per option of a multi question); then, added so
that the design can be rebuilt in any survey package, `stratum` and `stratum_headcount`
(N_h). No ids, no times, no free text.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.indicators.definitions import IndicatorSet
from app.indicators.derive import derive
from app.questionnaires.schema import BACKGROUND_QUESTIONS
from app.stats.service import wave_sample
from app.waves.models import Wave


def analysis_file(session: Session, wave: Wave, defs: IndicatorSet) -> str:
    sample = wave_sample(session, wave)
    table = sample.table
    values = derive(defs, sample.questionnaire, table)
    design = sample.design
    header: list[str] = [*BACKGROUND_QUESTIONS, "weight"]
    columns: list[list[str]] = [
        *(table.column(q) for q in BACKGROUND_QUESTIONS),
        _numbers(design.weight if design else np.empty(0)),
    ]
    for indicator in defs.indicators:
        header.append(f"ind_{indicator.id}")
        columns.append(_numbers(values[indicator.id]))
    for question in sample.questionnaire.questions():
        answers = table.column(question.id)
        if question.type == "text":
            continue
        if question.type == "multi":
            for option in question.options or ():
                header.append(f"q_{question.id}__{option.code}")
                columns.append([_chosen(option.code, a) for a in answers])
        else:
            header.append(f"q_{question.id}")
            columns.append(["" if a is None else str(a) for a in answers])
    header += ["stratum", "stratum_headcount"]
    columns += [
        _numbers(design.stratum + 1 if design else np.empty(0)),
        _numbers(design.population[design.stratum] if design else np.empty(0)),
    ]
    rows = list(zip(*columns, strict=True))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    # The stored order of an open wave is the order of arrival: never pass it on.
    writer.writerows(rows[i] for i in np.random.default_rng().permutation(len(rows)))
    return out.getvalue()


def _numbers(values: np.ndarray) -> list[str]:
    """Whole numbers without a decimal point, others in full precision, NaN empty."""
    return [
        "" if np.isnan(v) else str(int(v)) if float(v).is_integer() else repr(float(v))
        for v in values.astype(float)
    ]


def _chosen(code: str, answer: Any) -> str:
    return "" if answer is None else "1" if code in answer else "0"
