"""`monitor wave audit ID`: the disclosure audit's attack on a closed wave's stored
figures (what was published, not what would be computed now). The breakdowns by an
answer (tenure, age, gender) are attacked together with the frame's breakdowns, over the
cells crossed with all their answers at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.closing.figures import (
    Figure,
    WaveSample,
    answer_breakdowns,
    attack_tables,
    indicator_cell_counts,
    wave_sample,
)
from app.closing.models import Estimate
from app.indicators.definitions import IndicatorSet
from app.indicators.derive import derive
from app.method.disclosure import (
    DEFAULT_PROTECTION,
    PUBLISHED,
    PUBLISHED_BEFORE_2026_12,
    Band,
    Precision,
    audit_counts,
    audit_estimates,
)
from app.method.groups import linked_groups, node, suppress_respondents
from app.problems import Conflict
from app.waves.service import get_wave


@dataclass(frozen=True)
class AuditRow:
    indicator: str  # "respondents" for the response rates' counts
    breakdown: str
    group: str
    low: float
    high: float
    counts: int
    attack_low: float
    attack_high: float
    ok: bool


def audit_wave(
    session: Session,
    wave_id: str,
    defs: IndicatorSet,
    min_cell: int,
    protection: float = DEFAULT_PROTECTION,
    intervals: bool = True,
) -> list[AuditRow]:
    """Per suppressed figure (with respondents), the band the attack reached, with data
    sets that reproduce every published estimate, interval and standard error, as at
    close (``intervals`` False: the published estimates alone). The figures are read as
    they were published: a wave closed before December 2026 had every share's interval
    to whole percentages and its standard error, small groups' included."""
    wave = get_wave(session, wave_id)
    if wave.status != "closed":
        raise Conflict(f"wave {wave_id} is {wave.status}; only a closed wave's figures are audited")
    stored = session.scalars(select(Estimate).where(Estimate.wave_id == wave_id)).all()
    kinds = {i.id: i.kind for i in defs.indicators}
    # Closing now publishes no small group's standard error; one stored says the older rule.
    before = any(
        row.se is not None and PUBLISHED.is_small(kinds.get(row.indicator, ""), row.n)
        for row in stored
    )
    precision = PUBLISHED_BEFORE_2026_12 if before else PUBLISHED
    return attack_figures(
        wave_sample(session, wave), defs, stored, min_cell, protection, intervals, precision
    )


def attack_figures(
    sample: WaveSample,
    defs: IndicatorSet,
    figures: Sequence[Figure | Estimate],
    min_cell: int,
    protection: float = DEFAULT_PROTECTION,
    intervals: bool = True,
    precision: Precision = PUBLISHED,
) -> list[AuditRow]:
    """The audit's attack on a wave's figures, stored or computed, published as
    ``precision`` says: per suppressed one, the band reached."""
    groups = linked_groups(sample.frame)
    n_cells = len(sample.frame)
    hidden: dict[str, set[tuple[str, str]]] = {}
    for row in figures:
        if row.suppressed:
            hidden.setdefault(row.indicator, set()).add(node(row.breakdown, row.group_code))
    rows: list[AuditRow] = []

    def add(indicator: str, bands: list[Band]) -> None:
        for b in bands:
            level, code = b.node
            rows.append(
                AuditRow(
                    indicator, "none" if level == "total" else level, code, b.low, b.high,
                    b.counts, b.attack_low, b.attack_high, b.ok,
                )
            )  # fmt: skip

    respondents = np.bincount(sample.cell, minlength=n_cells)
    headcount = np.array([c.headcount for c in sample.frame], dtype=float)
    shown_counts = suppress_respondents(sample.frame, respondents, min_cell, True)
    add("respondents", audit_counts(respondents, headcount, groups, shown_counts))
    if sample.design is None:
        return rows
    values = derive(defs, sample.questionnaire, sample.table)
    for table in attack_tables(sample, answer_breakdowns(sample)):
        for indicator in defs.indicators:
            shut = hidden.get(indicator.id, set())
            # On a crossed table, the groups of its breakdown by an answer; the frame's
            # hidden groups are attacked on the frame's table.
            mine = shut if not table.by else {key for key in shut if key[0] in table.by}
            if mine:
                counts = indicator_cell_counts(indicator, values[indicator.id], sample, table)
                bands = audit_estimates(
                    counts,
                    table.groups,
                    shut,
                    protection,
                    only=mine,
                    intervals=intervals,
                    precision=precision,
                )
                add(indicator.id, bands)
    return rows
