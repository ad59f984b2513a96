"""A wave's figures: weights from the frame, estimates for every indicator and breakdown,
and suppression; computed once at close and stored (and on demand for an open wave's
preview, never stored)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.closing.models import AnswerGroupCount, Estimate, Reason
from app.indicators.definitions import Indicator, IndicatorSet
from app.indicators.derive import derive, domain_members, value_range
from app.method.disclosure import (
    DEFAULT_PROTECTION,
    PUBLISHED,
    CellCounts,
    Precision,
    cell_counts,
    protect_estimates,
)
from app.method.estimators import GroupEstimates, estimate_groups
from app.method.groups import (
    BREAKDOWNS,
    answer_groups,
    cell_groups,
    crossed_with_answers,
    hierarchy,
    linked_groups,
    node,
    suppress_answer_respondents,
    suppress_respondents,
)
from app.method.suppression import TOTAL, Node, suppress_hierarchy
from app.method.weights import Design, OverfullCells, post_stratify
from app.problems import Code, Conflict, FieldError
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version
from app.responses.answers import (
    AnswerTable,
    collector_paused,
    load_answers,
    respondent_frame_cells,
)
from app.responses.day_counts import store_counts
from app.waves.models import Wave
from app.waves.service import FrameRow, frame_cells


@dataclass(frozen=True)
class WaveSample:
    """A wave's responses as columns, each placed in its frame cell and weighted."""

    questionnaire: Questionnaire
    table: AnswerTable
    frame: list[FrameRow]
    cell: np.ndarray  # frame-cell index per respondent
    design: Design | None  # None without respondents


@dataclass(frozen=True)
class Figure:
    """One figure, as stored in `estimate` (without its wave)."""

    indicator: str
    breakdown: str
    group_code: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None
    n: int | None
    suppressed: bool
    series_break: bool
    reason: Reason | None = None


def wave_sample(session: Session, wave: Wave) -> WaveSample:
    questionnaire = get_version(session, wave.questionnaire_id)
    table = load_answers(session, wave.id, questionnaire)
    frame = frame_cells(session, wave.id)
    cell = respondent_frame_cells(table, frame)
    if (cell < 0).any():
        raise Conflict(
            f"wave {wave.id} has responses in cells that are no longer in its frame; "
            "load a frame with every cell ('monitor frame load')"
        )
    return WaveSample(questionnaire, table, frame, cell, _design(wave, frame, cell))


@dataclass(frozen=True)
class AnswerBreakdown:
    """A breakdown by a background answer (tenure, say): its groups (the question's option
    codes, in its order) and each respondent's group (-1 for none)."""

    by: str
    codes: list[str]
    group: np.ndarray

    def counts(self) -> dict[Node, int]:
        """Respondents per group."""
        n = np.bincount(self.group[self.group >= 0], minlength=len(self.codes))
        return {node(self.by, code): int(k) for code, k in zip(self.codes, n, strict=True)}


def answer_breakdowns(sample: WaveSample) -> list[AnswerBreakdown]:
    """The wave's breakdowns by the background questions its version marks as such."""
    found = []
    for question in sample.questionnaire.breakdowns():
        codes = [o.code for o in question.choices()]
        found.append(
            AnswerBreakdown(
                question.id, codes, answer_groups(codes, *sample.table.codes(question.id))
            )
        )
    return found


@dataclass(frozen=True)
class AttackTable:
    """A table the audit attacks: each respondent's part of it, how many parts, and every
    published group as the parts it is made of. The frame's cells with its breakdowns;
    and those cells crossed with every breakdown by an answer at once (``by``), their
    groups added."""

    part: np.ndarray
    size: int
    groups: dict[Node, np.ndarray]
    by: tuple[str, ...] = ()


def attack_tables(sample: WaveSample, answers: list[AnswerBreakdown]) -> list[AttackTable]:
    tables = [AttackTable(sample.cell, len(sample.frame), linked_groups(sample.frame))]
    if answers:
        part, size, crossed = crossed_with_answers(
            sample.frame, sample.cell, [(b.by, b.codes, b.group) for b in answers]
        )
        tables.append(AttackTable(part, size, crossed, tuple(b.by for b in answers)))
    return tables


