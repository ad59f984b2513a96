"""The figures HR asks for (satisfaction among all victims and its distribution, days lost
per 100 staff, the length of absence, breakdowns by tenure, age and gender) against svy,
the contract's reference, on generated waves the code has never seen: each category of a
family against svy's `prop` with Korn-Graubard, days per 100 staff against `mean` x 100,
each group of a breakdown by an answer as a domain across the strata."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from app.closing.figures import WaveSample, answer_breakdowns, compute_figures
from app.demo.generator import generate_wave
from app.demo.population import base_frame, respondents_per_cell, wave_frame
from app.indicators.definitions import indicator_set
from app.indicators.derive import derive
from app.method.disclosure import PUBLISHED
from app.method.estimators import estimate_groups
from app.method.weights import post_stratify
from app.questionnaires.loader import load_directory
from app.responses.answers import AnswerTable, respondent_frame_cells
from app.waves.service import FrameRow
from tests.method.test_estimators_vs_svy import TOL, svy_reference

SURVEY_DEFS = Path(__file__).parents[2] / "survey_defs"
DEFS = indicator_set(SURVEY_DEFS)
VERSIONS = {q.id: q for q in load_directory(SURVEY_DEFS).questionnaires}
SATISFACTION = ["very_dissatisfied", "dissatisfied", "neutral", "satisfied", "very_satisfied"]
VICTIM_FORMS = [
    "verbal", "threat", "intimidation", "stalking", "physical", "sexual", "discrimination",
    "property", "online",
]  # fmt: skip
ABSENCE_CLASSES = {
    "absence_days_0": (0, 0),
    "absence_days_1_2": (1, 2),
    "absence_days_3_5": (3, 5),
    "absence_days_6_20": (6, 20),
    "absence_days_over_20": (21, math.inf),
}


def generated_wave(version: str, seed: int) -> WaveSample:
    """A wave of the demo's population at a tenth of its size, answered at random."""
    rng = np.random.default_rng(seed)
    cells = wave_frame(base_frame(), 0, rng, scale=0.1)
    questionnaire = VERSIONS[version]
    rows = generate_wave(questionnaire, cells, respondents_per_cell(cells, rng), 0, rng)
    table = AnswerTable(questionnaire.kinds(), rows)
    frame = [FrameRow(c.organisation, c.unit, c.function_group, c.headcount) for c in cells]
    cell = respondent_frame_cells(table, frame)
    design = post_stratify(
        np.array([c.organisation for c in frame]),
        np.array([c.unit for c in frame]),
        np.array([c.headcount for c in frame]),
        cell,
    )
    return WaveSample(questionnaire, table, frame, cell, design)


def expected_values(sample: WaveSample) -> dict[str, np.ndarray]:
    """Each new indicator's value per respondent, read off the answers here, not through
    the definitions: NaN outside the denominator and for item non-response."""
    rows = sample.table.size
    answer = {q: sample.table.column(q) for q in ["satisfaction", "sick_leave_days", *VICTIM_FORMS]}
    victim = np.array(
        [
            any(answer[f][i] in ("once", "several", "often") for f in VICTIM_FORMS)
            for i in range(rows)
        ]
    )
    satisfaction = np.array(answer["satisfaction"], dtype=object)
    judged = victim & np.isin(satisfaction, SATISFACTION)
    days = np.array([np.nan if d is None else float(d) for d in answer["sick_leave_days"]])
    values = {
        "satisfied_victims": np.isin(satisfaction, ["satisfied", "very_satisfied"]),
        "dissatisfied_victims": np.isin(satisfaction, ["very_dissatisfied", "dissatisfied"]),
        **{f"satisfaction_{c}": satisfaction == c for c in SATISFACTION},
    }
    found = {k: np.where(judged, v.astype(float), np.nan) for k, v in values.items()}
    known_absence = ~victim | ~np.isnan(days)  # victims who skipped the question: unknown
    lost = np.where(victim, days, 0.0)
    found["days_lost_raw"] = np.where(known_absence, lost, np.nan)
    found["absent_after_incident"] = np.where(known_absence, (lost >= 1).astype(float), np.nan)
    for key, (low, high) in ABSENCE_CLASSES.items():
        inside = ((days >= low) & (days <= high)).astype(float)
        found[key] = np.where(victim & ~np.isnan(days), inside, np.nan)
    return found


@pytest.fixture(scope="module", params=["mm-2026.1", "mm-2027.1"])
def wave(request: pytest.FixtureRequest) -> WaveSample:
    return generated_wave(request.param, seed=int(request.param[-6:-2]))


