"""The price of disclosure control: the share of figures suppressed on the demo, before
(the suppression of commit e9644a8, read with `git show`: small groups and one complement
per family, breakdown by breakdown), after (what closing stores now: empty groups no
complement, respondent counts protected over the linked table), and with the shares'
audit at close (`compute_figures(..., audit=True)`, not yet the default), with its time.

    python -m bench.disclosure              # the full-size demo (about 71,000 staff)
    python -m bench.disclosure --scale 0.3  # the test suite's demo

Builds the demo in a temporary SQLite database (its four closed waves are closed as
`monitor wave close` does, so "after" is what is stored), then recomputes "before" from the
same closed waves with the old rule (app.method.suppression alone). Also times each close
and the audit of every suppressed figure. Results: a Markdown table on stdout and
bench/results/disclosure.json.
"""

from __future__ import annotations

import argparse
import json
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
    totals = {k: sum(r[k] for r in rows) for k in ("figures", "before", "after", "with_audit")}
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "scale": args.scale,
        "waves": rows,
        "figures": totals["figures"],
        "suppressed_before": totals["before"],
        "suppressed_after": totals["after"],
        "share_before": totals["before"] / totals["figures"],
        "share_after": totals["after"] / totals["figures"],
        "suppressed_with_audit": totals["with_audit"],
        "share_with_audit": totals["with_audit"] / totals["figures"],
        "figures_seconds_per_close": close_seconds,
    }
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        "| wave | respondents | figures | suppressed before | after | audit s | broken "
        "| with audit at close | its s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['wave']} | {r['respondents']:,} | {r['figures']} | "
            f"{r['before']} ({r['before'] / r['figures']:.1%}) | "
            f"{r['after']} ({r['after'] / r['figures']:.1%}) | {r['audit_seconds']:.1f} | "
            f"{r['broken']} | {r['with_audit']} ({r['with_audit'] / r['figures']:.1%}) | "
            f"{r['with_audit_seconds']:.1f} |"
        )
    print(
        f"\nall closed waves: {totals['before'] / totals['figures']:.1%} suppressed before, "
        f"{totals['after'] / totals['figures']:.1%} after, "
        f"{totals['with_audit'] / totals['figures']:.1%} with the audit at close; "
        "figures per close "
        f"{', '.join(f'{s:.1f}' for s in close_seconds)} s"
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
    after = sum(
        1
        for e in session.scalars(select(Estimate).where(Estimate.wave_id == wave.id))
        if e.suppressed
    )
    started = time.perf_counter()
    audit = audit_wave(session, wave.id, defs, MIN_CELL)
    audit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    protected = closing_figures.compute_figures(sample, defs, MIN_CELL, audit=True)
    protect_seconds = time.perf_counter() - started
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
        "with_audit": sum(f.suppressed for f in protected),
        "with_audit_seconds": protect_seconds,
    }


if __name__ == "__main__":
    main()
