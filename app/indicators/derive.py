"""Indicator values for a whole wave at once, with the evaluator that does routing.

One float column per indicator: 1/0 for a proportion, the answer for a mean, NaN outside
the denominator and for item non-response (`valid_if` false, or no answer to a mean).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from operator import itemgetter, or_
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.indicators.definitions import Indicator, IndicatorSet, require_version
from app.questionnaires.conditions import AnswerTable, collector_paused, evaluate
from app.questionnaires.schema import Questionnaire
from app.responses.models import Response

BATCH = 1000  # answers parsed at a time: their objects stay in the CPU's cache
_SHARED_KINDS = ("single", "scale", "integer")


def load_answers(session: Session, wave_id: str, questionnaire: Questionnaire) -> AnswerTable:
    """The wave's answers as one table (a single SELECT of the answers column)."""
    stored = (
        session.connection()
        .execute(
            select(Response.answers)
            .where(Response.wave_id == wave_id)
            .execution_options(yield_per=BATCH)
        )
        .scalars()
    )
    return answer_table(questionnaire.kinds(), stored.partitions())


def answer_table(kinds: Mapping[str, str], batches: Iterable[Sequence[str]]) -> AnswerTable:
    """The table `AnswerTable(kinds, [json.loads(d) for d in documents])` of answers
    stored as JSON, built for a million of them: each batch of documents is parsed at
    once and its answers go straight into columns, so no row outlives its batch; equal
    answers to a closed question then share one object (a column of codes is a list of a
    few strings, and coding it is quick); and the cyclic garbage collector, which would
    walk the growing heap again and again, waits until the table is built (the answers
    hold no cycles)."""
    columns: dict[str, list[Any]] = {question: [] for question in kinds}
    shared: dict[str, dict[Any, Any]] = {
        q: {} for q, kind in kinds.items() if kind in _SHARED_KINDS
    }
    size = 0
    with collector_paused():
        for documents in batches:
            rows = _parse(documents)
            for question, values in _transposed(rows, columns, size).items():
                if question in shared:
                    values = _shared(values, shared, question)
                columns[question] += values
            size += len(rows)
    if not columns:
        return AnswerTable(kinds, [{} for _ in range(size)])
    return AnswerTable.from_columns(kinds, columns)


def _transposed(rows: list[Any], columns: dict[str, list[Any]], size: int) -> dict[str, Any]:
    """The rows' answers per question of `columns` (None where absent), after adding (to
    `columns`, as None for the `size` rows before) any question they answer beyond them."""
    if not rows:
        return {}
    if all(type(row) is dict for row in rows):
        template = dict.fromkeys(columns)
        filled = list(map(or_, repeat(template), rows))  # every key, in column order
        if sum(map(len, filled)) != len(template) * len(rows):
            for question in dict.fromkeys(k for row in rows for k in row if k not in columns):
                columns[question] = [None] * size
            template = dict.fromkeys(columns)
            filled = list(map(or_, repeat(template), rows))
        if len(columns) > 1:
            transposed = zip(*map(itemgetter(*columns), filled), strict=True)
            return dict(zip(columns, transposed, strict=True))
    for row in rows:
        row.get  # noqa: B018 (an answer that is no mapping fails here, as it would later)
    for question in dict.fromkeys(k for row in rows for k in row if k not in columns):
        columns[question] = [None] * size
    return {question: [row.get(question) for row in rows] for question in columns}


def _parse(documents: Sequence[str]) -> list[Any]:
    """`[json.loads(d) for d in documents]`, as one parse."""
    parsed = json.loads("[" + ",".join(documents) + "]") if documents else []
    if len(parsed) != len(documents):  # a document that is not exactly one JSON value
        return [json.loads(document) for document in documents]
    return parsed  # type: ignore[no-any-return]


def _shared(values: list[Any], shared: dict[str, dict[Any, Any]], question: str) -> list[Any]:
    """The values with each string replaced by the first equal string seen. Strings only:
    equal numbers can differ (1, 1.0, True, -0.0); a question answered with anything else
    is left as it is from then on."""
    canonical = shared[question]
    try:
        same = list(map(canonical.setdefault, values, values))
    except TypeError:  # unhashable
        del shared[question]
        return values
    if not all(type(value) is str or value is None for value in canonical):
        del shared[question]
        return values
    return same


def derive(
    defs: IndicatorSet,
    questionnaire: Questionnaire,
    table: AnswerTable,
    indicators: Sequence[Indicator] | None = None,
) -> dict[str, np.ndarray]:
    """Indicator id -> one value per row of the table (all indicators by default)."""
    require_version(defs, questionnaire)
    version = questionnaire.id
    domains = {"all": np.ones(table.size, dtype=bool)}
    for name, condition in defs.denominators.get(version, {}).items():
        domains[name] = evaluate(condition, table)
    values: dict[str, np.ndarray] = {}
    for indicator in defs.indicators if indicators is None else indicators:
        rule = indicator.versions[version]
        counted = domains[indicator.denominator]
        if rule.valid_if is not None:
            counted = counted & evaluate(rule.valid_if, table)
        if rule.mean_of is not None:
            value = table.number(rule.mean_of)
        else:
            assert rule.value is not None  # checked by parse_indicators
            value = evaluate(rule.value, table).astype(float)
        values[indicator.id] = np.where(counted, value, np.nan)
    return values
