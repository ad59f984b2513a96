"""Indicator definitions (survey_defs/indicators.yaml): parsed once, checked against the
questionnaire versions they name.

Per questionnaire version, an indicator says how it is computed from answers, in the
condition language of routing (CONTRACT sections 2 and 6): `value` (a proportion's "yes")
or `mean_of` (an integer question), optionally `valid_if` (item non-response), and
how its figures compare with other versions' (app.indicators.fingerprint): a version
set apart (`series_break`, with a `break_note` for readers), or versions declared
comparable although what the indicator reads changed (`comparable_with`). A mean may
count respondents without an answer as `absent_as` (0 days for staff never absent) and
be published per `scale` respondents (days per 100 staff). Proportions may form a
family, one per answer category (`family`, `category`, `category_order`), declared under
`families` and counting the same respondents. Problems carry stable codes, like those
of questionnaire definitions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.files import reread_on_change
from app.problems import Code, FieldError, ServiceUnavailable
from app.questionnaires.conditions import (
    AllOf,
    AnyOf,
    Condition,
    Not,
    atoms,
    evaluate,
)
from app.questionnaires.loader import (
    INDICATORS_FILE,
    read_yaml,
    validated,
)
from app.questionnaires.schema import (
    ID_PATTERN,
    ConditionField,
    DefinitionProblem,
    Question,
    Questionnaire,
    Text,
    check_atom,
    text_problems,
)
from app.responses.answers import AnswerTable

# CONTRACT section 6: every one of these must be defined.
CONTRACT_INDICATORS = (
    "any_aggression", "threat_intimidation", "verbal", "threat", "intimidation", "stalking",
    "physical", "sexual", "discrimination", "property", "online", "escalation",
    "private_sphere", "outside_work", "no_task_impact", "reported_internally", "aangifte",
    "sick_leave", "sick_leave_days", "emotional_impact", "supervisor_support",
    "aftercare_offered", "satisfied_handling", "risk_part_of_job", "fear_private",
)  # fmt: skip
NAMED_DENOMINATORS = ("threatened", "victims")
Kind = Literal["proportion", "mean"]
Denominator = Literal["all", "threatened", "victims"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VersionRule(_Frozen):
    """How one questionnaire version computes the indicator."""

    value: ConditionField | None = None
    mean_of: str | None = None
    # A mean: the value of a counted respondent who has no answer to `mean_of` (not
    # asked: 0 days of absence for staff who met no aggression).
    absent_as: float | None = None
    valid_if: ConditionField | None = None
    series_break: bool = False
    break_note: Text | None = None
    comparable_with: tuple[str, ...] = ()


class Indicator(_Frozen):
    id: str
    label: Text | None = None
    description: Text | None = None
    kind: Kind
    denominator: Denominator
    public: bool = False
    # A mean published per this many respondents (100: days lost per 100 staff).
    scale: int = 1
    # A member of a family: one answer category of a distribution (CONTRACT section 6).
    family: str | None = None
    category: str | None = None
    category_order: int | None = None
    category_label: Text | None = None
    versions: dict[str, VersionRule]


class Family(_Frozen):
    """A distribution: the proportions of its members' categories add up to 1."""

    label: Text
    description: Text | None = None


class IndicatorSet(_Frozen):
    denominators: dict[str, dict[str, ConditionField]] = {}
    families: dict[str, Family] = {}
    indicators: tuple[Indicator, ...]

    def members(self, family: str) -> list[Indicator]:
        """A family's indicators in category order."""
        found = [i for i in self.indicators if i.family == family]
        return sorted(found, key=lambda i: i.category_order or 0)

    def get(self, indicator_id: str) -> Indicator | None:
        return next((i for i in self.indicators if i.id == indicator_id), None)


class IndicatorsUnavailable(ServiceUnavailable):
    """The definitions the application needs are missing or do not fit."""


