"""Closing a wave, and reading the trends: wall times, where the time goes, and svy on the
same figures, each on a fresh database.

    python -m bench.close                                # SQLite, 65,000 and 1,000,000
    python -m bench.close --backend postgres             # PostgreSQL (MONITOR_BENCH_POSTGRES_URL)
    python -m bench.close --sizes 65000 --no-trend       # one close only
    python -m bench.close --sizes ''                     # the trend endpoint only

What it does, per size in --sizes (each in a new database, dropped afterwards):

1. publishes the real questionnaire (mm-2026.1), creates a pilot wave on the demo's frame
   with every headcount multiplied so that 35% of each cell (`scaled_frame`) comes to the
   size, opens it, and fills it with `monitor wave simulate close --responses SIZE --seed
   SEED`, a process of its own (the demo generator: valid, routed responses; 5% of every
   100,000 validated above 100,000);
2. copies the filled database (a file copy; on PostgreSQL `CREATE DATABASE ... TEMPLATE`);
3. runs `monitor wave close close` as an operator does, a process of its own: Python's
   start and imports, the close (shuffle rewrite, every indicator x every breakdown,
   suppression, store) in one transaction, the scrub of dead rows, the summary. Its wall
   time and its own peak RSS (`wait4`) are the headline;
4. closes the copy again inside this process, to time the phases from the outside, by
   wrapping the functions `close_wave` calls (no timing code in the app): load the coded
   answers (`load_answers`), the rest of placing and weighting the sample, derive
   indicators (`derive`), estimates (`estimate_groups`), suppression and assembling the
   figures, shuffle rewrite (`seal`), store (insert of the figures and counts, and
   freeing the answers as `store_wave_estimates` returns), commit, scrub.
   `--profile` adds a cProfile run on a third copy (slower; its top functions go to
   bench/results/close-<backend>-profile.txt);
5. reads the closed wave back (`wave_sample`) and computes the same figures twice: ours
   (`compute_figures`: derive + estimates + suppression, from the loaded answers) and svy
   0.35 (`Design(stratum, wgt, pop_size, singleton="skip")`, `prop(..., by=group,
   ci_method="korn-graubard")` / `mean`, as in tests/method/test_estimators_vs_svy.py), for
   every indicator x every breakdown, and compares every published figure (published
   figures are rounded, app.method.disclosure, so they differ from svy by up to half their
   last decimal). svy / close is svy's time over the whole `monitor wave close` process.

Then, in one more fresh database, 10 waves of the demo's size (25-45% of ~71,000 staff,
three on mm-2026.1 and seven on mm-2027.1) are closed the same way, `monitor serve` is
started as a real uvicorn process (1 worker) and a sequential httpx client sends, after 50
warm-up requests, 500 requests each to GET /api/v1/public/trends/threat_intimidation with
by=none and by=unit; latency is measured by the client, per request, connection kept alive.

Results: a Markdown table on stdout and bench/results/close-<backend>.json.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

import app.closing.figures as closing_figures
import app.closing.service as closing
from app.closing.figures import Figure, answer_breakdowns, compute_figures, wave_sample
from app.closing.seal import scrub_dead_rows
from app.closing.service import close_wave
from app.db import create_db_engine, session_scope
from app.demo.generator import N_WAVES
from app.demo.population import Cell, base_frame, frame_csv, respondents_per_cell, wave_frame
from app.demo.service import FilledWave, fill_wave
from app.indicators.definitions import IndicatorSet, indicator_set
from app.indicators.derive import derive
from app.method.disclosure import published_value
from app.method.groups import BREAKDOWNS, cell_groups
from app.migrate import upgrade
from app.questionnaires.loader import load_directory
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import publish
from app.responses.models import Response
from app.waves.service import create_wave, get_wave, load_frame, open_wave, publish_wave
from bench.common import ROOT, copy_of, database, monitor_server

RESULTS = ROOT / "bench" / "results"
QUESTIONNAIRE = "mm-2026.1"
MIN_CELL = 10
BATCH = 20_000  # responses per store_responses call
CHUNK = 100_000  # responses generated at a time
FULL_VALIDATION_UP_TO = 100_000
SAMPLE_VALIDATION = 0.05
TOLERANCE = 1e-6
TREND_INDICATOR = "threat_intimidation"
TREND_WAVES = 10


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- databases and waves -------------------------------------------------------------------


def questionnaires() -> dict[str, Questionnaire]:
    return {q.id: q for q in load_directory(ROOT / "survey_defs").questionnaires}


def scaled_frame(size: int, rng: np.random.Generator) -> tuple[list[Cell], np.ndarray]:
    """The demo's base frame, every headcount multiplied so that the demo's response rates
    (25-45% per cell) give `size` respondents; then exactly `size`, adjusted on the largest
    cells within their headcount."""
    base = base_frame()
    factor = size / (0.35 * sum(c.headcount for c in base))
    cells = [
        Cell(c.organisation, c.unit, c.function_group, max(5, round(c.headcount * factor)))
        for c in base
    ]
    counts = respondents_per_cell(cells, rng)
    headcount = np.array([c.headcount for c in cells])
    order = np.argsort(-headcount)
    while (gap := size - int(counts.sum())) != 0:
        step = np.sign(gap)
        for i in order[: abs(gap)]:
            counts[i] = min(max(counts[i] + step, 0), headcount[i])
    return cells, counts


def fill(
    factory: sessionmaker[Session],
    wave_id: str,
    questionnaire: Questionnaire,
    cells: list[Cell],
    counts: np.ndarray,
    generator_wave: int,
    opens: date,
    rng: np.random.Generator,
) -> FilledWave:
    """Create, load and open a wave and store synthetic responses (the demo's fill_wave,
    in chunks and batches, validated as the module docstring says)."""
    return fill_wave(
        factory,
        wave_id,
        questionnaire.id,
        opens,
        opens + timedelta(days=41),
        cells,
        counts,
        generator_wave,
        rng,
        chunk=CHUNK,
        batch=BATCH,
        validate_all_up_to=FULL_VALIDATION_UP_TO,
        sample_share=SAMPLE_VALIDATION,
    )


# --- timing the close from the outside -------------------------------------------------------


class Phases:
    """Wall time spent inside chosen functions, by wrapping them where they are looked up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    @contextmanager
    def wrapping(self, targets: dict[str, tuple[ModuleType, str]]) -> Iterator[None]:
        originals = []
        for label, (module, name) in targets.items():
            original = getattr(module, name)
            setattr(module, name, self._timed(label, original))
            originals.append((module, name, original))
        try:
            yield
        finally:
            for module, name, original in originals:
                setattr(module, name, original)

    def _timed(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - start
                self.calls[label] += 1

        return timed


CLOSE_TARGETS = {
    "seal": (closing, "seal"),
    "store_wave_estimates": (closing, "store_wave_estimates"),
    "wave_sample": (closing_figures, "wave_sample"),
    "load_answers": (closing_figures, "load_answers"),
    "compute_figures": (closing_figures, "compute_figures"),
    "derive": (closing_figures, "derive"),
    "estimate_groups": (closing_figures, "estimate_groups"),
    "store_counts": (closing_figures, "store_counts"),
}


def timed_close(
    engine: Engine, factory: sessionmaker[Session], wave_id: str, defs: IndicatorSet
) -> dict[str, Any]:
    """`monitor wave close`, timed as a whole and per phase."""
    phases = Phases()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with phases.wrapping(CLOSE_TARGETS):
        start = time.perf_counter()
        session = factory()
        try:
            close_wave(session, wave_id, MIN_CELL, defs)
            closed = time.perf_counter()
            session.commit()
        finally:
            session.close()
        committed = time.perf_counter()
        scrub_dead_rows(engine)
        end = time.perf_counter()
    s = phases.seconds
    breakdown = {
        "load and parse answers (SELECT, JSON)": s["load_answers"],
        "place and weight the sample (cells, strata)": s["wave_sample"] - s["load_answers"],
        "derive indicators": s["derive"],
        "estimates (estimate_groups)": s["estimate_groups"],
        "suppression and figures": s["compute_figures"] - s["derive"] - s["estimate_groups"],
        "shuffle rewrite (seal)": s["seal"],
        "store figures and counts, free the answers": s["store_wave_estimates"]
        - s["wave_sample"]
        - s["compute_figures"],
        "commit": committed - closed,
        "scrub dead rows (VACUUM)": end - committed,
    }
    breakdown["other"] = (end - start) - sum(breakdown.values())
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": end - start,
        "phases": breakdown,
        # The process's peak resident memory before and after the close (kB): a higher
        # "after" is the close's own peak.
        "max_rss_kb_before": rss_before,
        "max_rss_kb_after": rss_after,
        "estimate_groups_calls": phases.calls["estimate_groups"],
    }


