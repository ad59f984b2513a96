"""The groups of the breakdowns and how they nest: those of the frame cells (organisation,
unit, function group), and those of the other background questions a questionnaire marks
as breakdowns (tenure, age, gender), which partition the respondents across the cells."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np

from app.method.disclosure import protect_counts
from app.method.suppression import TOTAL, Node, suppress_hierarchy

# How figures are broken down: the total, and the three background questions of a cell
# (besides these, the breakdowns a questionnaire version marks: `answer_groups`).
BREAKDOWNS = ("none", "organisation", "unit", "function_group")


class Cell(Protocol):
    """A cell of the frame: one organisation x unit x function group."""

    @property
    def organisation(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def function_group(self) -> str: ...
    @property
    def headcount(self) -> int: ...


def cell_groups(frame: Sequence[Cell], by: str) -> tuple[list[str], np.ndarray]:
    """The groups of a breakdown (codes in the frame, sorted) and each frame cell's group."""
    if by == "none":
        return [""], np.zeros(len(frame), dtype=np.intp)
    of_cell = [getattr(c, by) for c in frame]
    codes = sorted(set(of_cell))
    return codes, np.searchsorted(codes, of_cell)


def answer_groups(codes: Sequence[str], distinct: Sequence[Any], index: np.ndarray) -> np.ndarray:
    """Each respondent's group in a breakdown by a background answer: the place of the
    answer among ``codes``, -1 without one (``distinct``, ``index``: the answers as the
    answer table codes them, distinct values and each row's place among them)."""
    place = {code: i for i, code in enumerate(codes)}
    of_distinct = np.array([place.get(value, -1) for value in distinct], dtype=np.intp)
    if not of_distinct.size:
        return np.full(len(index), -1, dtype=np.intp)
    return of_distinct[index]


def suppress_answer_respondents(
    counts: Mapping[Node, int], total: int, total_hidden: bool, min_cell: int
) -> set[Node]:
    """The groups of breakdowns by background answers whose respondent count is not
    published. Each such breakdown partitions all respondents under the total, so no
    group is ever the only hidden one of its breakdown: the total minus the published
    others would give it away. Only the total links them to the frame's cells (their
    headcounts are unknown), so with two hidden groups of respondents each keeps at
    least three possible counts."""
    already = {TOTAL} if total_hidden else set()
    parent = dict.fromkeys(counts, TOTAL)
    return suppress_hierarchy({TOTAL: total, **counts}, parent, min_cell, already) - {TOTAL}


def node(by: str, code: str) -> Node:
    return TOTAL if by == "none" else (by, code)


def hierarchy(frame: Sequence[Cell]) -> dict[Node, Node]:
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


def linked_groups(frame: Sequence[Cell]) -> dict[Node, np.ndarray]:
    """Every group of every breakdown as the frame cells it is made of: the margins of one
    organisation x unit x function-group table (and its total)."""
    found: dict[Node, np.ndarray] = {}
    for by in BREAKDOWNS:
        codes, of_cell = cell_groups(frame, by)
        for i, code in enumerate(codes):
            found[node(by, code)] = np.flatnonzero(of_cell == i)
    return found


def crossed_with_answers(
    frame: Sequence[Cell],
    cell: np.ndarray,
    answers: Sequence[tuple[str, Sequence[str], np.ndarray]],
) -> tuple[np.ndarray, int, dict[Node, np.ndarray]]:
    """The frame's cells crossed with every breakdown by an answer at once (a part per
    combination of their codes, "no answer" one more code of each): each respondent's
    part, how many parts there are, and every group of the frame's breakdowns and of these
    as the parts it is made of. The linked table the audit attacks: all of these
    breakdowns are published side by side. ``answers``: each breakdown's id, codes and
    every respondent's group (-1 for none); ``cell``: every respondent's frame cell."""
    widths = [len(codes) + 1 for _, codes, _ in answers]
    part = cell.astype(np.int64)
    for (_, codes, group), width in zip(answers, widths, strict=True):
        part = part * width + np.where(group >= 0, group, len(codes))
    parts = np.arange(len(frame) * math.prod(widths)).reshape(len(frame), *widths)
    found = {key: parts[cells].ravel() for key, cells in linked_groups(frame).items()}
    for axis, (by, codes, _) in enumerate(answers, start=1):
        found |= {
            node(by, code): np.take(parts, i, axis=axis).ravel() for i, code in enumerate(codes)
        }
    return part, int(parts.size), found


def suppress_respondents(
    frame: Sequence[Cell], respondents: np.ndarray, min_cell: int, coverage_published: bool
) -> set[Node]:
    """The groups whose respondent count is not published (response rates, and with them
    every figure of the group): too few respondents, complements, and more until no
    hidden count can be narrowed to fewer than three values (app.method.disclosure).

    ``coverage_published``: the wave's figures are computed, and every figure over an
    organisation without respondents says so (reason `coverage`)."""
    groups = linked_groups(frame)
    parent = hierarchy(frame)
    counts = {k: int(respondents[cells].sum()) for k, cells in groups.items()}
    hidden = suppress_hierarchy(counts, parent, min_cell)
    headcount = np.array([c.headcount for c in frame], dtype=float)
    known: set[Node] = set()
    if coverage_published:
        # A group wholly in organisations without respondents is then no secret: its
        # count, 0, is known to the attacker, so it is not protected, and nothing else
        # is hidden for its sake.
        organisation = np.array([c.organisation for c in frame])
        answered = np.isin(organisation, organisation[respondents > 0])
        known = {k for k in hidden if not answered[groups[k]].any()}
    return protect_counts(respondents, headcount, groups, parent, hidden - known)[0] | known