def parse_indicators(data: Any, file: str) -> tuple[IndicatorSet | None, list[DefinitionProblem]]:
    """Structure and every check that needs no questionnaire; the definitions come back
    with those problems (None only when the structure is wrong), to be checked further."""
    defs, problems = validated(IndicatorSet, data, file)
    if defs is None:
        return None, problems

    def problem(where: str, code: Code, **fields: Any) -> None:
        problems.append(DefinitionProblem(file, where, *code.says(**fields)))

    for version, named in defs.denominators.items():
        for name in sorted(set(named) - set(NAMED_DENOMINATORS)):
            names = ", ".join(NAMED_DENOMINATORS)
            problem(f"denominators.{version}", Code.UNKNOWN_DENOMINATOR, name=name, names=names)
    seen: set[str] = set()
    for indicator in defs.indicators:
        where = indicator.id
        if not ID_PATTERN.match(indicator.id):
            problem(where, Code.INVALID_ID)
        if indicator.id in seen:
            problem(where, Code.DUPLICATE_INDICATOR)
        seen.add(indicator.id)
        for field, missing in (
            ("label", Code.MISSING_LABEL),
            ("description", Code.MISSING_DESCRIPTION),
        ):
            text = getattr(indicator, field)
            if text is None:
                problem(where, missing)
            problems.extend(text_problems(text, file, where, field))
        if not indicator.versions:
            problem(where, Code.MISSING_VERSION, version="any questionnaire version")
        for version, rule in indicator.versions.items():
            at = f"{where}.{version}"
            if indicator.kind == "proportion":
                if rule.value is None:
                    problem(at, Code.MISSING_VALUE)
                if rule.mean_of is not None:
                    problem(at, Code.MISPLACED_FIELD, detail="'mean_of' belongs to a mean")
            else:
                if rule.mean_of is None:
                    problem(at, Code.MISSING_MEAN_OF)
                if rule.value is not None:
                    problem(at, Code.MISPLACED_FIELD, detail="'value' belongs to a proportion")
            if rule.absent_as is not None and indicator.kind != "mean":
                problem(at, Code.MISPLACED_FIELD, detail="'absent_as' belongs to a mean")
            if rule.series_break and rule.break_note is None:
                problem(at, Code.MISSING_BREAK_NOTE)
            if rule.break_note is not None and not rule.series_break:
                detail = "'break_note' belongs with 'series_break: true'"
                problem(at, Code.MISPLACED_FIELD, detail=detail)
            problems.extend(text_problems(rule.break_note, file, at, "break_note"))
        if indicator.scale < 1 or (indicator.scale != 1 and indicator.kind != "mean"):
            detail = "'scale' is a whole number of at least 1, and other than 1 only for a mean"
            problem(where, Code.INVALID_SCALE, detail=detail)
    problems += _family_problems(defs, file)
    return defs, problems


def _family_problems(defs: IndicatorSet, file: str) -> list[DefinitionProblem]:
    """A family's members: proportions over one denominator, counting the same
    respondents (one `valid_if` per version), each with its own category and place."""
    problems: list[DefinitionProblem] = []

    def problem(where: str, detail: str) -> None:
        problems.append(DefinitionProblem(file, where, *Code.INVALID_FAMILY.says(detail=detail)))

    for name, family in defs.families.items():
        if not ID_PATTERN.match(name):
            problems.append(DefinitionProblem(file, f"families.{name}", *Code.INVALID_ID.says()))
        problems.extend(text_problems(family.label, file, f"families.{name}", "label"))
        problems.extend(text_problems(family.description, file, f"families.{name}", "description"))
        if len(defs.members(name)) < 2:
            problem(f"families.{name}", "a family needs at least two member indicators")
        if defs.get(name) is not None:  # the dashboard offers both by id
            problem(f"families.{name}", "a family's id is not also an indicator's")
    for indicator in defs.indicators:
        parts = (indicator.category, indicator.category_order, indicator.category_label)
        if indicator.family is None:
            if any(part is not None for part in parts):
                problem(
                    indicator.id,
                    "'category', 'category_order' and 'category_label' "
                    "belong to a member of a family",
                )
            continue
        if indicator.family not in defs.families:
            problem(indicator.id, f"there is no family '{indicator.family}' under 'families'")
        if any(part is None for part in parts):
            problem(
                indicator.id,
                "a member of a family needs 'category', 'category_order' and 'category_label'",
            )
        if indicator.kind != "proportion":
            problem(indicator.id, "a member of a family is a proportion")
        problems.extend(
            text_problems(indicator.category_label, file, indicator.id, "category_label")
        )
    for name in defs.families:
        members = defs.members(name)
        if not members:
            continue
        first = members[0]
        for other in members[1:]:
            if other.denominator != first.denominator:
                problem(other.id, f"the members of family '{name}' share one denominator")
            if {v: r.valid_if for v, r in other.versions.items()} != {
                v: r.valid_if for v, r in first.versions.items()
            }:
                problem(
                    other.id,
                    f"the members of family '{name}' count the same "
                    "respondents: the same versions, each with the same 'valid_if'",
                )
        for field in ("category", "category_order"):
            seen = [getattr(m, field) for m in members]
            if len(set(seen)) != len(seen):
                problem(f"families.{name}", f"each member has its own '{field}'")
    return problems


