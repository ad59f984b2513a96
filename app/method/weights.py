"""Post-stratification to the frame's headcounts, with the contract's collapsing rule.

A frame cell is one (organisation, unit, function_group) row with a headcount. Strata
are built from the cells in this order (CONTRACT.md section 7):

1. a cell with at least ``MIN_STRATUM_RESPONDENTS`` (5) respondents is a stratum;
2. within a unit, all its other cells (fewer than 5 respondents, zero included) form
   one stratum if together they have at least 5 respondents;
3. within an organisation, the cells still left form one stratum; if that pool has
   fewer than ``MIN_RESIDUAL_RESPONDENTS`` (2) respondents it joins the organisation's
   largest stratum by respondents, ties going to the stratum whose first frame cell
   comes first. An organisation whose respondents all sit in that pool (one
   respondent in total) keeps it as a single-respondent stratum (its variance is
   centred on the grand mean, app.method.estimators).

Every frame cell of an organisation with respondents belongs to exactly one stratum, so
the weights ``N_h / n_h`` sum to those organisations' headcount. The cells of an
organisation without respondents belong to none (``cell_stratum`` -1): nobody can stand
for them, and every figure over them is suppressed for coverage (app.closing.figures).
Strata are numbered in the order of their first frame cell.

A cell with more respondents than its headcount is a frame error, whatever stratum it
is pooled into: pooling must not hide a wrong headcount.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_STRATUM_RESPONDENTS = 5
MIN_RESIDUAL_RESPONDENTS = 2


@dataclass(frozen=True)
class Design:
    """A stratified single-stage design; each respondent is its own PSU."""

    stratum: np.ndarray  # int, stratum index per respondent (0..H-1)
    weight: np.ndarray  # float, N_h / n_h per respondent
    population: np.ndarray  # float, N_h per stratum
    sample: np.ndarray  # int, n_h per stratum
    cell_stratum: np.ndarray  # int, stratum index per frame cell, -1 for none

    @property
    def covered(self) -> np.ndarray:
        """Per frame cell: whether a stratum with respondents stands for it."""
        return self.cell_stratum >= 0


class OverfullCells(ValueError):
    """Frame cells with more respondents than their headcount (indices into the frame)."""

    def __init__(self, cells: np.ndarray, respondents: np.ndarray, headcount: np.ndarray):
        self.cells = cells.tolist()
        self.respondents = respondents[cells].tolist()
        self.headcount = headcount[cells].tolist()
        super().__init__(f"frame cells {self.cells} have more respondents than headcount")


def post_stratify(
    organisation: np.ndarray,
    unit: np.ndarray,
    headcount: np.ndarray,
    respondent_cell: np.ndarray,
) -> Design:
    """Collapse frame cells into strata and weight every respondent by ``N_h / n_h``.

    ``organisation``, ``unit`` and ``headcount`` have one entry per frame cell;
    ``respondent_cell`` holds each respondent's frame-cell index. Raises OverfullCells
    for cells with more respondents than headcount, ValueError for other bad input.
    """
    headcount = np.asarray(headcount, dtype=float)
    respondent_cell = np.asarray(respondent_cell, dtype=np.intp)
    n_cells = headcount.size
    if n_cells == 0:
        raise ValueError("the frame has no cells")
    if respondent_cell.size and (respondent_cell.min() < 0 or respondent_cell.max() >= n_cells):
        raise ValueError("respondent_cell must index the frame's cells")
    if np.any(headcount < 0):
        raise ValueError("frame headcounts must not be negative")

    org_codes, org_id = np.unique(np.asarray(organisation), return_inverse=True)
    # Unit codes are taken per organisation, so equal codes in two organisations stay apart.
    _, unit_id = np.unique(
        np.stack([org_id, np.unique(np.asarray(unit), return_inverse=True)[1]], axis=1),
        axis=0,
        return_inverse=True,
    )
    unit_id = unit_id.ravel()
    cells = np.arange(n_cells)
    respondents = np.bincount(respondent_cell, minlength=n_cells)
    overfull = np.flatnonzero(respondents > headcount)
    if overfull.size:
        raise OverfullCells(overfull, respondents, headcount)

    # Each cell is labelled by a representative cell (the stratum's first cell).
    rep = cells.copy()
    small = respondents < MIN_STRATUM_RESPONDENTS

    unit_pool = np.bincount(unit_id[small], respondents[small], minlength=unit_id.max() + 1)
    pooled = small & (unit_pool[unit_id] >= MIN_STRATUM_RESPONDENTS)
    unit_rep = np.full(unit_pool.size, n_cells)
    np.minimum.at(unit_rep, unit_id[pooled], cells[pooled])
    rep[pooled] = unit_rep[unit_id[pooled]]

    residual = small & ~pooled
    org_pool = np.bincount(org_id[residual], respondents[residual], minlength=org_codes.size)
    org_rep = np.full(org_codes.size, n_cells)
    np.minimum.at(org_rep, org_id[residual], cells[residual])
    # Respondents per representative, over the strata settled by steps 1 and 2.
    settled = np.bincount(rep[~residual], respondents[~residual], minlength=n_cells)
    for org in np.unique(org_id[residual]):
        if org_pool[org] < MIN_RESIDUAL_RESPONDENTS:
            candidates = np.unique(rep[~residual & (org_id == org)])
            if candidates.size:
                # argmax takes the first maximum; candidates are in frame order.
                org_rep[org] = candidates[np.argmax(settled[candidates])]
    rep[residual] = org_rep[org_id[residual]]

    # An organisation without respondents: its pool is the only stratum it has, empty.
    covered = np.bincount(org_id, respondents, minlength=org_codes.size)[org_id] > 0
    if not covered.any():
        raise ValueError("there are no respondents to weight")
    _, stratum_of_covered = np.unique(rep[covered], return_inverse=True)
    cell_stratum = np.full(n_cells, -1)
    cell_stratum[covered] = stratum_of_covered
    population = np.bincount(stratum_of_covered, headcount[covered])
    stratum = cell_stratum[respondent_cell]
    sample = np.bincount(stratum, minlength=population.size)
    return Design(
        stratum=stratum,
        weight=(population / sample)[stratum],
        population=population,
        sample=sample,
        cell_stratum=cell_stratum,
    )
