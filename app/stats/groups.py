"""The groups of the breakdowns and how they nest, from a wave's frame."""

from __future__ import annotations

import numpy as np

from app.questionnaires.conditions import AnswerTable
from app.questionnaires.schema import BACKGROUND_QUESTIONS
from app.stats.suppression import TOTAL, Node
from app.waves.service import FrameRow


def respondent_cells(table: AnswerTable) -> list[tuple[str, str, str]]:
    """Each respondent's (organisation, unit, function_group)."""
    return list(zip(*(table.column(q) for q in BACKGROUND_QUESTIONS), strict=True))


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