def groupings(sample: WaveSample) -> dict[str, tuple[np.ndarray, int]]:
    """The total, the organisations, and every breakdown by an answer."""
    organisation = np.array([sample.frame[c].organisation for c in sample.cell])
    found = {
        "none": (np.zeros(sample.cell.size, dtype=np.intp), 1),
        "organisation": ((organisation == "pol").astype(np.intp), 2),
    }
    for breakdown in answer_breakdowns(sample):
        found[breakdown.by] = (breakdown.group, len(breakdown.codes))
    assert {"tenure", "age", "gender"} <= set(found)
    return found


def test_the_definitions_compute_what_hr_asks(wave):
    derived = derive(DEFS, wave.questionnaire, wave.table)
    expected = expected_values(wave)
    expected["days_lost_per_100"] = expected.pop("days_lost_raw") * 100
    for indicator, values in expected.items():
        np.testing.assert_array_equal(derived[indicator], values, err_msg=indicator)


@pytest.mark.parametrize(
    "indicator",
    [
        "satisfied_victims",
        "dissatisfied_victims",
        *(f"satisfaction_{c}" for c in SATISFACTION),
        "absent_after_incident",
        *ABSENCE_CLASSES,
    ],
)
def test_each_share_and_category_is_svys_korn_graubard_prop(wave, indicator):
    values = expected_values(wave)[indicator]
    assert np.nansum(values) > 0  # the data exercise the category
    for by, (group, n_groups) in groupings(wave).items():
        ours = estimate_groups(values, group, n_groups, wave.design, "proportion")
        ref = svy_reference(values, group, n_groups, wave.design, "proportion")
        shown = ours.n > 0
        np.testing.assert_array_equal(ours.n[shown], ref["n"][shown], err_msg=by)
        for key in ("estimate", "se", "ci_low", "ci_high"):
            np.testing.assert_allclose(
                getattr(ours, key)[shown], ref[key][shown], atol=TOL, err_msg=f"{by} {key}"
            )


def test_days_lost_per_100_staff_is_svys_mean_times_100(wave):
    raw = expected_values(wave)["days_lost_raw"]
    for by, (group, n_groups) in groupings(wave).items():
        ours = estimate_groups(
            raw * 100, group, n_groups, wave.design, "mean", value_range=(0.0, 36500.0)
        )
        ref = svy_reference(raw, group, n_groups, wave.design, "mean")
        shown = ours.n > 0
        np.testing.assert_allclose(
            ours.estimate[shown], 100 * ref["estimate"][shown], atol=TOL, err_msg=by
        )
        np.testing.assert_allclose(ours.se[shown], 100 * ref["se"][shown], atol=TOL, err_msg=by)
        # svy's t-interval, cut at 0 days: a mean of days never gets a negative limit.
        np.testing.assert_allclose(
            ours.ci_low[shown], np.maximum(100 * ref["ci_low"][shown], 0.0), atol=TOL
        )
        np.testing.assert_allclose(ours.ci_high[shown], 100 * ref["ci_high"][shown], atol=TOL)
        assert (ours.ci_low[shown] >= 0).all()


def test_the_published_figures_are_svys_rounded(wave):
    """What closing stores: svy's figures within half the last published decimal, for
    every group of every breakdown by an answer that is not suppressed."""
    # Agreement with svy is about the published figures, not which are hidden.
    figures = compute_figures(wave, DEFS, min_cell=10, protection=0)
    expected = expected_values(wave)
    expected["days_lost_per_100"] = expected.pop("days_lost_raw")
    split = groupings(wave)
    codes = {b.by: b.codes for b in answer_breakdowns(wave)} | {"none": [""]}
    references: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    checked = 0
    for figure in figures:
        if figure.indicator not in expected or figure.suppressed or figure.breakdown not in codes:
            continue
        mean = figure.indicator == "days_lost_per_100"
        key = (figure.indicator, figure.breakdown)
        if key not in references:
            group, n_groups = split[figure.breakdown]
            references[key] = svy_reference(
                expected[figure.indicator], group, n_groups, wave.design,
                "mean" if mean else "proportion",
            )  # fmt: skip
        ref = references[key]
        i = codes[figure.breakdown].index(figure.group_code)
        kind, scale = ("mean", 100) if mean else ("proportion", 1)
        # Half the last published decimal: a small group's interval has fewer.
        half = [
            0.5 * 10.0 ** -PUBLISHED.decimals(kind, field, figure.n) + 1e-9
            for field in ("estimate", "ci_high")
        ]
        assert figure.n == ref["n"][i]
        assert abs(figure.estimate - scale * ref["estimate"][i]) <= half[0]
        assert abs(figure.ci_high - scale * ref["ci_high"][i]) <= half[1]
        checked += 1
    assert checked > 100