def hidden_respondents(
    sample: WaveSample, answers: list[AnswerBreakdown], min_cell: int
) -> set[Node]:
    """The groups whose respondent count is not published, in every breakdown (and with
    it every figure of the group): over the frame's linked table, then in each breakdown
    by an answer, which partitions the total."""
    respondents = np.bincount(sample.cell, minlength=len(sample.frame))
    hidden = suppress_respondents(sample.frame, respondents, min_cell, True)
    counts = {k: n for breakdown in answers for k, n in breakdown.counts().items()}
    return hidden | suppress_answer_respondents(
        counts, int(sample.cell.size), TOTAL in hidden, min_cell
    )


def _design(wave: Wave, frame: list[FrameRow], cell: np.ndarray) -> Design | None:
    if not cell.size:
        return None
    try:
        return post_stratify(
            np.array([c.organisation for c in frame]),
            np.array([c.unit for c in frame]),
            np.array([c.headcount for c in frame]),
            cell,
        )
    except OverfullCells as exc:
        raise Conflict(
            f"the frame of wave {wave.id} counts fewer staff than respondents in "
            f"{len(exc.cells)} cell(s); correct the frame ('monitor frame load') and try again",
            [
                FieldError(
                    f"frame.{frame[i].organisation}/{frame[i].unit}/{frame[i].function_group}",
                    *Code.OVERFULL_CELL.says(respondents=r, headcount=h),
                )
                for i, r, h in zip(exc.cells, exc.respondents, exc.headcount, strict=True)
            ],
        ) from None


