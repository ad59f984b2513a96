"""A family's categories add up to 1, and "satisfied or very satisfied" is the sum of two
of them: a group hidden in one of these figures is hidden in all, or the others give it
away (CONTRACT section 7: indicators sharing a denominator share its members)."""

from __future__ import annotations

import app.closing.figures as closing
from app.closing.figures import compute_figures
from tests.closing.test_hr_figures_vs_svy import DEFS, SATISFACTION, generated_wave

UNIT = ("unit", "pol-ams")
TARGET = "satisfaction_neutral"
ALIKE = ["satisfied_victims", "dissatisfied_victims", *(f"satisfaction_{c}" for c in SATISFACTION)]


def hiding_one_member(monkeypatch) -> None:
    """Closing's audit (here a stand-in that runs no attack) hides pol-ams in one member of
    the family only, as the real one may for a rare answer."""
    attacked = closing.indicator_cell_counts
    of_target: list[object] = []

    def tagged(indicator, *args):
        counts = attacked(indicator, *args)
        if indicator.id == TARGET:
            of_target.append(counts)
        return counts

    def audit(counts, groups, parent, hidden, *args, **kwargs):
        extra = {UNIT} if any(counts is c for c in of_target) else set()
        return hidden | extra, []

    monkeypatch.setattr(closing, "indicator_cell_counts", tagged)
    monkeypatch.setattr(closing, "protect_estimates", audit)


def figures_of_unit(sample) -> dict[str, object]:
    return {
        f.indicator: f
        for f in compute_figures(sample, DEFS, min_cell=10)
        if (f.breakdown, f.group_code) == UNIT and f.indicator in ALIKE
    }


def test_a_category_hidden_by_the_audit_is_hidden_in_every_figure_counting_alike(monkeypatch):
    sample = generated_wave("mm-2026.1", seed=2026)
    hiding_one_member(monkeypatch)
    figures = figures_of_unit(sample)
    assert {i: f.reason for i, f in figures.items()} == dict.fromkeys(ALIKE, "complementary")

    # Without the rule the attack works: 1 minus the other four categories.
    monkeypatch.setattr(closing, "_counting_alike", lambda *args: [])
    leaked = figures_of_unit(sample)
    assert leaked[TARGET].suppressed
    others = [leaked[f"satisfaction_{c}"].estimate for c in SATISFACTION if c != "neutral"]
    band = (1 - sum(others) - 4 * 0.005, 1 - sum(others) + 4 * 0.005)
    assert band[1] - band[0] < 2 * 0.10  # narrower than the promise
    truth = compute_figures(sample, DEFS, min_cell=0, protection=0)
    exact = next(
        f.estimate for f in truth if f.indicator == TARGET and (f.breakdown, f.group_code) == UNIT
    )
    assert band[0] - 0.005 <= exact <= band[1] + 0.005
