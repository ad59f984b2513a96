"""Breakdowns by a background question a version marks (gender here): figures per group as
domains across the strata, on every route that takes `by`, and under the disclosure
promise: a hidden group is never the total minus its published siblings."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import pytest

from app.closing.audit import audit_wave
from app.closing.figures import answer_breakdowns, compute_figures, wave_sample
from app.db import session_scope
from app.indicators.definitions import indicator_set
from app.indicators.derive import derive
from app.method.disclosure import DEFAULT_PROTECTION, audit_estimates, cell_counts
from app.method.estimators import estimate_groups
from app.method.groups import crossed_with_answers
from app.method.weights import post_stratify
from app.questionnaires.loader import parse_questionnaire, read_yaml
from app.questionnaires.schema import Questionnaire
from app.waves.models import Wave
from app.waves.service import publish_wave
from tests.builders import CELLS, bearer, random_answers, submit_all
from tests.support import FIXTURES, MIN_CELL, TODAY, close_mini_wave, open_mini_wave

DEFS = indicator_set(FIXTURES / "defs")
HEADCOUNT = [100, 50, 80, 40, 20]  # tests.support.MINI_FRAME
# Respondents in proportion to the headcounts: every respondent weighs the same (10/3), so
# a published share times its n is a whole number of people, as an attacker would use.
PER_CELL = [30, 15, 24, 12, 16]
GENDER = {
    "id": "gender",
    "type": "single",
    "breakdown": {"nl": "Gender", "en": "Gender"},
    "text": {"nl": "Wat is uw gender?", "en": "What is your gender?"},
    "options": [
        {"code": "man", "label": {"nl": "Man", "en": "Man"}},
        {"code": "woman", "label": {"nl": "Vrouw", "en": "Woman"}},
        {"code": "other", "label": {"nl": "Anders", "en": "Other"}},
    ],
}


def mini_with_gender() -> Questionnaire:
    """The mini questionnaire with a gender question marked as a breakdown."""
    data, _ = read_yaml(FIXTURES / "defs" / "mini.yaml")
    data["modules"][0]["questions"].append(GENDER)
    questionnaire, problems = parse_questionnaire(data, "mini.yaml")
    assert questionnaire is not None and not problems, problems
    return questionnaire


def gendered_batch(seed: int, others: int = 4) -> list[dict[str, Any]]:
    """PER_CELL respondents; `others` of them answer 'other', about a third 'woman'."""
    rng = np.random.default_rng(seed)
    batch = [
        random_answers(rng, cell) for cell, n in zip(CELLS, PER_CELL, strict=True) for _ in range(n)
    ]
    genders = ["other"] * others + [
        "woman" if rng.random() < 0.35 else "man" for _ in range(len(batch) - others)
    ]
    for given, gender in zip(batch, rng.permutation(genders), strict=True):
        given["gender"] = str(gender)
    return batch


def gendered_wave(
    factory,
    wave_id: str = "2026",
    seed: int = 3,
    close: bool = True,
    others: int = 4,
    protection: float = 0.0,
) -> list[dict]:
    """A wave with a small group of gender "other", closed and published. Closed with the
    suppression rules only (``protection`` 0): on so small a wave the audit hides nearly
    everything, and these tests are about the breakdown's routes and rules; the last
    test closes with the audit."""
    wave = open_mini_wave(factory, wave_id, codes=sum(PER_CELL), questionnaire=mini_with_gender())
    batch = gendered_batch(seed, others)
    submit_all(factory, wave, batch)
    if close:
        with session_scope(factory) as session:
            close_mini_wave(session, wave_id, protection)
            publish_wave(session, wave_id, TODAY)
    return batch


def threatened(given: dict[str, Any]) -> float:
    """threat_intimidation of the fixture's indicators: threatened once or several times."""
    return float(given["threat"] in ("once", "several"))


def attack(points: list[dict]) -> dict[str, tuple[int, int]]:
    """The attacker of CONTRACT section 7 on one indicator's figures over all staff: every
    weight the same, so each published figure gives its yes-count (estimate x n, rounded
    to whole people); the total minus the published groups gives the hidden ones together.
    Returns hidden group -> (respondents, yes) where that pins one group down; nothing
    when the total is hidden too (the audit at close may hide it)."""
    total = next(p for p in points if p["group"] is None)
    if total["suppressed"]:
        return {}
    groups = [p for p in points if p["group"] is not None]
    shown = [p for p in groups if not p["suppressed"]]
    hidden = [p["group"] for p in groups if p["suppressed"]]
    n = total["n"] - sum(p["n"] for p in shown)
    yes = round(total["estimate"] * total["n"]) - sum(round(p["estimate"] * p["n"]) for p in shown)
    return {hidden[0]: (n, yes)} if len(hidden) == 1 else {}


