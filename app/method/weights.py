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
   respondent in total) keeps it as a single-respondent stratum, which adds no variance
   (svy: `singleton="skip"`).

Every frame cell, also one without respondents, belongs to exactly one stratum, so the
weights ``N_h / n_h`` sum to the frame's total headcount. Strata are numbered in the
order of their first frame cell.
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
    cell_stratum: np.ndarray  # int, stratum index per frame cell


def post_stratify(
    organisation: np.ndarray,
    unit: np.ndarray,
    headcount: np.ndarray,
    respondent_cell: np.ndarray,
) -> Design:
    """Collapse frame cells into strata and weight every respondent by ``N_h / n_h``.

    ``organisation``, ``unit`` and ``headcount`` have one entry per frame cell;
    ``respondent_cell`` holds each respondent's frame-cell index. Raises ValueError
    for an organisation without respondents and for a stratum with more respondents
    than headcount.
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
            elif org_pool[org] == 0:
                raise ValueError(
                    f"organisation {str(org_codes[org])!r} has no respondents: "
                    "its headcount cannot be weighted"
                )
    rep[residual] = org_rep[org_id[residual]]

    _, cell_stratum = np.unique(rep, return_inverse=True)
    population = np.bincount(cell_stratum, headcount)
    stratum = cell_stratum[respondent_cell]
    sample = np.bincount(stratum, minlength=population.size)
    over = np.flatnonzero(sample > population)
    if over.size:
        h = over[0]
        raise ValueError(
            f"frame headcount {population[h]:g} below the {sample[h]} respondents "
            f"in the stratum of frame cells {cells[cell_stratum == h].tolist()}"
        )
    return Design(
        stratum=stratum,
        weight=(population / sample)[stratum],
        population=population,
        sample=sample,
        cell_stratum=cell_stratum,
    )
