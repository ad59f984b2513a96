"""`monitor demo`: a ready demo database, built through the same services as real use.

What it builds (in the configured database, migrated first):

- the questionnaire versions of the definitions folder, published;
- five yearly waves, one a year, each open six weeks; the last one opened two weeks
  ago and is still open. Waves 1-3 use mm-2026.1; waves 4 and 5 use mm-2027.1, whose
  changed `satisfaction` question breaks the series of satisfied_handling (the demo
  moves its level with the break, so the dashboard shows why trends stop there);
- per wave a frame like the real organisations (`app.demo.population`), loaded with
  `load_frame` as from a CSV, and 25-45% synthetic respondents per cell
  (`app.demo.generator`), validated with `validate_many` exactly like real answers:
  any invalid answer stops the build with the problems listed (a generator bug);
- every wave but the last closed with `close_wave` (sealing, estimates, final counts)
  and `scrub_dead_rows`, and published on its closing date, so that the dashboard shows
  it; the open wave holds its synthetic responses too (25-45% per
  cell, so its response-rate page has data), and gets a few unspent codes to try the
  survey with. The synthetic responses spend no codes.

A database that already has waves is refused. With `replace=True` the demo deletes the
SQLite database file as a whole (waves, responses, keys, audit log) and starts from an
empty one; it never picks rows out of a database, and on PostgreSQL it asks the
operator to drop and recreate the database instead. `codes_for_existing_demo` gives a
demo database built earlier new codes for its open wave (`make run` the second time).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.closing.seal import scrub_dead_rows
from app.closing.service import close_wave
from app.db import create_db_engine, session_scope
from app.demo.generator import N_WAVES, GeneratorError, generate_wave
from app.demo.population import (
    Cell,
    base_frame,
    frame_csv,
    respondents_per_cell,
    totals,
    wave_frame,
)
from app.indicators.definitions import IndicatorSet, indicator_set
from app.method.disclosure import DEFAULT_PROTECTION
from app.migrate import upgrade
from app.problems import Conflict, InvalidInput
from app.questionnaires.loader import load_directory
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version, publish
from app.responses.answers import load_answers, respondent_frame_cells
from app.responses.service import store_responses
from app.responses.validation import validate_many
from app.waves import answer_keys
from app.waves.models import Wave
from app.waves.service import (
    accepts_responses,
    all_waves,
    create_wave,
    frame_cells,
    get_wave,
    issue_codes,
    load_frame,
    open_wave,
    publish_wave,
)

DEFAULT_SEED = 2014
OPEN_DAYS = 42  # each wave is open six weeks
OPENED_DAYS_AGO = 14  # the last wave opened two weeks before today
DEMO_CODES = 10
# Questionnaire version per wave, oldest first (the series break in wave 4).
VERSIONS = ("mm-2026.1", "mm-2026.1", "mm-2026.1", "mm-2027.1", "mm-2027.1")


class DemoRefused(Conflict):
    """The database is not empty, or cannot be replaced."""


class DemoGeneratorBroken(InvalidInput):
    """Synthetic answers failed validation: a bug in app.demo.generator."""


@dataclass(frozen=True)
class PlannedWave:
    id: str
    questionnaire_id: str
    opens: date
    closes: date


@dataclass
class BuiltWave:
    plan: PlannedWave
    frame: dict[str, int]
    respondents: int
    closed: bool


@dataclass
class DemoResult:
    waves: list[BuiltWave] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def plan_waves(today: date) -> list[PlannedWave]:
    """Five yearly waves ending with one that opened two weeks ago and closes in four."""
    last_opens = today - timedelta(days=OPENED_DAYS_AGO)
    plans = []
    for k, version in enumerate(VERSIONS):
        opens = _years_back(last_opens, N_WAVES - 1 - k)
        plans.append(
            PlannedWave(str(opens.year), version, opens, opens + timedelta(days=OPEN_DAYS - 1))
        )
    return plans


def _prepare_database(url: str, replace: bool, say: Callable[[str], None]) -> None:
    """Migrate; refuse a database with waves unless `replace` (SQLite: delete the file)."""
    upgrade(url)
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            waves = connection.execute(select(func.count()).select_from(Wave)).scalar_one()
    finally:
        engine.dispose()
    if not waves:
        return
    parsed = make_url(url)
    database = parsed.database or ""
    is_file = parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if not replace:
        remedy = (
            f"run 'monitor demo --replace' to delete the SQLite file {database} and start over"
            if is_file
            else "drop and recreate this database (everything in it goes)"
        )
        raise DemoRefused(
            f"the database already has {waves} wave(s); the demo only builds into a database "
            f"without waves: {remedy}, or point MONITOR_DATABASE_URL at a new database"
        )
    if not is_file:
        raise DemoRefused(
            "--replace only deletes a SQLite database file; drop and recreate this "
            "database yourself (everything in it goes), then run 'monitor demo' again"
        )
    path = Path(database)
    say(f"--replace: deleting {path} (all its waves, responses, codes, keys and audit log)")
    try:
        for leftover in (path, path.with_name(path.name + "-journal")):
            leftover.unlink(missing_ok=True)
    except OSError as exc:
        raise DemoRefused(f"--replace cannot delete {path}: {exc}") from None
    upgrade(url)


def build_demo(
    database_url: str,
    survey_defs: Path,
    today: date,
    *,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
    scale: float = 1.0,
    min_cell: int = 10,
    protection: float = DEFAULT_PROTECTION,
    codes: int = DEMO_CODES,
    say: Callable[[str], None] = lambda message: None,
    secret: bytes | None = None,
) -> DemoResult:
    """Build the demo database (see the module docstring). `scale` < 1 shrinks every
    frame cell, for quick tests only; `monitor demo` uses the real sizes. With the
    server's `secret` the open wave gets its answer key, as `monitor wave open` gives one."""
    if not 0 < scale <= 1:
        raise InvalidInput("scale must be above 0 and at most 1")
    started = time.perf_counter()
    loaded = load_directory(survey_defs)
    if loaded.problems:
        raise InvalidInput(
            f"the definitions in {survey_defs} have {len(loaded.problems)} problem(s)",
        )
    missing = sorted(set(VERSIONS) - {q.id for q in loaded.questionnaires})
    if missing:
        raise InvalidInput(
            f"the demo needs questionnaire version(s) {', '.join(missing)} in {survey_defs}"
        )
    indicators = indicator_set(survey_defs)  # closing computes the estimates with these
    _prepare_database(database_url, replace, say)

    engine = create_db_engine(database_url)
    factory = sessionmaker(engine, expire_on_commit=False)
    result = DemoResult()
    try:
        with session_scope(factory) as session:
            for questionnaire in loaded.questionnaires:
                outcome = publish(session, questionnaire)
                say(f"questionnaire {outcome.id}: {outcome.status}")
        rng = np.random.default_rng(seed)
        base = base_frame()
        plans = plan_waves(today)
        for k, plan in enumerate(plans):
            last = k == len(plans) - 1
            cells = wave_frame(base, k, rng, scale)
            say(f"wave {plan.id} ({k + 1} of {len(plans)}): filling …")
            built = _build_wave(
                engine,
                factory,
                plan,
                k,
                cells,
                rng,
                close=None if last else (min_cell, protection, indicators),
            )
            result.waves.append(built)
            sizes = ", ".join(f"{org} {n:,}" for org, n in built.frame.items())
            say(
                f"wave {plan.id} ({plan.questionnaire_id}, {plan.opens} to {plan.closes}; "
                f"staff {sizes}): {built.respondents:,} responses … "
                + ("closed and published" if built.closed else "open")
            )
        with session_scope(factory) as session:
            result.codes = issue_codes(session, plans[-1].id, codes) if codes else []
            if secret is not None:
                answer_keys.make(session, plans[-1].id, secret)
    finally:
        engine.dispose()
    result.seconds = time.perf_counter() - started
    return result