def naive_points(batch: list[dict[str, Any]]) -> list[dict]:
    """What publishing every gender group of at least MIN_CELL respondents would show:
    the estimates closing computes, without complementary suppression."""
    cell = np.array(
        [CELLS.index((a["organisation"], a["unit"], a["function_group"])) for a in batch]
    )
    design = post_stratify(
        np.array([c[0] for c in CELLS]), np.array([c[1] for c in CELLS]), np.array(HEADCOUNT), cell
    )
    values = np.array([threatened(a) for a in batch])
    codes = ["man", "woman", "other"]
    group = np.array([codes.index(a["gender"]) for a in batch])
    split = estimate_groups(values, group, 3, design, "proportion")
    whole = estimate_groups(values, np.zeros(len(batch), dtype=int), 1, design, "proportion")
    points = [
        {
            "group": None,
            "estimate": round(whole.estimate[0], 2),
            "n": int(whole.n[0]),
            "suppressed": False,
        }
    ]
    for i, code in enumerate(codes):
        small = split.n[i] < MIN_CELL
        points.append(
            {
                "group": code,
                "estimate": None if small else round(split.estimate[i], 2),
                "n": None if small else int(split.n[i]),
                "suppressed": bool(small),
            }
        )
    return points


def test_a_small_gender_group_is_not_the_total_minus_its_published_siblings(client, factory):
    batch = gendered_wave(factory)
    others = [a for a in batch if a["gender"] == "other"]
    truth = (len(others), int(sum(threatened(a) for a in others)))
    # The attack works: with only the small group hidden, it gives its people and answers.
    assert attack(naive_points(batch)) == {"other": truth}

    analyst = bearer(factory, "analyst")
    for route in (
        "/api/v1/public/trends/threat_intimidation",
        "/api/v1/trends/threat_intimidation",
    ):
        points = [
            point
            for by in ("none", "gender")
            for point in client.get(f"{route}?by={by}", headers=analyst).json()["points"]
        ]
        by_group = {p["group"]: p for p in points}
        assert by_group["other"]["suppressed"] and by_group["other"]["reason"] == "min_cell"
        hidden = [p for p in points if p["suppressed"]]
        assert len(hidden) >= 2 and by_group["woman"]["reason"] == "complementary"
        assert attack(points) == {}
        # What the attacker is left with: the hidden groups together; the small one may
        # hold any number of them, at least three counts.
        total = by_group[None]
        together = total["n"] - sum(p["n"] for p in points if p["group"] and not p["suppressed"])
        assert together >= len(others) + 2

    rates = client.get("/api/v1/waves/2026/response-rates?by=gender", headers=analyst).json()
    by_group = {r["group"]: r for r in rates}
    assert by_group["other"]["suppressed"] and by_group["other"]["respondents"] is None
    assert by_group["woman"]["suppressed"] and by_group["woman"]["respondents"] is None
    assert by_group["man"]["respondents"] == sum(a["gender"] == "man" for a in batch)
    assert all(r["headcount"] is None and r["rate"] is None for r in rates)


def test_every_route_that_takes_by_takes_a_marked_breakdown(client, factory):
    batch = gendered_wave(factory)
    analyst, admin = bearer(factory, "analyst"), bearer(factory, "admin", "root")
    men = [a for a in batch if a["gender"] == "man"]
    trend = client.get("/api/v1/trends/threat_intimidation?by=gender&lang=en", headers=analyst)
    assert trend.status_code == 200 and trend.json()["by"] == "gender"
    man = next(p for p in trend.json()["points"] if p["group"] == "man")
    assert man["group_label"] == "Man" and man["n"] == len(men)
    assert man["response_rate"] is None  # the frame has no headcounts by gender
    preview = client.get("/api/v1/waves/2026/preview/threat_intimidation?by=gender", headers=admin)
    assert [p["group"] for p in preview.json()["points"]] == ["man", "other", "woman"]
    export = client.get("/api/v1/exports/estimates.csv?by=gender", headers=analyst)
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert rows and {r["breakdown"] for r in rows} == {"gender"}
    everything = client.get("/api/v1/exports/estimates.csv", headers=analyst).text
    assert {r["breakdown"] for r in csv.DictReader(io.StringIO(everything))} >= {
        "none", "organisation", "unit", "function_group", "gender",
    }  # fmt: skip
    listed = client.get("/api/v1/public/breakdowns?lang=en").json()
    assert [b["id"] for b in listed] == ["none", "organisation", "unit", "function_group", "gender"]
    assert listed[-1]["groups"] == {"man": "Man", "woman": "Woman", "other": "Other"}