def profiled_close(
    engine: Engine, factory: sessionmaker[Session], wave_id: str, defs: IndicatorSet, out: Path
) -> float:
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    with session_scope(factory) as session:
        close_wave(session, wave_id, MIN_CELL, defs)
    scrub_dead_rows(engine)
    profile.disable()
    seconds = time.perf_counter() - start
    report = io.StringIO()
    pstats.Stats(profile, stream=report).sort_stats("cumulative").print_stats(40)
    out.write_text(
        f"cProfile of closing {wave_id} ({seconds:.1f} s under the profiler)\n{report.getvalue()}"
    )
    return seconds


# --- the same figures with svy ----------------------------------------------------------------


def svy_comparison(
    factory: sessionmaker[Session], wave_id: str, defs: IndicatorSet
) -> dict[str, Any]:
    """Ours (compute_figures) and svy, every indicator x breakdown of the closed wave."""
    import polars as pl
    import svy

    with session_scope(factory) as session:
        sample = wave_sample(session, get_wave(session, wave_id))
    assert sample.design is not None
    phases = Phases()
    with phases.wrapping({"estimate_groups": (closing_figures, "estimate_groups")}):
        start = time.perf_counter()
        figures = compute_figures(sample, defs, MIN_CELL)
        ours = time.perf_counter() - start

    values = derive(defs, sample.questionnaire, sample.table)  # svy's input, not timed
    design = sample.design
    groups = {by: cell_groups(sample.frame, by) for by in BREAKDOWNS}
    # The breakdowns by an answer (tenure, age, gender): svy computes them too.
    answers = answer_breakdowns(sample)
    breakdowns = [*BREAKDOWNS, *(b.by for b in answers)]
    start = time.perf_counter()
    columns: dict[str, Any] = {
        "stratum": design.stratum,
        "wgt": design.weight,
        "pop": design.population[design.stratum],
    }
    columns |= {f"y_{key}": value for key, value in values.items()}
    columns |= {f"g_{by}": of_cell[sample.cell] for by, (_, of_cell) in groups.items()}
    columns |= {f"g_{b.by}": b.group for b in answers}
    groups |= {b.by: (b.codes, b.group) for b in answers}
    reference = svy.Sample(
        pl.DataFrame(columns),
        svy.Design(stratum="stratum", wgt="wgt", pop_size="pop", singleton="skip"),
    )
    setup = time.perf_counter() - start
    calls: dict[tuple[str, str], float] = {}
    results: dict[tuple[str, str], Any] = {}
    for indicator in defs.indicators:
        for by in breakdowns:
            group = None if by == "none" else f"g_{by}"
            start = time.perf_counter()
            if indicator.kind == "proportion":
                estimated = reference.estimation.prop(
                    f"y_{indicator.id}", by=group, ci_method="korn-graubard", drop_nulls=True
                )
            else:
                estimated = reference.estimation.mean(
                    f"y_{indicator.id}", by=group, drop_nulls=True
                )
            result = estimated.to_polars()  # type: ignore[union-attr]
            calls[indicator.id, by] = time.perf_counter() - start
            results[indicator.id, by] = result
    svy_seconds = setup + sum(calls.values())
    compared, worst = _agreement(figures, results, groups, defs)
    return {
        "figures": len(figures),
        "published_compared": compared,
        "max_abs_difference": worst,
        "agrees": worst <= TOLERANCE,
        "ours_seconds": ours,
        "ours_estimate_groups_seconds": phases.seconds["estimate_groups"],
        "svy_seconds": svy_seconds,
        "svy_setup_seconds": setup,
        "svy_calls": len(calls),
        "ratio_svy_over_ours": svy_seconds / ours,
        "ratio_svy_over_our_estimators": svy_seconds / phases.seconds["estimate_groups"],
    }


