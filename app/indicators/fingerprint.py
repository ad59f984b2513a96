"""Whether an indicator's figures in two questionnaire versions may be compared.

An indicator's fingerprint in a version is a hash of what it reads there: its own rule
(`value`, `mean_of`, `absent_as`, `valid_if`), its denominator's condition, and every
question these name, with the question's wording, its options (codes and labels) and its range. Two
versions with the same fingerprint ask the same thing the same way, in whichever order
they come: 2026.1 -> 2027.1 -> 2026.1 is two breaks when 2027.1 rewords a question, and
the third wave compares with the first. An indicator may declare versions comparable
although their fingerprints differ (`comparable_with`, a reworded question whose meaning
did not change), or set a version apart although they agree (`series_break: true`, a
change the fingerprint cannot see).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from app.indicators.definitions import Indicator, IndicatorSet
from app.questionnaires.conditions import atoms, dump_condition
from app.questionnaires.schema import Questionnaire


def fingerprint(defs: IndicatorSet, indicator: Indicator, questionnaire: Questionnaire) -> str:
    """What the indicator reads in this version, as `sha256:<hex>`; a version the
    indicator does not define gets a fingerprint of its own."""
    rule = indicator.versions.get(questionnaire.id)
    if rule is None:
        return f"undefined:{questionnaire.id}"
    denominator = defs.denominators.get(questionnaire.id, {}).get(indicator.denominator)
    conditions = [c for c in (rule.value, rule.valid_if, denominator) if c is not None]
    read = {atom.question for c in conditions for atom in atoms(c)}
    read |= {rule.mean_of} if rule.mean_of else set()
    questions = questionnaire.question_map()
    content = {
        "denominator": [indicator.denominator, denominator and dump_condition(denominator)],
        "rule": rule.model_dump(mode="json", include={"value", "mean_of", "absent_as", "valid_if"}),
        "questions": [
            {
                "id": q.id,
                "type": q.type,
                "text": q.text,
                "options": [[o.code, o.label] for o in q.choices()],
                "range": list(q.value_range()),
            }
            for q in (questions[i] for i in sorted(read) if i in questions)
        ],
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def comparable(indicator: Indicator, a: str, b: str, fingerprints: Mapping[str, str]) -> bool:
    """Whether figures of versions `a` and `b` (ids, with their `fingerprints`) may be
    compared: the same version; one declares the other comparable; or the same
    fingerprint where neither version is set apart by `series_break`."""
    if a == b:
        return True
    rule_a, rule_b = indicator.versions.get(a), indicator.versions.get(b)
    if rule_a is None or rule_b is None:
        return False
    if b in rule_a.comparable_with or a in rule_b.comparable_with:
        return True
    if rule_a.series_break or rule_b.series_break:
        return False
    return fingerprints[a] == fingerprints[b]
