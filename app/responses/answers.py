"""A wave's answers as columns: loaded once from the stored JSON, tested on columns by the
condition evaluator, and placed in their frame cells.

`AnswerTable` is what the one condition language (app.questionnaires.conditions) is
evaluated on for a whole wave; indicators, weights and counts all start from it.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import is_not, itemgetter, or_
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.questionnaires.conditions import SET_ANSWERS
from app.questionnaires.kinds import kind_named
from app.questionnaires.schema import BACKGROUND_QUESTIONS, Questionnaire
from app.responses.models import Response

BATCH = 1000  # answers parsed at a time: their objects stay in the CPU's cache


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

    `kinds` maps question id -> the name of its kind (its `type`). Rows are answer
    mappings in which hidden and unanswered questions are absent.

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
            distinct, index = self.codes(
                question, as_tuples=self.kinds.get(question) in SET_ANSWERS
            )
        except TypeError:
            return np.fromiter(map(is_not, self.column(question), repeat(None)), bool, self.size)
        return np.array([v is not None for v in distinct], dtype=bool)[index]

    def chosen(self, question: str, codes: Sequence[str]) -> np.ndarray:
        """True where the answer is one of `codes` (multi: any chosen code is listed)."""
        wanted = set(codes)
        multi = self.kinds.get(question) in SET_ANSWERS
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
        q: {} for q, kind in kinds.items() if kind_named(kind).shared_answers
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


def respondent_cells(table: AnswerTable) -> list[tuple[str, str, str]]:
    """Each respondent's (organisation, unit, function_group)."""
    try:
        keys, inverse = _distinct_cells(table)
    except TypeError:
        return list(zip(*(table.column(q) for q in BACKGROUND_QUESTIONS), strict=True))
    shared = np.empty(len(keys), dtype=object)
    for i, key in enumerate(keys):
        shared[i] = key
    return shared[inverse].tolist()  # type: ignore[no-any-return]


def respondent_frame_cells(table: AnswerTable, frame: Sequence[Any]) -> np.ndarray:
    """Each respondent's index into the frame's cells, -1 where the cell is not in it."""
    position = {(c.organisation, c.unit, c.function_group): i for i, c in enumerate(frame)}
    keys, inverse = _distinct_cells(table)
    return np.array([position.get(key, -1) for key in keys], dtype=np.intp)[inverse]


def _distinct_cells(table: AnswerTable) -> tuple[list[tuple[Any, ...]], np.ndarray]:
    """The distinct (organisation, unit, function_group) of the respondents, and each
    respondent's index among them: from the coded columns, without a tuple per row."""
    coded = [table.codes(q) for q in BACKGROUND_QUESTIONS]
    combined = np.zeros(table.size, dtype=np.intp)
    for distinct, index in coded:
        combined = combined * len(distinct) + index
    unique, inverse = np.unique(combined, return_inverse=True)
    keys = []
    for code in unique.tolist():
        parts = []
        for distinct, _ in reversed(coded):
            code, i = divmod(code, len(distinct))
            parts.append(distinct[i])
        keys.append(tuple(reversed(parts)))
    return keys, inverse.reshape(-1)
