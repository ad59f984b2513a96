"""Load: 200 concurrent respondents submitting against `monitor serve`, beside the same
server's trivial endpoint and a bare ASGI app, measured with wrk in one run.

    python -m bench.load                      # SQLite (default database), 1 worker
    python -m bench.load --backend postgres   # PostgreSQL, 2 workers (MONITOR_BENCH_POSTGRES_URL)

Each submission is a fresh code with the answers of a synthetic respondent of the demo
generator (valid, routed, 25-45% of staff per cell). After the run the database is
checked: every acknowledged submission is stored and no other (zero lost, zero extra).
Results go to stdout as a Markdown table and to bench/results/load-<backend>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import sessionmaker

from app.db import create_db_engine, session_scope
from app.demo.generator import generate_wave
from app.demo.population import base_frame, frame_csv
from app.migrate import upgrade
from app.questionnaires.loader import load_directory
from app.questionnaires.service import publish
from app.responses.models import Response
from app.waves.service import create_wave, issue_codes, load_frame, open_wave
from bench.common import ROOT, database, free_port, monitor_server, serving

RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "submit.lua"
WAVE = "load"
QUESTIONNAIRE = "mm-2026.1"


def prepare(
    url: str, submissions: int, rounds: int, threads: int, workdir: Path, seed: int
) -> list[Path]:
    """An open wave on the real questionnaire and demo frame, and for every round a file per
    wrk thread of request bodies (fresh code + a synthetic respondent's answers); the
    returned prefixes are the rounds'."""
    upgrade(url)
    engine = create_db_engine(url)
    factory = sessionmaker(engine, expire_on_commit=False)
    questionnaire = next(
        q for q in load_directory(ROOT / "survey_defs").questionnaires if q.id == QUESTIONNAIRE
    )
    cells = base_frame()
    headcount = np.array([c.headcount for c in cells], dtype=float)
    counts = np.random.default_rng(seed).multinomial(submissions, headcount / headcount.sum())
    answers = generate_wave(questionnaire, cells, counts, 0, np.random.default_rng(seed))
    today = date.today()
    with session_scope(factory) as session:
        publish(session, questionnaire)
        create_wave(
            session, WAVE, QUESTIONNAIRE, today - timedelta(days=1), today + timedelta(days=30)
        )
        load_frame(session, WAVE, frame_csv(cells))
        open_wave(session, WAVE, today)
        codes = issue_codes(session, WAVE, len(answers))
    if engine.dialect.name == "postgresql":
        # As in the field, where codes are issued days before: statistics gathered and the
        # preparation's writes checkpointed, so that neither lands inside a measured run.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
            connection.execute(text("CHECKPOINT"))
    engine.dispose()
    bodies = [
        json.dumps({"code": code, "answers": answer}, separators=(",", ":"))
        for code, answer in zip(codes, answers, strict=True)
    ]
    prefixes = [workdir / f"round{number}-bodies-" for number in range(1, rounds + 1)]
    files = [(prefix, thread) for prefix in prefixes for thread in range(1, threads + 1)]
    for i, (prefix, thread) in enumerate(files):
        Path(f"{prefix}{thread}.jsonl").write_text(
            "".join(body + "\n" for body in bodies[i :: len(files)]), encoding="utf-8"
        )
    return prefixes


def wrk(
    url: str, connections: int, threads: int, seconds: int, *script_args: str
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
        "--",
        *script_args,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^RESULT (.*)$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk gave no result:\n{output}")
    result: dict[str, Any] = json.loads(match.group(1))
    seconds_run = result["duration_us"] / 1e6
    result["per_second"] = result["requests"] / seconds_run
    ok = sum(n for status, n in result["statuses"].items() if status.startswith("2"))
    result["ok"] = ok
    result["errors"] = result["requests"] - ok + result["socket_errors"]
    return result


def run(
    backend: str,
    workers: int,
    connections: int,
    seconds: int,
    rounds: int,
    threads: int,
    seed: int,
) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    load_average = os.getloadavg()[0]
    # Enough prepared submissions that no code runs out: generously above what 2 cores reach.
    submissions = 2500 * seconds * rounds
    with tempfile.TemporaryDirectory() as tmp, database(backend, Path(tmp), "load") as url:
        workdir = Path(tmp)
        print(f"preparing {submissions:,} submissions on {backend} ...", file=sys.stderr)
        prefixes = prepare(url, submissions, rounds, threads, workdir, seed)
        measured = []
        with monitor_server(url, workers, workdir / "server.log") as base:
            wrk(base, connections, threads, 3, "GET", "/api/v1/health")  # warm-up
            # Alternating rounds: a machine that is slower for a while slows both endpoints.
            for round_number, prefix in enumerate(prefixes, start=1):
                print(f"round {round_number}: trivial endpoint, submissions ...", file=sys.stderr)
                trivial = wrk(base, connections, threads, seconds, "GET", "/api/v1/health")
                submit = wrk(
                    base,
                    connections,
                    threads,
                    seconds,
                    "POST",
                    f"/api/v1/waves/{WAVE}/responses",
                    str(prefix),
                )
                measured.append({"trivial": trivial, "submit": submit})
        bare_port = free_port()
        bare_cmd = [
            sys.executable,
            "-m",
            "bench.bare_app",
            "--port",
            str(bare_port),
            "--workers",
            str(workers),
        ]
        with serving(bare_cmd, {**os.environ}, bare_port, workdir / "bare.log") as bare_base:
            print("bare app ...", file=sys.stderr)
            bare = wrk(
                bare_base,
                connections,
                threads,
                seconds,
                "GET",
                "/api/v1/health",
            )
        engine = create_db_engine(url)
        with engine.connect() as connection:
            stored = connection.scalar(select(func.count()).select_from(Response))
        engine.dispose()
    acknowledged = sum(r["submit"]["statuses"].get("201", 0) for r in measured)
    return {
        "backend": backend,
        "workers": workers,
        "connections": connections,
        "seconds": seconds,
        "machine": f"{os.cpu_count()} cores",
        "load_average_at_start": load_average,
        "rounds": measured,
        "bare": bare,
        "acknowledged": acknowledged,
        "stored": stored,
        # Requests still in flight when wrk stops are stored without their reply being read:
        # stored may exceed acknowledged by at most one per connection and round, never
        # fall short.
        "lost": max(acknowledged - stored, 0),
        "unacknowledged_stored": max(stored - acknowledged, 0),
    }


def report(result: dict[str, Any]) -> str:
    def ms(r: dict[str, Any], key: str) -> str:
        return f"{r[key] / 1000:.0f}"

    lines = [
        f"{result['backend']}, {result['workers']} worker(s), {result['connections']} "
        f"connections, {result['seconds']} s per run, {result['machine']}, load average at "
        f"start {result['load_average_at_start']:.1f}",
        "",
        "| round | submissions/s | p50 / p95 / p99 ms | errors | trivial req/s | trivial p99 ms "
        "| rate vs trivial (>= 0.5) | p99 vs trivial (<= 2) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for number, r in enumerate(result["rounds"], start=1):
        submit, trivial = r["submit"], r["trivial"]
        lines.append(
            f"| {number} | {submit['per_second']:.0f} | {ms(submit, 'p50_us')} / "
            f"{ms(submit, 'p95_us')} / {ms(submit, 'p99_us')} | {submit['errors']} "
            f"| {trivial['per_second']:.0f} | {ms(trivial, 'p99_us')} "
            f"| {submit['per_second'] / trivial['per_second']:.2f} "
            f"| {submit['p99_us'] / max(trivial['p99_us'], 1):.2f} |"
        )
    bare = result["bare"]
    lines += [
        "",
        f"bare ASGI app (what the load client reaches): {bare['per_second']:.0f} req/s, "
        f"p99 {ms(bare, 'p99_us')} ms, {bare['errors']} errors",
        f"acknowledged {result['acknowledged']:,}, stored {result['stored']:,}, lost "
        f"{result['lost']} (in flight when a run stopped, stored but not acknowledged: "
        f"{result['unacknowledged_stored']}, at most one per connection and round)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--workers", type=int, help="server workers (default: 1 SQLite, 2 PostgreSQL)"
    )
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15, help="per run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    workers = args.workers or (1 if args.backend == "sqlite" else 2)
    result = run(
        args.backend,
        workers,
        args.connections,
        args.seconds,
        args.rounds,
        args.threads,
        args.seed,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load-{args.backend}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))


if __name__ == "__main__":
    main()