@pytest.mark.parametrize("route", [
    "/api/v1/public/trends/threat_intimidation",
    "/api/v1/trends/threat_intimidation",
    "/api/v1/waves/2026/response-rates",
    "/api/v1/exports/estimates.csv",
])  # fmt: skip
def test_a_breakdown_no_version_marks_is_a_problem(client, factory, route):
    gendered_wave(factory)
    for by in ("tenure", "threat", "x" * 40):
        reply = client.get(f"{route}?by={by}", headers=bearer(factory, "analyst", by[:20]))
        assert reply.status_code == 422, by
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["errors"][0]["loc"] == "query.by"


def test_response_rates_by_an_answer_wait_for_the_close(client, factory):
    gendered_wave(factory, close=False)
    reply = client.get(
        "/api/v1/waves/2026/response-rates?by=gender", headers=bearer(factory, "analyst")
    )
    assert reply.status_code == 409
    assert "closes" in reply.json()["detail"]


def test_no_indicator_hides_a_single_group_of_a_breakdown_by_an_answer(factory, session):
    """For every indicator, domains too (its n counts the domain's members in the group),
    a hidden group with members is never the only one under a published total. Here
    every group's respondents are published, but women's victims are too few."""
    gendered_wave(factory, seed=5, others=0)
    sample = wave_sample(session, session.get(Wave, "2026"))
    values = derive(DEFS, sample.questionnaire, sample.table)
    (gender,) = answer_breakdowns(sample)
    figures = compute_figures(sample, DEFS, MIN_CELL)
    for indicator in DEFS.indicators:
        shown = {
            f.group_code: not f.suppressed
            for f in figures
            if f.indicator == indicator.id and f.breakdown in ("none", "gender")
        }
        if not shown[""]:
            continue
        members = np.bincount(
            gender.group[~np.isnan(values[indicator.id])], minlength=len(gender.codes)
        )
        hidden = [c for c, k in zip(gender.codes, members, strict=True) if k and not shown[c]]
        assert len(hidden) != 1, (indicator.id, hidden)


def test_the_audit_attacks_a_breakdown_by_an_answer_with_the_frames_table(factory, session):
    """`monitor wave audit` plays the attacker on gender next to organisation, unit and
    function group (the cells crossed with the answers): it breaks a publication with only
    the small group hidden, and reports the stored figures' hidden gender groups."""
    gendered_wave(factory)
    sample = wave_sample(session, session.get(Wave, "2026"))
    (gender,) = answer_breakdowns(sample)
    part, size, crossed = crossed_with_answers(
        sample.frame, sample.cell, [("gender", gender.codes, gender.group)]
    )
    assert size == len(sample.frame) * 4  # three genders and no answer
    values = derive(DEFS, sample.questionnaire, sample.table)["threat_intimidation"]
    counts = cell_counts(values, part, size, sample.design)
    (alone,) = audit_estimates(counts, crossed, {("gender", "other")}, intervals=False)
    assert not alone.ok and alone.width < 0.2

    rows = audit_wave(session, "2026", DEFS, MIN_CELL)
    attacked = {(r.indicator, r.group) for r in rows if r.breakdown == "gender"}
    assert {("threat_intimidation", "other"), ("threat_intimidation", "woman")} <= attacked


def test_closing_hides_until_the_audit_finds_no_hidden_figure_narrower(factory, session):
    """Closing runs the audit's attack on the frame's table and on the cells crossed with
    each breakdown by an answer, and hides more until no hidden share or mean is narrowed
    below the promise: `monitor wave audit` then finds nothing on the stored figures.
    Closed without the audit (protection 0), the same wave gives figures away."""
    for wave_id, protection in (("2026", DEFAULT_PROTECTION), ("2027", 0.0)):
        gendered_wave(factory, wave_id, protection=protection)
    audited = {
        wave_id: audit_wave(session, wave_id, DEFS, MIN_CELL) for wave_id in ("2026", "2027")
    }
    assert audited["2026"] and all(row.ok for row in audited["2026"])
    assert any(row.breakdown == "gender" for row in audited["2026"])
    assert not all(row.ok for row in audited["2027"])
