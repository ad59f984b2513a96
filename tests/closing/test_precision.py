"""How precisely figures are published (README, "The statistical method", rule 2), attacked.

A small group's interval, rounded to whole percentages, and its standard error are more
equations for the attacker: on these mini waves they narrow hidden figures below the
promise that the rounded estimates alone leave open. Published as the rule says (shares
of fewer than 200 respondents: interval to 1 decimal, no standard error) and with closing
attacking intervals and standard errors too, no hidden figure is narrower than the
promise."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from sqlalchemy import delete, insert

from app.closing.audit import attack_figures, audit_wave
from app.closing.figures import compute_figures, wave_sample
from app.closing.models import Estimate
from app.db import session_scope
from app.indicators.definitions import indicator_set
from app.method.disclosure import PUBLISHED_BEFORE_2026_12 as BEFORE
from app.method.disclosure import published_value
from app.waves.service import get_wave
from tests.builders import filled_wave
from tests.support import FIXTURES, MIN_CELL

DEFS = indicator_set(FIXTURES / "defs")
CASES = [([5, 5, 20, 9, 15], 5), ([15, 4, 6, 18, 10], 9)]


def test_a_small_groups_share_has_a_coarser_interval_and_no_standard_error():
    assert published_value(0.0834, "proportion", "ci_low", 199) == 0.1
    assert published_value(0.0312, "proportion", "se", 199) is None
    assert published_value(0.0834, "proportion", "estimate", 199) == 0.08
    assert published_value(0.0834, "proportion", "ci_low", 200) == 0.08
    assert published_value(0.0312, "proportion", "se", 200) == 0.03
    # Means (days) are published alike for every group.
    assert published_value(2.345, "mean", "ci_low", 20) == 2.3
    assert published_value(0.312, "mean", "se", 20) == 0.3


@pytest.mark.parametrize(("per_cell", "seed"), CASES)
def test_intervals_and_standard_errors_narrowed_hidden_figures_and_no_longer_do(
    factory, per_cell, seed
):
    filled_wave(factory, "2026", per_cell, seed=seed, close=False)
    with session_scope(factory) as session:
        sample = wave_sample(session, get_wave(session, "2026"))
    # The attack first: hidden as closing hid before (on the estimates alone), published
    # as before, the attack on intervals and standard errors breaks the promise.
    before = compute_figures(sample, DEFS, MIN_CELL, intervals=False, precision=BEFORE)
    attacked = attack_figures(sample, DEFS, before, MIN_CELL, precision=BEFORE)
    assert any(not b.ok for b in attacked if b.indicator != "respondents")
    # Published as now and closed as now: the same attack finds nothing narrower.
    now = compute_figures(sample, DEFS, MIN_CELL)
    assert all(b.ok for b in attack_figures(sample, DEFS, now, MIN_CELL))
    assert sum(f.suppressed for f in now) < len(now)  # not everything hidden


def test_the_audit_reads_a_wave_as_it_was_published(factory):
    """`monitor wave audit` on a wave closed now finds nothing; on the same wave as it
    would have been closed and published before December 2026 (hidden on the estimates,
    small groups' intervals to whole percentages with standard errors) it finds what
    those figures gave away."""
    per_cell, seed = CASES[0]
    filled_wave(factory, "2026", per_cell, seed=seed)
    with session_scope(factory) as session:
        rows = audit_wave(session, "2026", DEFS, MIN_CELL)
        assert rows and all(r.ok for r in rows)
        sample = wave_sample(session, get_wave(session, "2026"))
        before = compute_figures(sample, DEFS, MIN_CELL, intervals=False, precision=BEFORE)
        session.execute(delete(Estimate).where(Estimate.wave_id == "2026"))
        session.execute(insert(Estimate), [{"wave_id": "2026", **asdict(f)} for f in before])
    with session_scope(factory) as session:
        rows = audit_wave(session, "2026", DEFS, MIN_CELL)
    assert any(not r.ok for r in rows)
