"""The one condition language: routing (`show_if`) and indicator definitions.

A condition is parsed once from its JSON/YAML form into small frozen dataclasses and
then evaluated on columns: `Answers` holds the answers of one respondent (routing,
`RowAnswers`) or of a whole wave (indicators, app.responses.answers.AnswerTable), and
`evaluate` returns one boolean per respondent.
Nothing is ever passed to `eval`.

Semantics (CONTRACT section 2): when the question is hidden or unanswered, every atom on
it is false except `answered: false`; `not` negates as usual. For a multi question `in`
holds when any chosen code is listed and `not_in` when none is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, Union

import numpy as np


class ConditionSyntaxError(ValueError):
    """A condition that does not have one of the shapes of the language."""


@dataclass(frozen=True)
class InCodes:
    question: str
    codes: tuple[str, ...]
    negate: bool  # True for `not_in`


@dataclass(frozen=True)
class InRange:
    question: str
    min: float | None
    max: float | None


@dataclass(frozen=True)
class Answered:
    question: str
    answered: bool


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Union[InCodes, InRange, Answered, AllOf, AnyOf, Not]  # noqa: UP007 (runtime alias)
Atom = Union[InCodes, InRange, Answered]  # noqa: UP007

_ATOM_KEYS = {"in", "not_in", "min", "max", "answered"}


def parse_condition(raw: Any) -> Condition:
    """Parse the JSON/YAML form of a condition, raising ConditionSyntaxError."""
    if not isinstance(raw, Mapping) or not raw:
        raise ConditionSyntaxError("a condition must be a non-empty mapping")
    keys = set(raw)
    for combinator, cls in (("all", AllOf), ("any", AnyOf)):
        if combinator in keys:
            if keys != {combinator}:
                raise ConditionSyntaxError(f"'{combinator}' stands alone in its mapping")
            parts = raw[combinator]
            if not isinstance(parts, list) or not parts:
                raise ConditionSyntaxError(f"'{combinator}' needs a non-empty list of conditions")
            return cls(tuple(parse_condition(p) for p in parts))
    if "not" in keys:
        if keys != {"not"}:
            raise ConditionSyntaxError("'not' stands alone in its mapping")
        return Not(parse_condition(raw["not"]))
    if "question" not in keys:
        raise ConditionSyntaxError(
            "a condition is {question, in|not_in|min|max|answered}, all, any or not"
        )
    question = raw["question"]
    if not isinstance(question, str) or not question:
        raise ConditionSyntaxError("'question' must be a question id")
    operators = keys - {"question"}
    unknown = operators - _ATOM_KEYS
    if unknown:
        raise ConditionSyntaxError(f"unknown key(s) in condition: {', '.join(sorted(unknown))}")
    if operators in ({"in"}, {"not_in"}):
        (op,) = operators
        codes = raw[op]
        if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
            raise ConditionSyntaxError(f"'{op}' needs a non-empty list of option codes")
        return InCodes(question, tuple(codes), negate=op == "not_in")
    if operators and operators <= {"min", "max"}:
        bounds = {}
        for op in ("min", "max"):
            value = raw.get(op)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise ConditionSyntaxError(f"'{op}' needs a number")
            bounds[op] = value
        return InRange(question, bounds["min"], bounds["max"])
    if operators == {"answered"}:
        if not isinstance(raw["answered"], bool):
            raise ConditionSyntaxError("'answered' needs true or false")
        return Answered(question, raw["answered"])
    raise ConditionSyntaxError(
        "a condition on a question has exactly one of in, not_in, answered, or min and/or max"
    )


def dump_condition(condition: Condition) -> dict[str, Any]:
    """The JSON form, the inverse of parse_condition."""
    match condition:
        case InCodes(question, codes, negate):
            return {"question": question, "not_in" if negate else "in": list(codes)}
        case InRange(question, low, high):
            out: dict[str, Any] = {"question": question}
            if low is not None:
                out["min"] = low
            if high is not None:
                out["max"] = high
            return out
        case Answered(question, answered):
            return {"question": question, "answered": answered}
        case AllOf(parts):
            return {"all": [dump_condition(p) for p in parts]}
        case AnyOf(parts):
            return {"any": [dump_condition(p) for p in parts]}
        case Not(part):
            return {"not": dump_condition(part)}
    raise TypeError(condition)


def atoms(condition: Condition) -> Iterator[Atom]:
    """Every atom of a condition, depth first."""
    match condition:
        case AllOf(parts) | AnyOf(parts):
            for part in parts:
                yield from atoms(part)
        case Not(part):
            yield from atoms(part)
        case _:
            yield condition


# The kinds whose answer is a set of codes, on which `in` holds when any chosen code is
# listed and `not_in` when none is. The kinds say which they are (the registry,
# app.questionnaires.kinds, enters them here), so that the language names none.
SET_ANSWERS: set[str] = set()


class Answers(Protocol):
    """What the evaluator asks of a table of answers: per question, one value per row."""

    def answered(self, question: str) -> Any: ...
    def chosen(self, question: str, codes: Sequence[str]) -> Any: ...
    def number(self, question: str) -> Any: ...
    def constant(self, value: bool) -> Any: ...


class RowAnswers:
    """One respondent's answers behind the `Answers` interface, giving numpy scalars
    instead of arrays: routing one response costs no array per atom."""

    size = 1

    def __init__(self, kinds: Mapping[str, str], answers: dict[str, Any]):
        self.kinds = kinds
        self.answers = answers

    def answered(self, question: str) -> np.bool_:
        return np.bool_(self.answers.get(question) is not None)

    def chosen(self, question: str, codes: Sequence[str]) -> np.bool_:
        value = self.answers.get(question)
        if self.kinds.get(question) in SET_ANSWERS:
            return np.bool_(value is not None and not set(codes).isdisjoint(value))
        return np.bool_(value in codes)

    def number(self, question: str) -> np.float64:
        value = self.answers.get(question)
        return np.float64(np.nan if value is None else value)

    def set_column(self, question: str, values: list[Any]) -> None:
        if values[0] is None:
            self.answers.pop(question, None)
        else:
            self.answers[question] = values[0]

    def constant(self, value: bool) -> np.bool_:
        return np.bool_(value)


def evaluate(condition: Condition, table: Answers) -> Any:
    """Evaluate a condition for every row of the table at once (one boolean per row; a
    numpy scalar for RowAnswers)."""
    match condition:
        case InCodes(question, codes, negate):
            answered = table.answered(question)
            hit = table.chosen(question, codes)
            return answered & ~hit if negate else answered & hit
        case InRange(question, low, high):
            values = table.number(question)
            result = ~np.isnan(values)
            with np.errstate(invalid="ignore"):
                if low is not None:
                    result = result & (values >= low)
                if high is not None:
                    result = result & (values <= high)
            return result
        case Answered(question, answered):
            present = table.answered(question)
            return present if answered else ~present
        case AllOf(parts):
            every: Any = table.constant(True)
            for part in parts:
                every = every & evaluate(part, table)
            return every
        case AnyOf(parts):
            some: Any = table.constant(False)
            for part in parts:
                some = some | evaluate(part, table)
            return some
        case Not(part):
            return ~evaluate(part, table)
    raise TypeError(condition)


def holds(condition: Condition, kinds: Mapping[str, str], answers: Mapping[str, Any]) -> bool:
    """Evaluate a condition for one respondent (routing)."""
    return bool(evaluate(condition, RowAnswers(kinds, dict(answers))))