def check_version(
    defs: IndicatorSet, questionnaire: Questionnaire, file: str
) -> list[DefinitionProblem]:
    """Every problem of the definitions of one questionnaire version."""
    version = questionnaire.id
    questions = questionnaire.question_map()
    problems: list[DefinitionProblem] = []
    named = defs.denominators.get(version, {})
    for name, condition in named.items():
        problems += _condition_problems(
            condition, questionnaire, f"denominators.{version}.{name}", file
        )
    needed = {i.denominator for i in defs.indicators} - {"all"}
    for name in sorted(needed - set(named)):
        problems.append(
            DefinitionProblem(
                file,
                f"denominators.{version}",
                *Code.MISSING_DENOMINATOR.says(name=name, version=version),
            )
        )
    for indicator in defs.indicators:
        rule = indicator.versions.get(version)
        if rule is None:
            problems.append(
                DefinitionProblem(
                    file,
                    indicator.id,
                    *Code.MISSING_VERSION.says(version=f"questionnaire version {version}"),
                )
            )
            continue
        at = f"{indicator.id}.{version}"
        for field in ("value", "valid_if"):
            condition = getattr(rule, field)
            if condition is not None:
                problems += _condition_problems(condition, questionnaire, f"{at}.{field}", file)
        if rule.mean_of is not None:
            target = questions.get(rule.mean_of)
            if target is None or not target.numeric:
                problems.append(
                    DefinitionProblem(
                        file,
                        f"{at}.mean_of",
                        *(
                            Code.UNKNOWN_QUESTION.says(question=rule.mean_of, survey=version)
                            if target is None
                            else Code.CONDITION_TYPE_MISMATCH.says(
                                operator="'mean_of'", question=rule.mean_of, kind=target.type
                            )
                        ),
                    )
                )
    return problems


def check_indicators(
    defs: IndicatorSet, questionnaires: Mapping[str, Questionnaire], file: str
) -> list[DefinitionProblem]:
    """Every problem of the definitions against a folder's questionnaire versions."""
    problems = [
        DefinitionProblem(file, indicator_id, *Code.MISSING_INDICATOR.says())
        for indicator_id in CONTRACT_INDICATORS
        if defs.get(indicator_id) is None
    ]
    for where, versions in (
        [("denominators", defs.denominators)]
        + [(i.id, i.versions) for i in defs.indicators]
        + [
            (f"{i.id}.{v}.comparable_with", dict.fromkeys(rule.comparable_with))
            for i in defs.indicators
            for v, rule in i.versions.items()
        ]
    ):
        for version in sorted(set(versions) - set(questionnaires)):
            problems.append(
                DefinitionProblem(
                    file, f"{where}.{version}", *Code.UNKNOWN_VERSION.says(version=version)
                )
            )
    for questionnaire in questionnaires.values():
        problems += check_version(defs, questionnaire, file)
    return problems


def read_indicators(path: Path) -> tuple[IndicatorSet | None, list[DefinitionProblem]]:
    data, problems = read_yaml(path)
    if problems:
        return None, problems
    return parse_indicators(data, path.name)


