"""The price of disclosure control: the share of figures suppressed on the demo, before
(the suppression of commit e9644a8, read with `git show`: small groups and one complement
per family, breakdown by breakdown), at close (what `monitor wave close` stores now: empty
groups no complement, respondent counts protected over the linked table, domains and
families), how many of those hidden figures `monitor wave audit` finds narrower than the
promise, and with the shares' audit at close (`compute_figures(..., audit=True)`, not yet
the default: hiding more until every hidden share keeps the promise against the published
estimates), with its time (wall and CPU: the machine may be shared) and the
organisation-level figures it hides (the seed's figures are organisation figures of the
first wave).

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
from app.method.suppression import suppress_hierarchy as suppress_now
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
    close_seconds: list[float] = []
    original = closing_figures.compute_figures

    def timed(*a, **k):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            close_seconds.append(time.perf_counter() - started)

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
    keys = ("figures", "before", "after", "with_audit")
    totals = {k: sum(r[k] for r in rows) for k in keys}
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "scale": args.scale,
        "waves": rows,
        **{f"suppressed_{k}": totals[k] for k in keys[1:]},
        **{f"share_{k}": totals[k] / totals["figures"] for k in keys[1:]},
        "figures_seconds_per_close": close_seconds,
    }
    results = RESULTS if args.scale == 1.0 else RESULTS.with_name(f"disclosure-{args.scale}.json")
    results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        "| wave | respondents | figures | suppressed before | at close | broken "
        "| with the audit at close | its s (CPU s) | organisation figures it hides |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['wave']} | {r['respondents']:,} | {r['figures']} | "
            + " | ".join(f"{r[k]} ({r[k] / r['figures']:.1%})" for k in ("before", "after"))
            + f" | {r['broken']} | {r['with_audit']} ({r['with_audit'] / r['figures']:.1%}) | "
            f"{r['with_audit_seconds']:.1f} ({r['with_audit_cpu_seconds']:.1f}) | "
            f"{', '.join(r['organisations_hidden_with_audit']) or '-'} |"
        )
    print(
        "\nall closed waves: "
        + ", ".join(f"{k.replace('_', ' ')} {totals[k] / totals['figures']:.1%}" for k in keys[1:])
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
    after = sum(e.suppressed for e in stored)
    started = time.perf_counter()
    audit = audit_wave(session, wave.id, defs, MIN_CELL)
    audit_seconds = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    audited = closing_figures.compute_figures(sample, defs, MIN_CELL, audit=True)
    audited_seconds, audited_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert suppress_now is not None
    return {
        "wave": wave.id,
        "respondents": int(np.asarray(sample.cell).size),
        "figures": figures,
        "before": before,
        "after": after,
        "audited": len(audit),
        "broken": sum(not a.ok for a in audit),
        "audit_seconds": audit_seconds,
        "with_audit": sum(f.suppressed for f in audited),
        "with_audit_seconds": audited_seconds,
        "with_audit_cpu_seconds": audited_cpu,
        "organisations_hidden_with_audit": sorted(
            f"{f.indicator}/{f.group_code}"
            for f in audited
            if f.suppressed and f.breakdown == "organisation"
        ),
    }


if __name__ == "__main__":
    main()
