"""`monitor demo`: five waves like the real organisations, answers that pass the same
validation as real ones, and a first wave whose published figures are the seed's.

The demo is built once for this module, on SQLite, at `SCALE` of the real headcounts so
that the suite stays quick (the full-size build takes about half a minute on two cores);
the full-size frame itself is checked without a database.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from app.cli import app
from app.closing.models import Estimate
from app.config import get_settings
from app.db import create_db_engine
from app.demo import service as demo_service
from app.demo.generator import generate_wave
from app.demo.population import (
    MAX_RATE,
    MIN_RATE,
    base_frame,
    respondents_per_cell,
    totals,
    wave_frame,
)
from app.demo.service import VERSIONS, DemoGeneratorBroken, build_demo
from app.indicators.definitions import indicator_set
from app.indicators.derive import derive
from app.method.disclosure import published_value
from app.method.estimators import estimate_groups
from app.method.weights import post_stratify
from app.questionnaires.service import get_version
from app.responses.answers import load_answers
from app.responses.service import check_code
from app.responses.validation import validate_many
from app.waves.models import InvitationCode, Wave
from app.waves.service import frame_cells
from tests.support import stored_answers

SURVEY_DEFS = Path(__file__).resolve().parents[2] / "survey_defs"
SCALE = 0.3
TODAY = datetime.now(UTC).date()

# The 2014 letter's figures (BRIEF.md): (indicator, breakdown, group) -> value.
SEED = {
    ("threat_intimidation", "organisation", "pol"): 0.41,
    ("threat_intimidation", "organisation", "om"): 0.08,
    ("threat_intimidation", "function_group", "pol-basis"): 0.56,
    ("threat_intimidation", "function_group", "om-ovj"): 0.17,
}
for _indicator, (_pol, _om) in {
    "escalation": (0.27, 0.03),
    "private_sphere": (0.27, 0.07),
    "outside_work": (0.11, 0.14),
    "no_task_impact": (0.64, 0.74),
    "satisfied_handling": (0.79, 0.93),
}.items():
    SEED[_indicator, "organisation", "pol"] = _pol
    SEED[_indicator, "organisation", "om"] = _om


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    # Without the disclosure audit: these tests are about the demo's answers and the
    # seed's figures; the audit hides more on a demo this small (its price on the demo,
    # full size and small, is measured in bench/README.md, "The price of disclosure control").
    result = build_demo(url, SURVEY_DEFS, TODAY, scale=SCALE, min_cell=10, protection=0)
    engine = create_db_engine(url)
    yield engine, result
    engine.dispose()


@pytest.fixture
def db(demo) -> Session:
    engine, _ = demo
    with Session(engine) as session:
        yield session


def waves(session: Session) -> list[Wave]:
    return list(session.scalars(select(Wave).order_by(Wave.opens_at)))


# --- the frame ---------------------------------------------------------------------------


def test_full_size_frame_is_like_the_real_organisations():
    cells = base_frame()
    assert totals(cells) == {"pol": 65_000, "om": 6_000}
    by = {org: {"unit": set(), "function_group": set()} for org in ("pol", "om")}
    for c in cells:
        by[c.organisation]["unit"].add(c.unit)
        by[c.organisation]["function_group"].add(c.function_group)
    assert (len(by["pol"]["unit"]), len(by["pol"]["function_group"])) == (13, 7)
    assert (len(by["om"]["unit"]), len(by["om"]["function_group"])) == (15, 4)
    assert all(c.headcount > 0 for c in cells)
    prosecutors = sum(c.headcount for c in cells if c.function_group == "om-ovj")
    assert 0.16 <= prosecutors / 6_000 <= 0.20
    unit_sizes = Counter()
    for c in cells:
        unit_sizes[c.unit] += c.headcount
    assert unit_sizes["pol-rot"] > 2 * unit_sizes["pol-lim"]  # uneven, like the real units
    assert any(c.headcount < 20 for c in cells)  # real but small cells
    later = wave_frame(cells, 4, np.random.default_rng(1))
    assert 65_000 < totals(later)["pol"] < 71_000 and 6_000 < totals(later)["om"] < 6_500


def test_same_seed_same_answers():
    cells = wave_frame(base_frame(), 0, np.random.default_rng(0), scale=0.03)
    questionnaire = _questionnaire("mm-2026.1")

    def run(seed: int) -> list[dict]:
        rng = np.random.default_rng(seed)
        return generate_wave(questionnaire, cells, respondents_per_cell(cells, rng), 0, rng)

    assert run(7) == run(7)
    assert run(7) != run(8)


def _questionnaire(version: str):
    from app.questionnaires.loader import load_directory

    return {q.id: q for q in load_directory(SURVEY_DEFS).questionnaires}[version]


# --- the built database ------------------------------------------------------------------------


def test_five_yearly_waves_the_last_open(db, demo):
    built = waves(db)
    assert [w.state for w in built] == ["published"] * 4 + ["open"]
    assert [w.published_on for w in built] == [w.closes_at for w in built[:-1]] + [None]
    assert not any(w.pilot for w in built)
    assert [w.questionnaire_id for w in built] == list(VERSIONS)
    assert [int(w.id) for w in built] == list(range(int(built[0].id), int(built[0].id) + 5))
    for wave in built:
        assert 35 <= (wave.closes_at - wave.opens_at).days <= 49
    assert built[-1].opens_at < TODAY < built[-1].closes_at
    assert all(w.closes_at < TODAY for w in built[:-1])
    _, result = demo
    assert len(result.codes) == demo_service.DEMO_CODES
    assert db.query(InvitationCode).filter_by(wave_id=built[-1].id).count() == len(result.codes)


def test_frames_and_response_rates_per_cell(db):
    for wave in waves(db):
        frame = frame_cells(db, wave.id)
        headcount = totals(frame)  # type: ignore[arg-type]
        assert headcount["pol"] == pytest.approx(65_000 * SCALE, rel=0.1)
        assert headcount["om"] == pytest.approx(6_000 * SCALE, rel=0.1)
        counts = Counter(
            (a["organisation"], a["unit"], a["function_group"]) for a in stored_answers(db, wave.id)
        )
        rates = np.array(
            [counts[c.organisation, c.unit, c.function_group] / c.headcount for c in frame]
        )
        assert rates.min() >= MIN_RATE and rates.max() <= MAX_RATE, wave.id
        assert rates.std() > 0.02  # varies by cell
        assert sum(counts.values()) == sum(
            counts[c.organisation, c.unit, c.function_group] for c in frame
        )


def test_every_stored_response_passes_validation_again(db):
    for wave in waves(db):
        questionnaire = get_version(db, wave.questionnaire_id)
        cells = {(c.organisation, c.unit, c.function_group) for c in frame_cells(db, wave.id)}
        answers = stored_answers(db, wave.id)
        checked = validate_many(questionnaire, answers, cells)
        problems = [(a, errors) for a, (_, errors) in zip(answers, checked, strict=True) if errors]
        assert not problems, problems[:3]
        assert [kept for kept, _ in checked] == answers
        # "rather not say" now and then, and free text only where it may be
        assert any("rather_not_say" in a.values() for a in answers)


def _first_wave_figures(
    session: Session,
) -> dict[tuple[str, str, str], tuple[float, float, float, int]]:
    """The first wave's figures computed here from the stored responses with the
    project's statistics: derive -> post_stratify -> estimate_groups."""
    first = waves(session)[0]
    questionnaire = get_version(session, first.questionnaire_id)
    table = load_answers(session, first.id, questionnaire)
    values = derive(indicator_set(SURVEY_DEFS), questionnaire, table)
    frame = frame_cells(session, first.id)
    position = {(c.organisation, c.unit, c.function_group): i for i, c in enumerate(frame)}
    cell = np.array(
        [
            position[k]
            for k in zip(
                table.column("organisation"),
                table.column("unit"),
                table.column("function_group"),
                strict=True,
            )
        ]
    )
    design = post_stratify(
        np.array([c.organisation for c in frame]),
        np.array([c.unit for c in frame]),
        np.array([c.headcount for c in frame], dtype=float),
        cell,
    )
    figures = {}
    for by in ("organisation", "function_group"):
        codes = sorted({getattr(c, by) for c in frame})
        group = np.searchsorted(codes, np.array([getattr(frame[i], by) for i in cell]))
        for indicator in {key[0] for key in SEED}:
            est = estimate_groups(values[indicator], group, len(codes), design, "proportion")
            for g, code in enumerate(codes):
                figures[indicator, by, code] = (
                    float(est.estimate[g]),
                    float(est.ci_low[g]),
                    float(est.ci_high[g]),
                    int(est.n[g]),
                )
    return figures