def load_indicators(
    directory: Path, questionnaires: Mapping[str, Questionnaire]
) -> tuple[IndicatorSet | None, list[DefinitionProblem]]:
    """The folder's indicators.yaml, checked against its questionnaires (for validate)."""
    path = directory / INDICATORS_FILE
    defs, problems = read_indicators(path)
    if defs is not None:
        problems += check_indicators(defs, questionnaires, path.name)
    return (None if problems else defs), problems


def indicator_set(directory: Path) -> IndicatorSet:
    """The definitions the application computes with, read again when the file changes."""
    path = directory / INDICATORS_FILE
    try:
        return _read_cached(path)
    except OSError:  # not there (read_indicators reports every other OSError as a problem)
        raise IndicatorsUnavailable(f"there is no {INDICATORS_FILE} in {directory}") from None


@reread_on_change(maxsize=8)
def _read_cached(path: Path) -> IndicatorSet:
    defs, problems = read_indicators(path)
    if defs is None or problems:
        raise _unavailable(f"{path} has {len(problems)} problem(s)", problems)
    return defs


def require_version(defs: IndicatorSet, questionnaire: Questionnaire) -> None:
    """Refuse to compute with definitions that do not fit a questionnaire version."""
    problems = check_version(defs, questionnaire, INDICATORS_FILE)
    if problems:
        raise _unavailable(
            f"{INDICATORS_FILE} does not define questionnaire version {questionnaire.id} "
            f"correctly ({len(problems)} problem(s))",
            problems,
        )


def _unavailable(detail: str, problems: list[DefinitionProblem]) -> IndicatorsUnavailable:
    return IndicatorsUnavailable(
        f"{detail}; run 'monitor survey validate'",
        [FieldError(p.where, p.code, p.message) for p in problems],
    )


def _condition_problems(
    condition: Condition, questionnaire: Questionnaire, where: str, file: str
) -> list[DefinitionProblem]:
    """Atoms against the questions they name (any question of the version), then whether
    the condition can hold at all."""
    problems: list[DefinitionProblem] = []
    questions = questionnaire.question_map()
    for atom in atoms(condition):
        target = questions.get(atom.question)
        if target is None:
            missing = Code.UNKNOWN_QUESTION.says(question=atom.question, survey=questionnaire.id)
            problems.append(DefinitionProblem(file, where, *missing))
        elif target.free_text:
            problems.append(
                DefinitionProblem(file, where, *Code.TEXT_QUESTION.says(question=atom.question))
            )
        else:
            problems += check_atom(atom, target, where, file)
    # Unknown codes never match, so the condition can still be evaluated.
    if all(p.code == Code.UNKNOWN_OPTION for p in problems) and _never_holds(condition, questions):
        problems.append(DefinitionProblem(file, where, *Code.NEVER_HOLDS.says()))
    return problems


def _never_holds(condition: Condition, questions: dict[str, Question]) -> bool:
    """True when the condition is false for every answer; found simply, not always: an
    atom, or atoms on one question side by side in an `all`, that no answer satisfies."""
    match condition:
        case AllOf(parts):
            if any(_never_holds(part, questions) for part in parts):
                return True
            by_question: dict[str, list[Condition]] = defaultdict(list)
            for part in parts:
                if not isinstance(part, AllOf | AnyOf | Not):
                    by_question[part.question].append(part)
            return any(
                not _satisfiable(AllOf(tuple(group)), questions[question])
                for question, group in by_question.items()
            )
        case AnyOf(parts):
            return all(_never_holds(part, questions) for part in parts)
        case Not():
            return False
        case _:
            return not _satisfiable(condition, questions[condition.question])


def _satisfiable(condition: Condition, question: Question) -> bool:
    """Whether some answer to `question` (or none) makes the condition hold, judged by the
    one evaluator on a few answers that witness every satisfiable case (its kind's)."""
    candidates = [None, *question.witnesses(condition)]
    rows = [{} if value is None else {question.id: value} for value in candidates]
    return bool(evaluate(condition, AnswerTable({question.id: question.type}, rows)).any())
