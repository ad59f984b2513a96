"""A wave's answers as columns: loaded once from the stored records (app.responses.coded),
tested on columns by the condition evaluator, and placed in their frame cells.

`AnswerTable` is what the one condition language (app.questionnaires.conditions) is
evaluated on for a whole wave; indicators, weights and counts all start from it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import is_not
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.questionnaires.conditions import SET_ANSWERS
from app.questionnaires.schema import BACKGROUND_QUESTIONS, Questionnaire
from app.responses.coded import records
from app.responses.models import Response


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
        self._records: np.ndarray | None = None  # stored records (from_records)
        self._decoders: dict[str, Callable[[np.ndarray], tuple[list[Any], np.ndarray]]] = {}

    @classmethod
    def from_records(cls, questionnaire: Questionnaire, stored: np.ndarray) -> AnswerTable:
        """The table of stored records (app.responses.coded): each question's column is
        decoded by its kind when first asked for, straight into the coded form that the
        tests on columns use (its distinct answers and each row's index)."""
        table = cls(questionnaire.kinds(), [])
        table.rows = _ColumnRows(table)
        table.size = len(stored)
        table._records = stored
        table._decoders = {q.id: q.decode for q in questionnaire.questions()}
        return table

    def column(self, question: str) -> list[Any]:
        """The raw answers to one question, None where absent (built once, then cached)."""
        if question not in self._columns:
            if self._records is None:
                self._columns[question] = [row.get(question) for row in self.rows]
            elif question in self._decoders:
                distinct, index = self.codes(question)
                answers = np.empty(len(distinct), dtype=object)
                multi = self.kinds[question] in SET_ANSWERS
                answers[:] = [list(a) if multi and a is not None else a for a in distinct]
                self._columns[question] = answers[index].tolist()
            else:
                self._columns[question] = [None] * self.size
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
        if key not in self._coded and self._records is not None and question in self._decoders:
            # Decoded once for both forms: a multi answer's codes come as a tuple.
            decoded = self._decoders[question](self._records[question])
            self._coded[(question, False)] = self._coded[(question, True)] = decoded
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
    """The rows of a table of stored records, each built from its columns when asked for."""

    def __init__(self, table: AnswerTable):
        self._table = table

    def __len__(self) -> int:
        return self._table.size

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        columns = {q: self._table.column(q) for q in self._table.kinds}
        return {q: c[i] for q, c in columns.items() if c[i] is not None}


def load_answers(session: Session, wave_id: str, questionnaire: Questionnaire) -> AnswerTable:
    """The wave's answers as one table: a single SELECT of the coded records, joined and
    read as one array (app.responses.coded)."""
    stored = session.connection().execute(select(Response.coded).where(Response.wave_id == wave_id))
    return AnswerTable.from_records(questionnaire, records(questionnaire, stored.scalars()))


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
