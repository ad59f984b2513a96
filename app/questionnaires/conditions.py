"""The one condition language: routing (`show_if`) and indicator definitions.

A condition is parsed once from its JSON/YAML form into small frozen dataclasses and
then evaluated on columns: an `AnswerTable` holds the answers of one respondent (routing)
or of a whole wave (indicators), and `evaluate` returns one boolean per respondent.
Nothing is ever passed to `eval`.

Semantics (CONTRACT section 2): when the question is hidden or unanswered, every atom on
it is false except `answered: false`; `not` negates as usual. For a multi question `in`
holds when any chosen code is listed and `not_in` when none is.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from operator import is_not
from typing import Any, Union

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


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection meanwhile: for building a million small objects that
    form no cycles, which the collector would otherwise walk again and again (with the
    rest of a wave already in memory); it runs as usual afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class AnswerTable:
    """Answers as columns: one row per respondent.

    `kinds` maps question id -> question type ("single", "multi", "scale", "integer",
    "text"). Rows are answer mappings in which hidden and unanswered questions are absent.

    A column is also kept coded (each distinct answer once, and per row the index of its
    answer), so that a test on a column looks at its few distinct answers and then
    gathers, instead of looping over the rows in Python: the same results, and fast for a
    wave of a million. Answers that cannot be coded (unhashable) are tested row by row.
    """

    def __init__(self, kinds: Mapping[str, str], rows: Sequence[Mapping[str, Any]]):
        self.kinds = kinds
        self.rows = rows
        self.size = len(rows)
        self._columns: dict[str, list[Any]] = {}
        self._coded: dict[tuple[str, bool], tuple[list[Any], np.ndarray]] = {}
        self._whole = False  # _columns hold every answer of every row

    @classmethod
    def from_columns(cls, kinds: Mapping[str, str], columns: dict[str, list[Any]]) -> AnswerTable:
        """The table whose columns are given: every answer of every row is in one of them
        (None where absent), all of one length. `rows` then gives each row as a mapping."""
        size = len(next(iter(columns.values()), []))
        if any(len(column) != size for column in columns.values()):
            raise ValueError("columns of different lengths")
        table = cls(kinds, _ColumnRows(columns, size))
        table._columns = dict(columns)
        table._whole = True
        return table

    def column(self, question: str) -> list[Any]:
        """The raw answers to one question, None where absent (built once, then cached)."""
        if question not in self._columns:
            if self._whole:
                self._columns[question] = [None] * self.size
            else:
                self._columns[question] = [row.get(question) for row in self.rows]
        return self._columns[question]

    def set_column(self, question: str, values: list[Any]) -> None:
        """Replace a question's answers (validation keeps only the valid, shown ones)."""
        self._columns[question] = values
        self._coded.pop((question, False), None)
        self._coded.pop((question, True), None)

    def codes(self, question: str, *, as_tuples: bool = False) -> tuple[list[Any], np.ndarray]:
        """The distinct answers to a question in order of first appearance (None where
        absent), and per row the index of its answer among them; `as_tuples` takes a
        multi answer as the tuple of its codes. Built once, then cached. Raises TypeError
        for an answer that cannot be a dictionary key."""
        key = (question, as_tuples)
        if key not in self._coded:
            column = self.column(question)
            with collector_paused():
                if as_tuples:
                    column = [None if v is None else tuple(v) for v in column]
                position = dict.fromkeys(column)
                for i, value in enumerate(position):
                    position[value] = i
                index = np.fromiter(map(position.__getitem__, column), np.intp, self.size)
                self._coded[key] = (list(position), index)
        return self._coded[key]

    def constant(self, value: bool) -> np.ndarray:
        return np.full(self.size, value)

    def answered(self, question: str) -> np.ndarray:
        try:
            distinct, index = self.codes(question, as_tuples=self.kinds.get(question) == "multi")
        except TypeError:
            return np.fromiter(map(is_not, self.column(question), repeat(None)), bool, self.size)
        return np.array([v is not None for v in distinct], dtype=bool)[index]

    def chosen(self, question: str, codes: Sequence[str]) -> np.ndarray:
        """True where the answer is one of `codes` (multi: any chosen code is listed)."""
        wanted = set(codes)
        multi = self.kinds.get(question) == "multi"
        try:
            distinct, index = self.codes(question, as_tuples=multi)
        except TypeError:
            return self._chosen_by_row(question, wanted, multi)
        if multi:
            hit = [v is not None and not wanted.isdisjoint(v) for v in distinct]
        else:
            hit = [v in wanted for v in distinct]
        return np.array(hit, dtype=bool)[index]

    def _chosen_by_row(self, question: str, wanted: set[str], multi: bool) -> np.ndarray:
        if multi:
            values = (v is not None and not wanted.isdisjoint(v) for v in self.column(question))
        else:
            values = (v in wanted for v in self.column(question))
        return np.fromiter(values, bool, self.size)

    def number(self, question: str) -> np.ndarray:
        """Numeric answers, NaN where absent."""
        try:
            distinct, index = self.codes(question)
        except TypeError:
            distinct, index = self.column(question), np.arange(self.size)
        return np.array([np.nan if v is None else float(v) for v in distinct], dtype=float)[index]


class _ColumnRows(Sequence[Mapping[str, Any]]):
    """The rows of a table given as columns, each built when asked for."""

    def __init__(self, columns: dict[str, list[Any]], size: int):
        self._columns = columns
        self._size = size

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._size))]
        return {q: c[i] for q, c in self._columns.items() if c[i] is not None}


class RowAnswers:
    """One respondent's answers behind the AnswerTable interface, giving numpy scalars
    instead of arrays: routing one response costs no array per atom."""

    size = 1

    def __init__(self, kinds: Mapping[str, str], answers: dict[str, Any]):
        self.kinds = kinds
        self.answers = answers

    def answered(self, question: str) -> np.bool_:
        return np.bool_(self.answers.get(question) is not None)

    def chosen(self, question: str, codes: Sequence[str]) -> np.bool_:
        value = self.answers.get(question)
        if self.kinds.get(question) == "multi":
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


def evaluate(condition: Condition, table: AnswerTable | RowAnswers) -> Any:
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