def _agreement(
    figures: list[Figure],
    results: dict[tuple[str, str], Any],
    groups: dict[str, Any],
    defs: IndicatorSet,
) -> tuple[int, float]:
    """Compare every published figure with svy's as it would be published (rounded, a
    mean's interval cut at 0 days); the largest absolute difference."""
    import polars as pl

    kinds = {i.id: i.kind for i in defs.indicators}
    compared, worst = 0, 0.0
    for figure in figures:
        if figure.suppressed or figure.estimate is None:
            continue
        result = results[figure.indicator, figure.breakdown]
        y = f"y_{figure.indicator}"
        if figure.breakdown != "none":
            codes = groups[figure.breakdown][0]
            result = result.filter(
                pl.col(f"g_{figure.breakdown}") == codes.index(figure.group_code)
            )
        flip = False
        if kinds[figure.indicator] == "proportion":
            ones = result.filter(pl.col(y) == 1.0)
            flip = ones.height == 0  # svy gives no row to a level that occurs nowhere
            result = result.filter(pl.col(y) == 0.0) if flip else ones
        row = result.row(0, named=True)
        ours = (figure.estimate, figure.se, figure.ci_low, figure.ci_high)
        theirs = (
            (1 - row["est"], row["se"], 1 - row["uci"], 1 - row["lci"])
            if flip
            else (row["est"], row["se"], row["lci"], row["uci"])
        )
        if row["n"] != figure.n:
            worst = max(worst, math.inf)
        kind = kinds[figure.indicator]
        if kind == "mean":  # every mean is of days: its interval never goes below 0
            theirs = (theirs[0], theirs[1], max(theirs[2], 0.0), theirs[3])
        for a, b, field in zip(ours, theirs, ("estimate", "se", "ci_low", "ci_high"), strict=True):
            if a is not None:
                expected = published_value(b, kind, field, figure.n)
                worst = max(worst, abs(a - (expected or 0.0)))
        compared += 1
    return compared, worst