def test_first_wave_reproduces_the_seed_figures(db):
    figures = _first_wave_figures(db)
    misses = {
        key: (value, figures[key])
        for key, value in SEED.items()
        if not figures[key][1] <= value <= figures[key][2]
    }
    assert not misses, misses
    # And the published figures, stored at close, are these.
    first = waves(db)[0].id
    for (indicator, by, code), (estimate, low, high, n) in figures.items():
        stored = db.get(Estimate, (first, indicator, by, code))
        if stored is not None and not stored.suppressed:
            # Published rounded (README, rule 2): to half the last decimal.
            kind = "mean" if indicator == "sick_leave_days" else "proportion"
            assert (stored.estimate, stored.ci_low, stored.ci_high, stored.n) == (
                published_value(estimate, kind, "estimate", n),
                published_value(low, kind, "ci_low", n),
                published_value(high, kind, "ci_high", n),
                n,
            )


def test_trends_drift_and_the_series_break_shows(db):
    built = [w.id for w in waves(db)[:4]]

    def series(indicator: str, org: str) -> list[Estimate]:
        return [db.get(Estimate, (w, indicator, "organisation", org)) for w in built]

    online = [e.estimate for e in series("online", "pol")]
    assert online == sorted(online) and online[-1] - online[0] > 0.03
    assert [e.series_break for e in series("satisfied_handling", "pol")] == [
        False,
        False,
        False,
        True,
    ]
    # small groups exist: some figures among the threatened in OM units are suppressed
    suppressed = db.scalars(
        select(Estimate).where(Estimate.wave_id == built[0], Estimate.suppressed)
    ).all()
    assert suppressed


