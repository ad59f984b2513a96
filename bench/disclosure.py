"""The price of disclosure control: the share of figures suppressed on the demo, before
(the suppression of commit e9644a8, read with `git show`: small groups and one complement
per family, breakdown by breakdown), at close without the audit (`protection=0`: empty
groups no complement, respondent counts protected over the linked table, domains and
families), and at close as `monitor wave close` stores it (with the audit's attack on the
published estimates, intervals and standard errors, hiding more until every hidden share
and mean keeps the promise), the time of computing the figures at each close (wall and
CPU: the machine may be shared), how many hidden figures `monitor wave audit --intervals`
still finds narrower than the promise, and the organisation-level figures the audit hides
(the seed's figures are organisation figures of the first wave).

    python -m bench.disclosure              # the full-size demo (about 71,000 staff)
    python -m bench.disclosure --scale 0.05 # a small demo: nearly every group small

Builds the demo in a temporary SQLite database (its four closed waves are closed as
`monitor wave close` does), then recomputes "before" from the same closed waves with the
old rule (app.method.suppression alone). Results: a Markdown table on stdout and
bench/results/disclosure.json (`--scale` other than 1 writes disclosure-<scale>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing import figures as closing_figures
from app.closing.audit import audit_wave
from app.closing.models import Estimate
from app.db import create_db_engine
from app.demo.service import build_demo
from app.indicators.definitions import indicator_set
from app.method.estimators import estimate_groups
from app.method.groups import BREAKDOWNS, cell_groups, hierarchy, linked_groups, node
from app.waves.models import Wave

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "disclosure.json"
MIN_CELL = 10
BEFORE_COMMIT = "e9644a8"


def _old_rule():  # type: ignore[no-untyped-def]
    """suppress_hierarchy as it was before issue 11."""
    source = subprocess.run(
        ["git", "show", f"{BEFORE_COMMIT}:app/method/suppression.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    namespace: dict = {}
    exec(compile(source, "suppression_before.py", "exec"), namespace)  # our own history
    return namespace["suppress_hierarchy"]


OLD_RULE = _old_rule()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    defs = indicator_set(ROOT / "survey_defs")
    close_seconds: list[tuple[float, float]] = []  # wall, CPU
    original = closing_figures.compute_figures

    def timed(*a, **k):  # type: ignore[no-untyped-def]
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*a, **k)
        finally:
            close_seconds.append((time.perf_counter() - started, time.process_time() - cpu))

    closing_figures.compute_figures = timed  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/demo.db"
        build_demo(url, ROOT / "survey_defs", datetime.now(UTC).date(), scale=args.scale)
        closing_figures.compute_figures = original  # type: ignore[assignment]
        engine = create_db_engine(url)
        rows = []
        with Session(engine) as session:
            for wave in session.scalars(select(Wave).where(Wave.status == "closed")):
                rows.append(measure(session, wave, defs))
        engine.dispose()
    keys = ("figures", "before", "without_audit", "after")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "scale": args.scale,
        "waves": rows,
        **{f"suppressed_{k}": totals[k] for k in keys[1:]},
        **{f"share_{k}": totals[k] / totals["figures"] for k in keys[1:]},
        "figures_seconds_per_close": [wall for wall, _ in close_seconds],
        "figures_cpu_seconds_per_close": [cpu for _, cpu in close_seconds],
    }
    results = RESULTS if args.scale == 1.0 else RESULTS.with_name(f"disclosure-{args.scale}.json")
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        "| wave | respondents | figures | suppressed before | at close without the audit "
        "| at close | broken | organisation figures the audit hides |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['wave']} | {r['respondents']:,} | {r['figures']} | "
            + " | ".join(
                f"{r[k]} ({r[k] / r['figures']:.1%})" for k in ("before", "without_audit", "after")
            )
            + f" | {r['broken']} | {', '.join(r['organisations_hidden_by_audit']) or '-'} |"
        )
    print(
        "\nall closed waves: "
        + ", ".join(f"{k.replace('_', ' ')} {totals[k] / totals['figures']:.1%}" for k in keys[1:])
        + "; figures at each close (wall / CPU s): "
        + ", ".join(f"{wall:.1f} / {cpu:.1f}" for wall, cpu in close_seconds)
        + f"; load average {os.getloadavg()[0]:.1f}"
    )


def measure(session: Session, wave: Wave, defs) -> dict:  # type: ignore[no-untyped-def]
    sample = closing_figures.wave_sample(session, wave)
    values = closing_figures.derive(defs, sample.questionnaire, sample.table)
    parent = hierarchy(sample.frame)
    before = 0
    figures = 0
    for indicator in defs.indicators:
        n = {}
        for by in BREAKDOWNS:
            codes, of_cell = cell_groups(sample.frame, by)
            assert sample.design is not None
            result = estimate_groups(
                values[indicator.id], of_cell[sample.cell], len(codes), sample.design,
                indicator.kind,
            )  # fmt: skip
            for i, code in enumerate(codes):
                n[node(by, code)] = int(result.n[i])
        before += len(OLD_RULE(n, parent, MIN_CELL))
        figures += len(n)
    assert figures == len(linked_groups(sample.frame)) * len(defs.indicators)
    stored = session.scalars(select(Estimate).where(Estimate.wave_id == wave.id)).all()
    frame_figures = [e for e in stored if e.breakdown in BREAKDOWNS]
    started = time.perf_counter()
    audit = audit_wave(session, wave.id, defs, MIN_CELL, intervals=True)
    audit_seconds = time.perf_counter() - started
    without = [
        f
        for f in closing_figures.compute_figures(sample, defs, MIN_CELL, protection=0)
        if f.breakdown in BREAKDOWNS
    ]

    def organisations(found) -> set[str]:  # type: ignore[no-untyped-def]
        return {
            f"{f.indicator}/{f.group_code}"
            for f in found
            if f.suppressed and f.breakdown == "organisation"
        }

    return {
        "wave": wave.id,
        "respondents": int(np.asarray(sample.cell).size),
        "figures": figures,
        "before": before,
        "without_audit": sum(f.suppressed for f in without),
        "after": sum(e.suppressed for e in frame_figures),
        "audited": len(audit),
        "broken": sum(not a.ok for a in audit),
        "broken_figures": [
            f"{a.indicator}/{a.breakdown}/{a.group} [{a.low:.3f}, {a.high:.3f}]"
            for a in audit
            if not a.ok
        ],
        "audit_seconds": audit_seconds,
        "organisations_hidden_by_audit": sorted(
            organisations(frame_figures) - organisations(without)
        ),
    }


if __name__ == "__main__":
    main()
