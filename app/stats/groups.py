"""The groups of the breakdowns and how they nest, from a wave's frame."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.questionnaires.conditions import AnswerTable
from app.questionnaires.schema import BACKGROUND_QUESTIONS
from app.stats.suppression import TOTAL, Node
from app.waves.service import FrameRow


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


def respondent_frame_cells(table: AnswerTable, frame: list[FrameRow]) -> np.ndarray:
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


def cell_groups(frame: list[FrameRow], by: str) -> tuple[list[str], np.ndarray]:
    """The groups of a breakdown (codes in the frame, sorted) and each frame cell's group."""
    if by == "none":
        return [""], np.zeros(len(frame), dtype=np.intp)
    of_cell = [getattr(c, by) for c in frame]
    codes = sorted(set(of_cell))
    return codes, np.searchsorted(codes, of_cell)


def node(by: str, code: str) -> Node:
    return TOTAL if by == "none" else (by, code)


def hierarchy(frame: list[FrameRow]) -> dict[Node, Node]:
    """Parents for suppression: organisations under the total; units and function groups
    under their organisation, or, when a code spans organisations, all of that breakdown
    under the total (each breakdown then partitions its parent)."""
    parent: dict[Node, Node] = {("organisation", c.organisation): TOTAL for c in frame}
    for by in ("unit", "function_group"):
        owners: dict[str, set[str]] = {}
        for c in frame:
            owners.setdefault(getattr(c, by), set()).add(c.organisation)
        nested = all(len(orgs) == 1 for orgs in owners.values())
        for code, orgs in owners.items():
            parent[by, code] = ("organisation", next(iter(orgs))) if nested else TOTAL
    return parent