def codes_for_existing_demo(
    database_url: str, today: date, count: int = DEMO_CODES
) -> tuple[Wave, list[str]] | None:
    """New codes for the last wave of a database the demo built, if that wave still
    takes responses (else no codes), with the wave; None for a database the demo did
    not build (codes are only ever issued into the demo's own wave)."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(sessionmaker(engine, expire_on_commit=False)) as session:
            waves = all_waves(session)
            built_by_demo = tuple(w.questionnaire_id for w in waves) == VERSIONS and all(
                w.id == str(w.opens_at.year) and not w.pilot for w in waves
            )
            if not built_by_demo:
                return None
            last = waves[-1]
            fresh = issue_codes(session, last.id, count) if accepts_responses(last, today) else []
    finally:
        engine.dispose()
    return last, fresh


def _build_wave(
    engine: Engine,
    factory: sessionmaker,
    plan: PlannedWave,
    k: int,
    cells: list[Cell],
    rng: np.random.Generator,
    close: tuple[int, float, IndicatorSet] | None,
) -> BuiltWave:
    """Create, load, open and fill one wave; close and publish it (with `close`'s
    min_cell, protection and indicators) unless `close` is None."""
    counts = respondents_per_cell(cells, rng)
    filled = fill_wave(
        factory, plan.id, plan.questionnaire_id, plan.opens, plan.closes, cells, counts, k, rng
    )
    if close is not None:
        min_cell, protection, indicators = close
        with session_scope(factory) as session:
            close_wave(session, plan.id, min_cell, indicators, protection)
            publish_wave(session, plan.id, plan.closes)
        scrub_dead_rows(engine)
    return BuiltWave(plan, totals(cells), filled.responses, close is not None)


@dataclass(frozen=True)
class FilledWave:
    responses: int  # stored
    validated: int  # of them, checked with validate_many


def fill_wave(
    factory: sessionmaker,
    wave_id: str,
    questionnaire_id: str,
    opens: date,
    closes: date,
    cells: list[Cell],
    counts: np.ndarray,
    generator_wave: int,
    rng: np.random.Generator,
    *,
    chunk: int | None = None,
    batch: int | None = None,
    validate_all_up_to: int | None = None,
    sample_share: float = 0.05,
) -> FilledWave:
    """Create, load and open a wave on a published questionnaire version, and store
    synthetic respondents of `app.demo.generator` (`counts[i]` in `cells[i]`; wave
    `generator_wave` of its trends), all in one transaction.

    The responses are generated `chunk` at a time (default: all at once) and stored
    `batch` per insert (default: all at once). Every response is validated with
    `validate_many`, like real answers, and what it keeps is stored; only a wave of more
    than `validate_all_up_to` responses (the benchmarks' sizes) has a random
    `sample_share` of every chunk validated instead, which must come back unchanged, and
    is stored as generated. An invalid response stops it all (a generator bug)."""
    with session_scope(factory) as session:
        create_wave(session, wave_id, questionnaire_id, opens, closes)
        load_frame(session, wave_id, frame_csv(cells))
        # Opened on its opening day: past waves could not be opened "today".
        open_wave(session, wave_id, opens)
        return store_synthetic(
            session,
            wave_id,
            get_version(session, questionnaire_id),
            cells,
            counts,
            generator_wave,
            rng,
            chunk=chunk,
            batch=batch,
            validate_all_up_to=validate_all_up_to,
            sample_share=sample_share,
        )


def store_synthetic(
    session: Session,
    wave_id: str,
    questionnaire: Questionnaire,
    cells: Sequence[Cell],
    counts: np.ndarray,
    generator_wave: int,
    rng: np.random.Generator,
    *,
    chunk: int | None = None,
    batch: int | None = None,
    validate_all_up_to: int | None = None,
    sample_share: float = 0.05,
    report: Callable[[int, int], None] = lambda done, total: None,
) -> FilledWave:
    """Store synthetic respondents in an open wave, in the caller's transaction (see
    `fill_wave` for chunk, batch and validation); `report(done, total)` after each chunk."""
    keys = {(c.organisation, c.unit, c.function_group) for c in cells}
    total = int(counts.sum())
    validate_all = validate_all_up_to is None or total <= validate_all_up_to
    parts = 1 if chunk is None else max(1, math.ceil(total / chunk))
    validated = stored = 0
    for part in range(parts):
        in_part = counts // parts + (part < counts % parts)  # `counts` when in one part
        try:
            rows = generate_wave(questionnaire, cells, in_part, generator_wave, rng)
        except GeneratorError as exc:
            raise DemoGeneratorBroken(str(exc)) from None
        if validate_all:
            sample = list(range(len(rows)))
        else:
            sample = sorted(
                rng.choice(len(rows), math.ceil(sample_share * len(rows)), replace=False)
            )
        checked = validate_many(questionnaire, [rows[i] for i in sample], keys)
        broken = [errors for _, errors in checked if errors]
        if broken:
            raise DemoGeneratorBroken(
                f"the demo generator made {len(broken)} invalid response(s) in wave "
                f"{wave_id} (a bug in app/demo/generator.py); the first one's problems:",
                broken[0],
            )
        if validate_all:
            rows = [kept for kept, _ in checked]
        elif any(kept != rows[i] for i, (kept, _) in zip(sample, checked, strict=True)):
            raise DemoGeneratorBroken(
                f"validation changed a generated response in wave {wave_id} "
                "(a bug in app/demo/generator.py)"
            )
        validated += len(sample)
        step = batch or max(1, len(rows))
        for first in range(0, len(rows), step):
            store_responses(session, wave_id, questionnaire, rows[first : first + step])
        stored += len(rows)
        report(stored, total)
    return FilledWave(stored, validated)


# Simulated waves are generated like the demo's first wave (the seed's figures), a
# hundred thousand at a time, 5% of each validated above 100,000 (as the benchmarks do).
SIMULATE_CHUNK = 100_000
SIMULATE_BATCH = 20_000
SIMULATE_VALIDATE_ALL_UP_TO = 100_000


def simulate_responses(
    session: Session,
    wave_id: str,
    responses: int,
    seed: int | None = None,
    report: Callable[[int, int], None] = lambda done, total: None,
) -> FilledWave:
    """`monitor wave simulate`: fill an open pilot wave with synthetic, valid, routed
    responses of the demo generator, spread over its frame so that every cell gets the
    same share of the staff it has left (headcount less its respondents so far).
    Refused for any other wave, for a frame with too few staff left, and for a
    questionnaire version the generator does not know."""
    if responses < 1:
        raise InvalidInput("--responses must be at least 1")
    wave = get_wave(session, wave_id)
    if not wave.pilot or wave.status != "open":
        raise Conflict(
            f"wave {wave_id} is {'a pilot' if wave.pilot else 'no pilot'} and {wave.state}: "
            "only an open pilot wave ('monitor wave create --pilot', then open) takes "
            "simulated responses"
        )
    frame = frame_cells(session, wave_id)
    questionnaire = get_version(session, wave.questionnaire_id)
    cell = respondent_frame_cells(load_answers(session, wave_id, questionnaire), frame)
    room = np.array([c.headcount for c in frame]) - np.bincount(
        cell[cell >= 0], minlength=len(frame)
    )
    if responses > room.sum():
        raise Conflict(
            f"the frame of wave {wave_id} has {int(room.sum()):,} staff without a response; "
            f"{responses:,} simulated responses would be more respondents than staff"
        )
    counts = _spread(responses, room)
    cells = [Cell(c.organisation, c.unit, c.function_group, c.headcount) for c in frame]
    return store_synthetic(
        session,
        wave_id,
        questionnaire,
        cells,
        counts,
        0,
        np.random.default_rng(seed),
        chunk=SIMULATE_CHUNK,
        batch=SIMULATE_BATCH,
        validate_all_up_to=SIMULATE_VALIDATE_ALL_UP_TO,
        report=report,
    )


def _spread(total: int, room: np.ndarray) -> np.ndarray:
    """`total` over the cells in proportion to their room, none beyond it (largest
    remainders first)."""
    share = total * room / room.sum()
    counts = np.floor(share).astype(int)
    left = total - int(counts.sum())
    counts[np.argsort(counts - share, kind="stable")[:left]] += 1
    return counts
