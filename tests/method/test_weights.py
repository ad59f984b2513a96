"""Post-stratification and the contract's collapsing rule, step by step."""

from __future__ import annotations

import numpy as np
import pytest

from app.method.weights import (
    MIN_RESIDUAL_RESPONDENTS,
    MIN_STRATUM_RESPONDENTS,
    Design,
    OverfullCells,
    post_stratify,
)


def stratify(frame: list[tuple[str, str, int, int]]) -> Design:
    """Frame rows (organisation, unit, headcount, respondents) -> Design."""
    organisation = np.array([row[0] for row in frame])
    unit = np.array([row[1] for row in frame])
    headcount = np.array([row[2] for row in frame])
    respondent_cell = np.repeat(np.arange(len(frame)), [row[3] for row in frame])
    return post_stratify(organisation, unit, headcount, respondent_cell)


def same_stratum(design: Design, *cells: int) -> bool:
    return len(set(design.cell_stratum[list(cells)].tolist())) == 1


def test_thresholds():
    assert (MIN_STRATUM_RESPONDENTS, MIN_RESIDUAL_RESPONDENTS) == (5, 2)


def test_step1_cells_with_five_respondents_are_strata():
    design = stratify([("pol", "a", 50, 5), ("pol", "a", 60, 7), ("pol", "b", 30, 9)])
    assert design.cell_stratum.tolist() == [0, 1, 2]
    assert design.sample.tolist() == [5, 7, 9]
    np.testing.assert_allclose(design.weight[:5], 10.0)


def test_step2_small_cells_of_a_unit_pool_when_the_pool_reaches_five():
    design = stratify(
        [
            ("pol", "a", 100, 20),
            ("pol", "a", 30, 3),
            ("pol", "a", 20, 2),
            ("pol", "a", 10, 0),  # zero respondents: pooled all the same
        ]
    )
    assert same_stratum(design, 1, 2, 3) and not same_stratum(design, 0, 1)
    pool = design.cell_stratum[1]
    assert design.population[pool] == 60 and design.sample[pool] == 5
    np.testing.assert_allclose(design.weight[design.stratum == pool], 12.0)


def test_step3_pools_under_five_merge_across_the_organisation():
    design = stratify(
        [
            ("pol", "a", 100, 20),
            ("pol", "a", 10, 2),
            ("pol", "b", 50, 10),
            ("pol", "b", 10, 1),
            ("pol", "b", 10, 0),
            ("om", "c", 40, 8),
            ("om", "c", 10, 3),  # OM's pool stays apart from the police's
        ]
    )
    assert same_stratum(design, 1, 3, 4)
    pool = design.cell_stratum[1]
    assert design.sample[pool] == 3 and design.population[pool] == 30
    assert not same_stratum(design, 1, 6)


def test_step3_a_residual_under_two_joins_the_largest_stratum():
    design = stratify(
        [
            ("pol", "a", 40, 6),
            ("pol", "b", 90, 9),
            ("pol", "b", 15, 1),
            ("pol", "c", 30, 0),
        ]
    )
    assert same_stratum(design, 1, 2, 3) and not same_stratum(design, 0, 1)
    joined = design.cell_stratum[1]
    assert design.sample[joined] == 10 and design.population[joined] == 135


def test_largest_stratum_ties_go_to_the_first_frame_cell():
    design = stratify([("pol", "a", 40, 6), ("pol", "b", 90, 6), ("pol", "b", 15, 1)])
    assert same_stratum(design, 0, 2) and not same_stratum(design, 1, 2)


def test_unit_pools_count_as_candidate_strata():
    design = stratify([("om", "a", 20, 3), ("om", "a", 20, 3), ("om", "b", 5, 1)])
    assert same_stratum(design, 0, 1, 2)
    assert design.sample.tolist() == [7]


def test_an_organisation_with_one_respondent_keeps_a_single_respondent_stratum():
    design = stratify([("pol", "a", 100, 30), ("om", "b", 8, 1), ("om", "c", 4, 0)])
    assert same_stratum(design, 1, 2) and design.sample[design.cell_stratum[1]] == 1


def test_weights_sum_to_the_frame_total_with_empty_cells():
    rng = np.random.default_rng(3)
    units = np.repeat([f"u{i}" for i in range(20)], 8)
    organisation = np.where(np.arange(units.size) < 120, "pol", "om")
    # Skewed response: many cells get 0-4 respondents.
    share = rng.gamma(0.3, size=units.size)
    respondent_cell = rng.choice(units.size, 1500, p=share / share.sum())
    headcount = np.bincount(respondent_cell, minlength=units.size) + rng.integers(0, 60, units.size)
    design = post_stratify(organisation, units, headcount, respondent_cell)
    assert (np.bincount(respondent_cell, minlength=units.size) == 0).any()
    assert design.weight.sum() == pytest.approx(headcount.sum())
    assert design.population.sum() == headcount.sum()
    assert design.sample.sum() == respondent_cell.size
    assert (design.sample >= MIN_RESIDUAL_RESPONDENTS).all()
    np.testing.assert_array_equal(design.stratum, design.cell_stratum[respondent_cell])
    np.testing.assert_allclose(design.weight, (design.population / design.sample)[design.stratum])
    # A stratum never spans two organisations.
    for h in range(design.population.size):
        assert np.unique(organisation[design.cell_stratum == h]).size == 1


def test_equal_unit_codes_in_two_organisations_are_different_units():
    design = stratify([("pol", "x", 10, 3), ("pol", "y", 10, 9), ("om", "x", 10, 3)])
    assert not same_stratum(design, 0, 2)


def test_an_organisation_without_respondents_is_in_no_stratum():
    design = stratify([("pol", "a", 100, 30), ("om", "b", 8, 0), ("pol", "c", 20, 6)])
    assert design.cell_stratum.tolist() == [0, -1, 1]
    assert design.covered.tolist() == [True, False, True]
    # Nobody stands for the OM: the weights cover the police's 120, not the frame's 128.
    assert design.weight.sum() == pytest.approx(120)


def test_a_wave_without_respondents_cannot_be_weighted():
    with pytest.raises(ValueError, match="no respondents"):
        stratify([("pol", "a", 100, 0)])


def test_more_respondents_than_headcount_is_refused():
    with pytest.raises(OverfullCells) as refused:
        stratify([("pol", "a", 4, 6)])
    assert (refused.value.cells, refused.value.respondents, refused.value.headcount) == (
        [0],
        [6],
        [4],
    )


def test_a_pooled_cell_with_more_respondents_than_headcount_is_refused():
    # Cells 1 and 2 pool into one stratum (5 respondents, headcount 102): the pool's sum
    # hides that cell 1 has 3 respondents and a headcount of 2.
    with pytest.raises(OverfullCells) as refused:
        stratify([("pol", "a", 100, 20), ("pol", "b", 2, 3), ("pol", "b", 100, 2)])
    assert refused.value.cells == [1]
