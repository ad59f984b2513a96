"""Indicator values for a whole wave at once, with the evaluator that does routing.

One float column per indicator: 1/0 for a proportion, the answer for a mean (times its
`scale`; `absent_as` where it has none), NaN outside the denominator and for item
non-response (`valid_if` false, or no answer to a mean without `absent_as`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.indicators.definitions import Indicator, IndicatorSet, require_version
from app.questionnaires.conditions import evaluate
from app.questionnaires.schema import Questionnaire
from app.responses.answers import AnswerTable


def derive(
    defs: IndicatorSet,
    questionnaire: Questionnaire,
    table: AnswerTable,
    indicators: Sequence[Indicator] | None = None,
) -> dict[str, np.ndarray]:
    """Indicator id -> one value per row of the table (all indicators by default)."""
    version = questionnaire.id
    domains = domain_members(defs, questionnaire, table)
    values: dict[str, np.ndarray] = {}
    for indicator in defs.indicators if indicators is None else indicators:
        rule = indicator.versions[version]
        counted = domains[indicator.denominator]
        if rule.valid_if is not None:
            counted = counted & evaluate(rule.valid_if, table)
        if rule.mean_of is not None:
            value = table.number(rule.mean_of)
            if rule.absent_as is not None:
                value = np.where(np.isnan(value), rule.absent_as, value)
            value = value * indicator.scale
        else:
            assert rule.value is not None  # checked by parse_indicators
            value = evaluate(rule.value, table).astype(float)
        values[indicator.id] = np.where(counted, value, np.nan)
    return values


def value_range(indicator: Indicator, questionnaire: Questionnaire) -> tuple[float, float]:
    """The values a respondent's figure can take in this version: 0..1 for a proportion,
    the answers' range for a mean, times its scale (its interval never leaves it: no
    negative days)."""
    rule = indicator.versions[questionnaire.id]
    if rule.mean_of is None:
        return 0.0, 1.0
    low, high = questionnaire.question_map()[rule.mean_of].value_range()
    if rule.absent_as is not None:
        low, high = min(low, rule.absent_as), max(high, rule.absent_as)
    return low * indicator.scale, high * indicator.scale


def domain_members(
    defs: IndicatorSet, questionnaire: Questionnaire, table: AnswerTable
) -> dict[str, np.ndarray]:
    """Denominator name -> whether each row of the table belongs to it ("all" included)."""
    require_version(defs, questionnaire)
    domains = {"all": np.ones(table.size, dtype=bool)}
    for name, condition in defs.denominators.get(questionnaire.id, {}).items():
        domains[name] = evaluate(condition, table)
    return domains