# --- one close ---------------------------------------------------------------------------------


def monitor_command(url: str, *args: str) -> dict[str, Any]:
    """`monitor ARGS` as an operator runs it: a process of its own (Python's start and
    imports included) on the database `url`. Its wall time, peak resident memory and
    messages; a failure stops the benchmark."""
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": url,
        "MONITOR_SURVEY_DEFS": str(ROOT / "survey_defs"),
        "MONITOR_MIN_CELL": str(MIN_CELL),
    }
    with tempfile.TemporaryFile("w+") as messages:
        start = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=messages,
        )
        # wait4: this child's own resource usage (its peak RSS), not the largest child's.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        messages.seek(0)
        said = messages.read()
    if process.returncode != 0:
        raise SystemExit(f"monitor {' '.join(args)} failed:\n{said}")
    return {"seconds": seconds, "max_rss_kb": usage.ru_maxrss, "messages": said}


def pilot_wave(url: str, cells: list[Cell], questionnaire: Questionnaire) -> None:
    """Publish the version and create, load and open the pilot wave `close` (as
    `monitor survey publish`, `wave create --pilot`, `frame load`, `wave open` do)."""
    engine = create_db_engine(url)
    try:
        with session_scope(sessionmaker(engine)) as session:
            publish(session, questionnaire)
            today = date.today()
            create_wave(
                session, "close", questionnaire.id, today, today + timedelta(days=41), pilot=True
            )
            load_frame(session, "close", frame_csv(cells))
            open_wave(session, "close", today)
    finally:
        engine.dispose()


def close_benchmark(
    backend: str, workdir: Path, size: int, seed: int, profile: bool
) -> dict[str, Any]:
    defs = indicator_set(ROOT / "survey_defs")
    cells, _ = scaled_frame(size, np.random.default_rng(seed))
    with database(backend, workdir, f"c{size}") as url:
        upgrade(url)
        pilot_wave(url, cells, questionnaires()[QUESTIONNAIRE])
        say(f"{backend}: {size:,} responses: monitor wave simulate ...")
        simulate = ("wave", "simulate", "close", "--responses", str(size), "--seed", str(seed))
        prepared = monitor_command(url, *simulate)
        with ExitStack() as copies:
            # Copies of the filled wave, for the close timed phase by phase (and profiled).
            phased = copies.enter_context(copy_of(backend, url, workdir, f"p{size}"))
            profiled_url = (
                copies.enter_context(copy_of(backend, url, workdir, f"q{size}"))
                if profile
                else None
            )
            say(f"{backend}: {size:,} responses: monitor wave close, a process of its own ...")
            process = monitor_command(url, "wave", "close", "close")
            say(f"{backend}: {size:,} responses: the same close again, phase by phase ...")
            close = in_process(phased, lambda e, f: timed_close(e, f, "close", defs))
            profiled = None
            if profiled_url is not None:
                say(f"{backend}: {size:,} responses: profiled close ...")
                out = RESULTS / f"close-{backend}-profile.txt"
                seconds = in_process(
                    profiled_url, lambda e, f: profiled_close(e, f, "close", defs, out)
                )
                profiled = {"seconds": seconds, "file": str(out.relative_to(ROOT))}
        engine = create_db_engine(url)
        factory = sessionmaker(engine, expire_on_commit=False)
        try:
            with engine.connect() as connection:
                stored = connection.scalar(
                    select(func.count()).select_from(Response).where(Response.wave_id == "close")
                )
            assert stored == size, (stored, size)
            say(f"{backend}: {size:,} responses: svy on the same figures ...")
            comparison = svy_comparison(factory, "close", defs)
        finally:
            engine.dispose()
    return {
        "responses": size,
        "frame_headcount": int(sum(c.headcount for c in cells)),
        "frame_cells": len(cells),
        "simulate": prepared,
        "close_process": process,
        "ratio_svy_over_close_process": comparison["svy_seconds"] / process["seconds"],
        "close": close,
        "profiled": profiled,
        "svy": comparison,
    }


