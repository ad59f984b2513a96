"""What a rule of publication costs and leaves open: for each rule (how precisely shares'
intervals and standard errors are published, app.method.disclosure.Precision), on the
demo's closed waves,

- ``broken``: hidden figures that the audit's attack with intervals (`monitor wave
  audit`) narrows below the promise when closing hides on the estimates alone (as
  `monitor wave close` did before 2026-12), figures recomputed under the rule;
- ``hidden``: the share of figures hidden when closing hides on the estimates alone,
  and when it also attacks the intervals and standard errors, published as the rule
  says, and hides more until every hidden figure keeps the promise (as `monitor wave
  close` does); the organisation-level figures (and totals) the second hides more;
- ``point intervals``: published shares whose interval ends round to one value.

    python -m bench.precision               # the full-size demo (about 71,000 staff)
    python -m bench.precision --scale 0.05  # a small demo

Results: a Markdown table on stdout and bench/results/precision.json (`--scale` other than
1: precision-<scale>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing.audit import attack_figures
from app.closing.figures import compute_figures, wave_sample
from app.db import create_db_engine
from app.demo.service import build_demo
from app.indicators.definitions import indicator_set
from app.method.disclosure import PUBLISHED, PUBLISHED_BEFORE_2026_12, Precision
from app.waves.models import Wave

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "precision.json"
MIN_CELL = 10
RULES = [
    PUBLISHED_BEFORE_2026_12,
    Precision(small=10**9, small_decimals=2),  # no standard errors at all
    Precision(small=200, small_se=True),
    PUBLISHED,
    Precision(small=500),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    defs = indicator_set(ROOT / "survey_defs")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/demo.db"
        build_demo(url, ROOT / "survey_defs", datetime.now(UTC).date(), scale=args.scale)
        engine = create_db_engine(url)
        with Session(engine) as session:
            waves = list(session.scalars(select(Wave).where(Wave.status == "closed")))
            rows = [measure(session, waves, defs, rule) for rule in RULES]
        engine.dispose()
    result = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "scale": args.scale,
        "waves": [w.id for w in waves],
        "rules": rows,
    }
    out = RESULTS if args.scale == 1.0 else RESULTS.with_name(f"precision-{args.scale}.json")
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(
        "| rule | broken (closed on estimates) | hidden, closing on estimates "
        "| hidden, closing on intervals too | organisation figures that hides more "
        "| point intervals | CPU s per close |"
    )
    print("|---|---:|---:|---:|---|---:|---:|")
    for r in rows:
        print(
            f"| {r['rule']}{' (published)' if r['published'] else ''} "
            f"| {r['broken']} of {r['audited']} "
            f"| {r['hidden_on_estimates']} ({r['hidden_on_estimates'] / r['figures']:.1%}) "
            f"| {r['hidden']} of {r['figures']} ({r['hidden'] / r['figures']:.1%}) "
            f"| {', '.join(r['organisations_hidden']) or '-'} "
            f"| {r['point_intervals']} of {r['published_shares']} "
            f"| {max(r['cpu_seconds_per_close']):.1f} |"
        )


def label(rule: Precision) -> str:
    """The rule in a few words."""
    coarser = []
    if rule.small_decimals != rule.proportion_decimals:
        coarser.append(f"intervals to {rule.small_decimals} decimal(s)")
    if not rule.small_se:
        coarser.append("no standard error")
    small = f"; shares of n < {rule.small:,}: {', '.join(coarser)}" if rule.small else ""
    return (
        f"shares to {rule.proportion_decimals} decimals, standard errors to "
        f"{rule.se_digits} significant digit(s){small}"
    )


def measure(session: Session, waves: list[Wave], defs, rule: Precision) -> dict:  # type: ignore[no-untyped-def]
    broken = audited = hidden = on_estimates_hidden = figures = points = shares = 0
    organisations: set[str] = set()
    cpu = []
    shares_of = {i.id for i in defs.indicators if i.kind == "proportion"}
    for wave in waves:
        sample = wave_sample(session, wave)
        started = time.process_time()
        closing = compute_figures(sample, defs, MIN_CELL, precision=rule)
        cpu.append(time.process_time() - started)
        on_estimates = compute_figures(sample, defs, MIN_CELL, intervals=False, precision=rule)
        audit = [
            a
            for a in attack_figures(sample, defs, on_estimates, MIN_CELL, precision=rule)
            if a.indicator != "respondents"
        ]
        audited += len(audit)
        broken += sum(not a.ok for a in audit)
        figures += len(closing)
        hidden += sum(f.suppressed for f in closing)
        on_estimates_hidden += sum(f.suppressed for f in on_estimates)
        organisations |= {
            f"{wave.id} {f.indicator}/{f.group_code or 'total'}"
            for f, before in zip(closing, on_estimates, strict=True)
            if f.suppressed and not before.suppressed and f.breakdown in ("organisation", "none")
        }
        published_shares = [
            f
            for f in closing
            if not f.suppressed and f.ci_low is not None and f.estimate is not None
            and 0 < f.estimate < 1 and f.indicator in shares_of
        ]  # fmt: skip
        shares += len(published_shares)
        points += sum(f.ci_low == f.ci_high for f in published_shares)
    return {
        "rule": label(rule),
        "published": rule == PUBLISHED,
        "audited": audited,
        "broken": broken,
        "figures": figures,
        "hidden_on_estimates": on_estimates_hidden,
        "hidden": hidden,
        "organisations_hidden": sorted(organisations),
        "published_shares": shares,
        "point_intervals": points,
        "cpu_seconds_per_close": cpu,
    }


if __name__ == "__main__":
    main()