def test_a_generator_bug_fails_loudly(tmp_path, monkeypatch):
    real = demo_service.generate_wave

    def broken(*args, **kwargs):
        rows = real(*args, **kwargs)
        rows[0] = {
            **rows[0],
            "escalation": "yes",
            "threat": "no",
            "intimidation": "no",
            "stalking": "no",
        }
        return rows

    monkeypatch.setattr(demo_service, "generate_wave", broken)
    with pytest.raises(DemoGeneratorBroken) as raised:
        build_demo(f"sqlite:///{tmp_path / 'x.db'}", SURVEY_DEFS, TODAY, scale=0.02)
    assert "generator" in raised.value.detail and raised.value.errors


# --- the command ----------------------------------------------------------------------------------


@pytest.fixture
def monitor(db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(SURVEY_DEFS))
    # The audit at close costs minutes of CPU on a demo of a hundredth (nearly every
    # group small); these tests are about the command, tests/closing attack the close.
    monkeypatch.setenv("MONITOR_PROTECTION", "0")
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield run
    get_settings.cache_clear()


def codes_offered(stderr: str, address: str) -> list[str]:
    """The codes a `monitor demo` run offered to try on `address`, as many as it makes."""
    assert f"try one of these codes on {address} (wave " in stderr
    printed = stderr.split(f"try one of these codes on {address} (wave ")[1]
    codes = re.findall(r"^  (\S+)$", printed, flags=re.MULTILINE)
    assert len(codes) == demo_service.DEMO_CODES
    return codes


@contextmanager
def demo_session(url: str) -> Iterator[Session]:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_demo_command_builds_and_refuses_a_second_run(monitor, db_url):
    first = monitor("demo", "--scale", "0.01")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == ""  # messages go to stderr
    assert "responses … closed" in first.stderr and "responses … open" in first.stderr
    codes = codes_offered(first.stderr, "http://127.0.0.1:8000/")
    with demo_session(db_url) as session:
        built = waves(session)
        assert [w.status for w in built] == ["closed"] * 4 + ["open"]
        assert session.query(Estimate).count() > 0
        for code in codes:  # unspent codes of the open wave
            check_code(session, built[-1].id, code, TODAY)  # 403 if not usable

    again = monitor("demo", "--scale", "0.01")
    assert again.exit_code == 1
    assert "already has 5 wave(s)" in again.stderr
    remedy = "--replace" if db_url.startswith("sqlite") else "drop and recreate"
    assert remedy in again.stderr
    assert "Traceback" not in again.stderr

    replaced = monitor("demo", "--scale", "0.01", "--replace", "--seed", "7")
    if db_url.startswith("sqlite"):
        assert replaced.exit_code == 0, replaced.stderr
        assert "deleting" in replaced.stderr
    else:
        assert replaced.exit_code == 1
        assert "drop and recreate" in replaced.stderr