def in_process(url: str, run: Callable[[Engine, sessionmaker[Session]], Any]) -> Any:
    engine = create_db_engine(url)
    try:
        return run(engine, sessionmaker(engine, expire_on_commit=False))
    finally:
        engine.dispose()


# --- trend latency -----------------------------------------------------------------------------


def trend_benchmark(
    backend: str, workdir: Path, seed: int, requests: int, warmup: int
) -> dict[str, Any]:
    qs = questionnaires()
    defs = indicator_set(ROOT / "survey_defs")
    rng = np.random.default_rng(seed)
    base = base_frame()
    waves = []
    with database(backend, workdir, "trend") as url:
        upgrade(url)
        engine = create_db_engine(url)
        factory = sessionmaker(engine, expire_on_commit=False)
        try:
            with session_scope(factory) as session:
                for questionnaire in qs.values():
                    publish(session, questionnaire)
            for k in range(TREND_WAVES):
                version = "mm-2026.1" if k < 3 else "mm-2027.1"
                cells = wave_frame(base, k, rng)
                counts = respondents_per_cell(cells, rng)
                wave_id = str(2016 + k)
                say(f"{backend}: trend wave {wave_id} ({version}, {int(counts.sum()):,} answered)")
                fill(
                    factory,
                    wave_id,
                    qs[version],
                    cells,
                    counts,
                    min(k, N_WAVES - 1),
                    date(2016 + k, 3, 1),
                    rng,
                )
                with session_scope(factory) as session:
                    close_wave(session, wave_id, MIN_CELL, defs)
                    # Public trends show published waves only (migration 0007).
                    publish_wave(session, wave_id, date(2016 + k, 4, 11))
                scrub_dead_rows(engine)
                waves.append(
                    {"id": wave_id, "questionnaire": version, "responses": int(counts.sum())}
                )
        finally:
            engine.dispose()
        endpoints = {}
        with (
            monitor_server(url, 1, workdir / "server.log") as base_url,
            httpx.Client(base_url=base_url, timeout=30) as client,
        ):
            for by in ("none", "unit"):
                path = f"/api/v1/public/trends/{TREND_INDICATOR}?by={by}"
                for _ in range(warmup):
                    client.get(path).raise_for_status()
                seconds = []
                for _ in range(requests):
                    start = time.perf_counter()
                    response = client.get(path)
                    seconds.append(time.perf_counter() - start)
                    response.raise_for_status()
                ms = np.array(seconds) * 1000
                endpoints[by] = {
                    "path": path,
                    "requests": requests,
                    "points": len(response.json()["points"]),
                    "bytes": len(response.content),
                    "p50_ms": float(np.percentile(ms, 50)),
                    "p95_ms": float(np.percentile(ms, 95)),
                    "p99_ms": float(np.percentile(ms, 99)),
                    "mean_ms": float(ms.mean()),
                    "max_ms": float(ms.max()),
                }
    return {"waves": waves, "warmup": warmup, "endpoints": endpoints}


# --- report ------------------------------------------------------------------------------------