def compute_figures(
    sample: WaveSample,
    defs: IndicatorSet,
    min_cell: int,
    protection: float = DEFAULT_PROTECTION,
    hidden_counts: set[Node] | None = None,
    intervals: bool = True,
    precision: Precision = PUBLISHED,
) -> list[Figure]:
    """Every breakdown of every indicator, rounded as published and suppressed over the
    linked table (app.method.disclosure): groups whose respondent count is hidden, small
    groups and their complements per indicator, a domain's figures wherever the
    indicator that counts its members is hidden, the same groups in shares that count
    the same respondents, and more until the audit's attack on the published figures
    (estimates, and with ``intervals`` a share's interval and standard error too)
    narrows no hidden share or mean below the promise (``protection`` 0: no audit).
    ``hidden_counts``: the groups whose respondent count is hidden
    (`hidden_respondents`), when the caller has them already. ``precision``: how the
    figures are published; another rule than closing's, or ``intervals`` off, only to
    measure what it costs (bench/precision.py)."""
    values = derive(defs, sample.questionnaire, sample.table)
    counted_by = _domain_counters(defs, sample, values)
    groupings = {by: cell_groups(sample.frame, by) for by in BREAKDOWNS}
    # Each respondent's group per breakdown, once for all indicators.
    respondent_group = {by: of_cell[sample.cell] for by, (_, of_cell) in groupings.items()}
    group_codes = {by: codes for by, (codes, _) in groupings.items()}
    answers = answer_breakdowns(sample)
    # Groups by an answer cut across the cells: domains of the whole design, each
    # breakdown a family under the total.
    parent = hierarchy(sample.frame)
    for breakdown in answers:
        respondent_group[breakdown.by] = breakdown.group
        group_codes[breakdown.by] = breakdown.codes
        parent |= {node(breakdown.by, code): TOTAL for code in breakdown.codes}
    groups = linked_groups(sample.frame)
    n_cells = len(sample.frame)
    if hidden_counts is None:
        hidden_counts = hidden_respondents(sample, answers, min_cell)
    covered = np.zeros(n_cells, dtype=bool) if sample.design is None else sample.design.covered
    uncovered = {key for key, cells in groups.items() if not covered[cells].all()}
    if TOTAL in uncovered:  # a group by an answer stands for staff in every cell
        uncovered |= {node(b.by, code) for b in answers for code in b.codes}
    computed: dict[str, tuple[dict[Node, tuple[str, str, GroupEstimates, int]], bool]] = {}
    for indicator in defs.indicators:
        series_break = indicator.versions[sample.questionnaire.id].series_break
        bounds = value_range(indicator, sample.questionnaire)
        results: dict[Node, tuple[str, str, GroupEstimates, int]] = {}
        for by, codes in group_codes.items():
            if sample.design is None:
                result = _no_respondents(len(codes))
            else:
                result = estimate_groups(
                    values[indicator.id],
                    respondent_group[by],
                    len(codes),
                    sample.design,
                    indicator.kind,
                    bounds,
                )
            for i, code in enumerate(codes):
                results[node(by, code)] = (by, code, result, i)
        computed[indicator.id] = (results, series_break)

    tables = attack_tables(sample, answers)

    # On a table crossed with a breakdown by an answer, the audit attacks that
    # breakdown's groups (as `monitor wave audit` does); the frame's on the frame's table.
    audited = {
        i.id: [
            _Attacked(holding={k for k in t.groups if t.by and k[0] not in t.by}) for t in tables
        ]
        for i in defs.indicators
    }

    def settled(indicator: Indicator, hidden: set[Node]) -> set[Node]:
        """``hidden`` and what must go with it: complements in every family (min_cell
        and rules 2, 6) and, where the audit's attack narrows a hidden figure below the
        promise in any of the tables, more, until all hold at once."""
        results = computed[indicator.id][0]
        n = {key: int(r.n[i]) for key, (_, _, r, i) in results.items()}
        # Figures without an estimate for coverage or without an interval are no
        # secrets to protect, and no equations for the attacker either.
        withheld = uncovered | {k for k, (_, _, r, i) in results.items() if r.df[i] <= 0}
        while True:
            hidden = suppress_hierarchy(n, parent, min_cell, hidden)
            if protection <= 0 or sample.design is None:
                return hidden
            grown = hidden
            for table, attacked in zip(tables, audited[indicator.id], strict=True):
                if attacked.counts is None:
                    attacked.counts = indicator_cell_counts(
                        indicator, values[indicator.id], sample, table
                    )
                grown, bands = protect_estimates(
                    attacked.counts,
                    table.groups,
                    parent,
                    grown,
                    protection,
                    intervals=intervals,
                    withheld=frozenset(withheld - grown),
                    holding=frozenset(attacked.holding),
                    precision=precision,
                )
                # Hiding more only takes equations away: what holds now keeps holding.
                attacked.holding |= {b.node for b in bands if b.ok}
            if grown == hidden:
                return hidden
            hidden = grown

    hidden_in: dict[str, set[Node]] = {}
    alike = _counting_alike(defs, sample.questionnaire.id)
    # Indicators over all staff first: a domain's figures hide where the indicator that
    # counts its members (rule 5) is hidden.
    for over_all in (True, False):
        stage = [i for i in defs.indicators if (i.denominator == "all") == over_all]
        for indicator in stage:
            already = set(hidden_counts)
            for counter in counted_by.get(indicator.denominator, []):
                already |= hidden_in[counter]
            hidden_in[indicator.id] = already
        pending = stage
        while pending:
            for indicator in pending:
                hidden_in[indicator.id] = settled(indicator, hidden_in[indicator.id])
            # Shares that count the same respondents hide the same groups (rule 7): the
            # union, settled again, until nothing grows.
            pending = []
            for linked in alike:
                together = set().union(*(hidden_in[i.id] for i in linked if i in stage))
                for indicator in linked:
                    if indicator in stage and hidden_in[indicator.id] != together:
                        hidden_in[indicator.id] = together
                        pending.append(indicator)
    return [
        _figure(
            indicator,
            by,
            code,
            r,
            i,
            series_break,
            uncovered,
            hidden_in[indicator.id],
            min_cell,
            precision,
        )
        for indicator in defs.indicators
        for results, series_break in [computed[indicator.id]]
        for by, code, r, i in results.values()
    ]


@dataclass
class _Attacked:
    """One indicator on one table at close: its sums per part (once needed) and the hidden
    figures shown to hold the promise so far."""

    counts: CellCounts | None = None
    holding: set[Node] = field(default_factory=set)


def indicator_cell_counts(
    indicator: Indicator, values: np.ndarray, sample: WaveSample, table: AttackTable
) -> CellCounts:
    """What the audit attacks of one indicator: its sums per part of a table."""
    assert sample.design is not None
    return cell_counts(
        values,
        table.part,
        table.size,
        sample.design,
        indicator.kind,
        value_range(indicator, sample.questionnaire),
        indicator.scale,
    )


