"""Figures stored at close: what they are computed from, and trends read back from them."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from app.closing.models import Estimate
from app.closing.service import close_wave
from app.db import session_scope
from app.indicators.definitions import IndicatorsUnavailable, indicator_set
from app.indicators.derive import derive
from app.method.disclosure import published_value
from app.method.estimators import estimate_groups
from app.method.suppression import TOTAL, suppress_hierarchy
from app.method.weights import post_stratify
from app.problems import Conflict
from app.responses.answers import load_answers
from app.responses.models import RespondentCount
from app.waves.models import Wave
from tests.builders import CELLS, filled_wave, random_answers, submit_all
from tests.support import FIXTURES, MIN_CELL, close_mini_wave, load_fixture, open_mini_wave

MINI = load_fixture()
DEFS = indicator_set(FIXTURES / "defs")
HEADCOUNT = [100, 50, 80, 40, 20]  # tests.support.MINI_FRAME
GROUPS = {
    "none": [""],
    "organisation": ["om", "pol"],
    "unit": ["om-ams", "pol-ams", "pol-rot"],
    "function_group": ["om-ovj", "pol-basis", "pol-ops"],
}
PARENT = {
    ("organisation", "om"): TOTAL,
    ("organisation", "pol"): TOTAL,
    ("unit", "om-ams"): ("organisation", "om"),
    ("unit", "pol-ams"): ("organisation", "pol"),
    ("unit", "pol-rot"): ("organisation", "pol"),
    ("function_group", "om-ovj"): ("organisation", "om"),
    ("function_group", "pol-basis"): ("organisation", "pol"),
    ("function_group", "pol-ops"): ("organisation", "pol"),
}
LEVEL = {"organisation": 0, "unit": 1, "function_group": 2}


def stored(session, wave_id: str) -> dict[tuple[str, str, str], Estimate]:
    rows = session.scalars(select(Estimate).where(Estimate.wave_id == wave_id))
    return {(r.indicator, r.breakdown, r.group_code): r for r in rows}


def test_stored_estimates_are_estimate_groups_on_the_same_data(factory, session):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=1)
    figures = stored(session, "2026")
    table = load_answers(session, "2026", MINI)
    cell_of = {cell: i for i, cell in enumerate(CELLS)}
    respondent_cell = np.array(
        [cell_of[(r["organisation"], r["unit"], r["function_group"])] for r in table.rows]
    )
    design = post_stratify(
        np.array([c[0] for c in CELLS]),
        np.array([c[1] for c in CELLS]),
        np.array(HEADCOUNT),
        respondent_cell,
    )
    values = derive(DEFS, MINI, table)
    published = 0
    for indicator in DEFS.indicators:
        n, results = {}, {}
        for by, codes in GROUPS.items():
            if by == "none":
                group = np.zeros(table.size, dtype=int)
            else:
                group = np.array([codes.index(CELLS[c][LEVEL[by]]) for c in respondent_cell])
            result = estimate_groups(
                values[indicator.id], group, len(codes), design, indicator.kind
            )
            for i, code in enumerate(codes):
                key = TOTAL if by == "none" else (by, code)
                n[key] = int(result.n[i])
                results[indicator.id, by, code] = (key, result, i)
        hidden = suppress_hierarchy(n, PARENT, MIN_CELL)
        for where, (key, result, i) in results.items():
            row = figures.pop(where)
            # Small groups and their complements are hidden; the disclosure audit may hide more.
            assert row.suppressed or key not in hidden, where
            assert not row.series_break
            if row.suppressed:
                assert (row.estimate, row.ci_low, row.ci_high, row.se, row.n) == (None,) * 5
                continue
            published += 1
            assert row.n == result.n[i]
            for field in ("estimate", "se", "ci_low", "ci_high"):
                expected = getattr(result, field)[i]
                got = getattr(row, field)
                # Published rounded (README, "Small groups"): to half the last decimal.
                assert (got is None and np.isnan(expected)) or got == published_value(
                    expected, indicator.kind, field
                ), (where, field)
    assert figures == {}  # nothing else was stored
    assert published > 50  # the wave has published figures and hidden ones
    counts = session.execute(select(RespondentCount.respondents, RespondentCount.as_of)).all()
    assert sorted(c.respondents for c in counts) == sorted([30, 12, 25, 8, 12])
    assert {c.as_of for c in counts} == {None}  # final counts; no day is kept


def test_a_wave_without_responses_closes_with_every_figure_hidden(factory, session):
    open_mini_wave(factory, "2026")
    with session_scope(factory) as closing:
        close_mini_wave(closing, "2026")
    figures = stored(session, "2026")
    assert len(figures) == len(DEFS.indicators) * sum(map(len, GROUPS.values()))
    assert all(f.suppressed and f.n is None for f in figures.values())


def test_an_organisation_without_respondents_is_left_out_of_the_weights(factory, session):
    filled_wave(factory, "2026", [30, 12, 25, 8, 0], seed=2)
    figures = stored(session, "2026")
    assert figures["threat_intimidation", "organisation", "om"].suppressed
    # Its sibling is hidden with it; the total then covers the police alone and would give
    # them away (an empty group protects nothing), so it is hidden too.
    assert figures["threat_intimidation", "organisation", "pol"].suppressed
    assert figures["threat_intimidation", "none", ""].suppressed


def test_a_frame_that_cannot_weight_the_responses_refuses_to_close(factory, session):
    frame = (
        "organisation,unit,function_group,headcount\n"
        "pol,pol-ams,pol-basis,100\nom,om-ams,om-ovj,3\n"
    )
    wave = open_mini_wave(factory, "2026", codes=20, frame=frame)
    rng = np.random.default_rng(3)
    submit_all(
        factory,
        wave,
        [random_answers(rng, CELLS[0]) for _ in range(10)]
        + [random_answers(rng, CELLS[4]) for _ in range(5)],
    )
    with pytest.raises(Conflict, match="cannot be weighted"), session_scope(factory) as closing:
        close_mini_wave(closing, "2026")
    assert session.get(Wave, "2026").status == "open"


def test_closing_refuses_definitions_that_do_not_fit_the_version(factory, session):
    other = MINI.model_copy(update={"id": "mini-2027.1"})
    open_mini_wave(factory, "2027", questionnaire=other)
    with pytest.raises(IndicatorsUnavailable), session_scope(factory) as closing:
        close_wave(closing, "2027", MIN_CELL, DEFS)
    assert session.get(Wave, "2027").status == "open"


# --- trends: change and series breaks ------------------------------------------------------