def report(result: dict[str, Any]) -> str:
    lines = [f"`{result['command']}`: {result['backend']}, {result['machine']}"]
    if result["closes"]:
        lines += _close_tables(result["closes"])
    trend = result.get("trend")
    if trend:
        lines += [
            "",
            f"Trend endpoint, {len(trend['waves'])} closed waves "
            f"({sum(w['responses'] for w in trend['waves']):,} responses), uvicorn 1 worker, "
            f"sequential httpx client, {trend['warmup']} warm-up + "
            f"{next(iter(trend['endpoints'].values()))['requests']} requests each:",
            "",
            "| request | points | p50 ms | p95 ms | p99 ms | mean ms | max ms |",
            "|---|---|---|---|---|---|---|",
        ]
        for e in trend["endpoints"].values():
            lines.append(
                f"| GET {e['path']} | {e['points']} | {e['p50_ms']:.1f} | **{e['p95_ms']:.1f}** "
                f"| {e['p99_ms']:.1f} | {e['mean_ms']:.1f} | {e['max_ms']:.1f} |"
            )
    return "\n".join(lines)


def _close_tables(closes: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        "| responses | `monitor wave simulate` | `monitor wave close` (process) | its peak RSS "
        "| svy 0.35, same figures | svy / close |",
        "|---|---|---|---|---|---|",
    ]
    for run in closes:
        lines.append(
            f"| {run['responses']:,} | {run['simulate']['seconds']:.1f} s "
            f"| **{run['close_process']['seconds']:.1f} s** "
            f"| {run['close_process']['max_rss_kb'] / 1e6:.2f} GB "
            f"| {run['svy']['svy_seconds']:.1f} s "
            f"| **{run['ratio_svy_over_close_process']:.1f}x** |"
        )
    lines += [
        "",
        "The same close again in the benchmark's process, phase by phase (seconds):",
        "",
        "| responses | close (wall) | load+parse | place+weight | derive | estimates "
        "| suppression+figures | shuffle rewrite | store, free | commit | scrub | other |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in closes:
        p = run["close"]["phases"]
        lines.append(
            f"| {run['responses']:,} | **{run['close']['seconds']:.1f} s** | "
            + " | ".join(f"{v:.1f}" for v in p.values())
            + " |"
        )
    lines += [
        "",
        "Peak memory (max RSS of the benchmark process, before -> after the close): "
        + ", ".join(
            f"{run['responses']:,}: {run['close']['max_rss_kb_before'] / 1e6:.1f} -> "
            f"{run['close']['max_rss_kb_after'] / 1e6:.1f} GB"
            for run in closes
        ),
    ]
    lines += [
        "",
        "| responses | figures (published, vs svy) | ours: compute_figures "
        "| ours: estimate_groups only | svy 0.35 | svy / ours | svy / our estimators "
        "| max abs difference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in closes:
        s = run["svy"]
        lines.append(
            f"| {run['responses']:,} | {s['figures']:,} ({s['published_compared']:,}) "
            f"| {s['ours_seconds']:.2f} s "
            f"| {s['ours_estimate_groups_seconds']:.2f} s | {s['svy_seconds']:.1f} s "
            f"| **{s['ratio_svy_over_ours']:.0f}x** | {s['ratio_svy_over_our_estimators']:.0f}x "
            f"| {s['max_abs_difference']:.1e} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--sizes", default="65000,1000000", help="responses per closed wave, comma-separated"
    )
    parser.add_argument("--seed", type=int, default=2014)
    parser.add_argument(
        "--requests", type=int, default=500, help="timed trend requests per endpoint"
    )
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--no-trend", action="store_true", help="skip the trend endpoint")
    parser.add_argument(
        "--profile", action="store_true", help="also a cProfile run of the largest close"
    )
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "backend": args.backend,
        "command": "python -m bench.close " + " ".join(sys.argv[1:]),
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"load average at start {os.getloadavg()[0]:.1f}",
        "closes": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            profile = args.profile and size == max(sizes)
            result["closes"].append(
                close_benchmark(args.backend, Path(tmp), size, args.seed, profile)
            )
        if not args.no_trend:
            result["trend"] = trend_benchmark(
                args.backend, Path(tmp), args.seed, args.requests, args.warmup
            )
    result["load_average_at_end"] = os.getloadavg()[0]
    # A run of the trend endpoint alone keeps the results of the last closes.
    name = "close" if sizes else "trend"
    (RESULTS / f"{name}-{args.backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))


if __name__ == "__main__":
    main()