def test_if_empty_leaves_the_demo_alone_and_prints_working_codes_again(tmp_path, monkeypatch):
    """`make run PORT=8765` twice: the second run builds nothing but prints new codes for
    the demo's open wave, with the address the server will have."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("MONITOR_DATABASE_URL", url)
    monkeypatch.setenv("MONITOR_PROTECTION", "0")  # as in `monitor` above
    get_settings.cache_clear()
    runner = CliRunner()
    address = "http://127.0.0.1:8765/"
    try:
        first = runner.invoke(app, ["demo", "--scale", "0.01", "--if-empty", "--url", address])
        assert first.exit_code == 0, first.stderr
        codes_offered(first.stderr, address)
        again = runner.invoke(app, ["demo", "--scale", "0.01", "--if-empty", "--url", address])
    finally:
        get_settings.cache_clear()
    assert again.exit_code == 0, again.stderr
    assert "the demo is already built ('make clean' starts over)" in again.stderr
    codes = codes_offered(again.stderr, address)
    with demo_session(url) as session:
        built = waves(session)
        assert len(built) == 5  # nothing rebuilt
        for code in codes:
            check_code(session, built[-1].id, code, TODAY)  # 403 if not usable


def test_make_run_offers_the_codes_on_the_address_it_serves():
    recipe = subprocess.run(
        # --no-print-directory: under `make test` this make is nested, and would say so.
        ["make", "--no-print-directory", "-n", "run", "PORT=8765", "HOST=127.0.0.2"],
        cwd=SURVEY_DEFS.parent,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert recipe[-2:] == [
        ".venv/bin/monitor demo --if-empty --url http://127.0.0.2:8765/",
        ".venv/bin/monitor serve --host 127.0.0.2 --port 8765",
    ]


def test_if_empty_on_a_database_the_demo_did_not_build_issues_no_codes(db_url, monitor):
    from tests.support import open_mini_wave

    engine = create_db_engine(db_url)
    try:
        open_mini_wave(sessionmaker(engine, expire_on_commit=False), "2026", codes=1)
    finally:
        engine.dispose()
    result = monitor("demo", "--if-empty")
    assert result.exit_code == 0, result.stderr
    assert "the database already has waves the demo did not build" in result.stderr
    assert "try one of these codes" not in result.stderr


def test_if_empty_after_the_demo_wave_closed_says_how_to_start_over(demo, db, monkeypatch):
    engine, _ = demo
    last = waves(db)[-1]
    wave_id, closes = last.id, last.closes_at
    codes_before = db.query(InvitationCode).count()
    db.rollback()  # ends the read, which would hold SQLite's lock against the command
    monkeypatch.setenv("MONITOR_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr("app.dependencies.utc_date", lambda: closes + timedelta(days=1))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--if-empty"], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.stderr
    assert f"its wave {wave_id} took responses until {closes}, so no code works" in (result.stderr)
    assert "'make clean' and 'make run' build a new demo" in result.stderr
    assert "try one of these codes" not in result.stderr
    assert db.query(InvitationCode).count() == codes_before


def test_the_api_publishes_the_seed_figures_for_the_first_wave(demo):
    """What a dashboard viewer or analyst reads: the first wave's published figures, through
    the public trend API, contain the 2014 letter's figures in their 95% intervals."""
    from fastapi.testclient import TestClient

    from app.config import Settings
    from app.main import create_app

    engine, _ = demo
    url = engine.url.render_as_string(hide_password=False)
    with TestClient(create_app(Settings(database_url=url, survey_defs=SURVEY_DEFS))) as client:
        for (indicator, by, group), seed in SEED.items():
            reply = client.get(f"/api/v1/public/trends/{indicator}?by={by}")
            assert reply.status_code == 200, reply.text
            points = [p for p in reply.json()["points"] if p["group"] == group]
            first = points[0]  # waves in date order
            assert not first["suppressed"], (indicator, by, group)
            assert first["ci_low"] <= seed <= first["ci_high"], (indicator, group, first)


def test_the_demo_answers_hrs_three_questions(db):
    """The demo's closed waves hold the figures HR asks for, published by organisation:
    satisfaction of all victims (and its distribution, adding up to 100%), days lost per
    100 staff and the length of absence, and figures by tenure, age and gender."""
    built = [w.id for w in waves(db)[:4]]
    satisfaction = [
        "satisfaction_very_dissatisfied", "satisfaction_dissatisfied", "satisfaction_neutral",
        "satisfaction_satisfied", "satisfaction_very_satisfied",
    ]  # fmt: skip
    absence = [f"absence_days_{c}" for c in ("0", "1_2", "3_5", "6_20", "over_20")]
    for wave in built:
        for org in ("pol", "om"):
            for indicator in ("satisfied_victims", "dissatisfied_victims", "days_lost_per_100"):
                figure = db.get(Estimate, (wave, indicator, "organisation", org))
                assert not figure.suppressed, (wave, indicator, org)
            shares = [db.get(Estimate, (wave, i, "organisation", org)) for i in satisfaction]
            assert abs(sum(f.estimate for f in shares) - 1) <= 0.03
        lengths = [db.get(Estimate, (wave, i, "none", "")) for i in absence]
        assert abs(sum(f.estimate for f in lengths) - 1) <= 0.03
        days = db.get(Estimate, (wave, "days_lost_per_100", "none", ""))
        assert 0 < days.ci_low < days.estimate < days.ci_high
        for by in ("tenure", "age", "gender"):
            figures = db.scalars(
                select(Estimate).where(
                    Estimate.wave_id == wave,
                    Estimate.indicator == "any_aggression",
                    Estimate.breakdown == by,
                )
            ).all()
            assert sum(not f.suppressed for f in figures) >= 2, (wave, by)