def _counting_alike(defs: IndicatorSet, version: str) -> list[list[Indicator]]:
    """Proportions that count the same respondents (one denominator, one `valid_if`): the
    categories of a family add up to 1, and a share like "satisfied or very satisfied" is
    the sum of two of them, so a group hidden in one of them is hidden in all, or the
    others would give it away."""
    alike: dict[tuple[str, str], list[Indicator]] = {}
    for indicator in defs.indicators:
        if indicator.kind == "proportion":
            rule = indicator.versions[version].model_dump_json(include={"valid_if"})
            alike.setdefault((indicator.denominator, rule), []).append(indicator)
    return [ids for ids in alike.values() if len(ids) > 1]


def _domain_counters(
    defs: IndicatorSet, sample: WaveSample, values: dict[str, np.ndarray]
) -> dict[str, list[str]]:
    """Domain -> the indicators over all staff whose yes-answers, in this wave, are exactly
    the domain's members (``any_aggression`` for victims, say)."""
    members = domain_members(defs, sample.questionnaire, sample.table)
    return {
        domain: [
            i.id
            for i in defs.indicators
            if i.denominator == "all"
            and i.kind == "proportion"
            and np.array_equal(values[i.id] == 1, inside)
        ]
        for domain, inside in members.items()
        if domain != "all"
    }


def _figure(
    indicator: Indicator,
    by: str,
    code: str,
    r: GroupEstimates,
    i: int,
    series_break: bool,
    uncovered: set[Node],
    hidden: set[Node],
    min_cell: int,
    precision: Precision,
) -> Figure:
    n = int(r.n[i])
    reason = _reason(node(by, code), n, int(r.df[i]), uncovered, hidden, min_cell)
    shown = reason is None

    def published(value: float, field: str) -> float | None:
        # Rounded as published; a hidden figure is stored as NULL.
        return precision.value(value, indicator.kind, field, n) if shown else None

    return Figure(
        indicator=indicator.id,
        breakdown=by,
        group_code=code,
        estimate=published(r.estimate[i], "estimate"),
        ci_low=published(r.ci_low[i], "ci_low"),
        ci_high=published(r.ci_high[i], "ci_high"),
        se=published(r.se[i], "se"),
        n=n if shown else None,
        suppressed=not shown,
        series_break=series_break,
        reason=reason,
    )


def _reason(
    key: Node, n: int, df: int, uncovered: set[Node], hidden: set[Node], min_cell: int
) -> Reason | None:
    """Why a figure is suppressed, the first that applies; None when it is published.

    Coverage comes first: a group with staff that no respondent stands for has no
    estimate at all, whatever else holds. Coverage and a missing interval are not
    secrets, so they play no part in the disclosure control that fills ``hidden``:
    an empty organisation's total hides nobody, and hiding it hides no one else."""
    if key in uncovered:
        return "coverage"
    if n < min_cell:
        return "min_cell"
    if key in hidden:
        return "complementary"
    if df <= 0:
        return "no_interval"
    return None


def _no_respondents(n_groups: int) -> GroupEstimates:
    nan = np.full(n_groups, np.nan)
    zero = np.zeros(n_groups, dtype=int)
    return GroupEstimates(nan, nan, nan, nan, zero, zero)


def store_wave_estimates(
    session: Session,
    wave: Wave,
    defs: IndicatorSet,
    min_cell: int,
    protection: float = DEFAULT_PROTECTION,
) -> None:
    """At close: the wave's figures, and its final respondent counts (replacing the day's
    snapshot). Computed once; trends only read them."""
    # The cyclic garbage collector would walk the wave's answers (a million lists of
    # choices, columns of a million) on each of its full passes; nothing here makes
    # cycles, so it waits until the wave's figures are stored.
    with collector_paused():
        sample = wave_sample(session, wave)
        answers = answer_breakdowns(sample)
        hidden = hidden_respondents(sample, answers, min_cell)
        figures = compute_figures(
            sample, defs, min_cell, protection=protection, hidden_counts=hidden
        )
        session.execute(insert(Estimate), [{"wave_id": wave.id, **asdict(f)} for f in figures])
        store_counts(session, wave.id, sample.table, sample.frame, as_of=None)
        # The respondents per group of a breakdown by an answer, for response rates: the
        # frame has no headcounts for them, and an open wave's day counts are per cell.
        counts = [
            {
                "wave_id": wave.id,
                "breakdown": by,
                "group_code": code,
                "respondents": None if (by, code) in hidden else n,
                "suppressed": (by, code) in hidden,
            }
            for breakdown in answers
            for (by, code), n in breakdown.counts().items()
        ]
        if counts:
            session.execute(insert(AnswerGroupCount), counts)
