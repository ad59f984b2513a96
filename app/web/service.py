"""What a survey page shows, what a submitted page means and where the respondent goes next.

Routing, option filtering and validation are those of the questionnaire and responses
packages (`visible_questions`, a question's `offered_options`, `validate_answers`), and a
question's field is read as its kind says (`from_form`); this module only arranges them
into one page per module.

A question is *displayed* when it is visible given the answers so far and, if it is a
choice question, at least one of its options is offered (the list of units waits for the
organisation). When a page's own answers make new questions appear on it, the page is
shown again with them, after the redirect that follows every accepted page (JavaScript
off), or the page script reveals them at once, using the `show_if` conditions it is given
here (JavaScript on).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.problems import Code, FieldError
from app.questionnaires.conditions import AllOf, AnyOf, Condition, Not, atoms, dump_condition, holds
from app.questionnaires.schema import Module, Option, Question, Questionnaire
from app.responses.validation import Cell, validate_answers, visible_questions
from app.web.texts import error_message

# The page's own form fields start with "_", which no question id does. SHOWN_FIELD
# lists the questions the respondent saw on the submitted page: the page script disables
# it together with a question it hides, so it is sent only for questions on screen.
SHOWN_FIELD = "_shown"
ACTION_FIELD = "_action"  # next, back, stop ("Save and continue later"), change:…, send
PAGE_FIELD = "_page"  # which page the form is of: a module id, or REVIEW_PAGE
REVIEW_PAGE = "_review"  # the review page's (the modules of our definitions are words)


@dataclass(frozen=True)
class Routing:
    """What exists for a respondent with these answers."""

    answers: dict[str, Any]  # the answers that count: those of visible questions
    visible: frozenset[str]

    @classmethod
    def of(cls, questionnaire: Questionnaire, answers: Mapping[str, Any]) -> Routing:
        shown = visible_questions(questionnaire, answers)
        counted = {q.id: answers[q.id] for q in shown if answers.get(q.id) is not None}
        return cls(counted, frozenset(q.id for q in shown))

    def displayed(self, question: Question) -> bool:
        if question.id not in self.visible:
            return False
        return not question.offers_options or bool(question.offered_options(self.answers))

    def modules(self, questionnaire: Questionnaire) -> list[Module]:
        """The modules that have a page for this respondent."""
        return [m for m in questionnaire.modules if any(map(self.displayed, m.questions))]


def find_module(questionnaire: Questionnaire, module_id: str) -> Module | None:
    return next((m for m in questionnaire.modules if m.id == module_id), None)


def module_after(questionnaire: Questionnaire, routing: Routing, module: Module) -> Module | None:
    """The page after `module`; None means the review page."""
    order = [m.id for m in questionnaire.modules]
    start = order.index(module.id)
    return next((m for m in routing.modules(questionnaire) if order.index(m.id) > start), None)


def module_before(
    questionnaire: Questionnaire, routing: Routing, module: Module | None
) -> Module | None:
    """The page before `module` (before the review for None); None on the first page."""
    order = [m.id for m in questionnaire.modules]
    end = len(order) if module is None else order.index(module.id)
    earlier = [m for m in routing.modules(questionnaire) if order.index(m.id) < end]
    return earlier[-1] if earlier else None


def question_of(error: FieldError) -> str:
    """`answers.threat_count` -> `threat_count`."""
    return error.loc.removeprefix("answers.")


def first_module_with_errors(
    questionnaire: Questionnaire, errors: Sequence[FieldError]
) -> Module | None:
    """Where a respondent continues: the first page with a question still to answer."""
    wrong = {question_of(e) for e in errors}
    return next((m for m in questionnaire.modules if any(q.id in wrong for q in m.questions)), None)


# --- a page as shown ------------------------------------------------------------------


@dataclass(frozen=True)
class OptionView:
    option: Option
    offered: bool
    checked: bool


@dataclass(frozen=True)
class FieldView:
    question: Question
    displayed: bool
    options: list[OptionView]
    value: str  # what an integer or text field holds
    error: str | None
    condition: str | None  # show_if as JSON for the page script, None when not needed
    filtered: bool  # its options follow the organisation chosen on this same page
    rules: str | None = None  # how the page script judges it, as JSON (whole_form only)

    @property
    def input_id(self) -> str:
        """The element an error link points at: the first offered option, or the field."""
        offered = [o.option.code for o in self.options if o.offered]
        return f"{self.question.id}-{offered[0]}" if offered else f"field-{self.question.id}"


def page_fields(
    questionnaire: Questionnaire,
    module: Module,
    routing: Routing,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> list[FieldView]:
    """The questions of a module page. Questions that cannot appear on this page are left
    out; those that may appear as its answers change are included but hidden."""
    page_ids = {q.id for q in module.questions}
    organisation_on_page = "organisation" in page_ids
    kinds = questionnaire.kinds()
    fields = []
    for question in module.questions:
        displayed = routing.displayed(question)
        if not displayed and not _depends_on_page(question, page_ids):
            continue
        value = values.get(question.id)
        chosen = set(value) if isinstance(value, list) else {value}
        offered = {o.code for o in question.offered_options(routing.answers)}
        options = [
            OptionView(option, option.code in offered, option.code in chosen)
            for option in question.choices()
            if organisation_on_page or option.code in offered
        ]
        condition = None
        if question.show_if is not None and _depends_on_page(question, page_ids):
            condition = json.dumps(
                _page_condition(question.show_if, page_ids, kinds, routing.answers),
                separators=(",", ":"),
            )
        fields.append(
            FieldView(
                question=question,
                displayed=displayed,
                options=options,
                value=question.form_value(value),
                error=errors.get(question.id),
                condition=condition,
                filtered=organisation_on_page and _organisation_bound(question),
            )
        )
    return fields


# The answer problems the page script finds itself (JavaScript on, whole_form): the
# others cannot arise there (it offers only the options it may, and an exclusive option
# clears the rest).
PAGE_CHECKS = (Code.REQUIRED, Code.WRONG_TYPE, Code.OUT_OF_RANGE, Code.TOO_LONG, Code.INVALID_TEXT)


def whole_form(questionnaire: Questionnaire, lang: str) -> list[FieldView]:
    """Every question of the questionnaire with every option and its whole show_if, for
    the page script that routes the questionnaire in the page: the same for every
    respondent, so it says nothing about anyone's answers. Each carries its `rules`:
    whether it is required, its range or length, and its error messages in `lang`."""
    fields = []
    for question in questionnaire.questions():
        messages = {
            code.value: error_message(FieldError("", code, ""), question, lang)
            for code in PAGE_CHECKS
        }
        low, high = question.value_range()
        rules = {
            "text": question.text[lang],
            "required": question.required,
            "min": None if low == -math.inf else low,
            "max": None if high == math.inf else high,
            "max_length": getattr(question, "max_length", None),
            "messages": messages,
        }
        fields.append(
            FieldView(
                question=question,
                displayed=True,
                options=[OptionView(option, True, False) for option in question.choices()],
                value="",
                error=None,
                condition=None
                if question.show_if is None
                else json.dumps(dump_condition(question.show_if), separators=(",", ":")),
                filtered=_organisation_bound(question),
                rules=json.dumps(rules, separators=(",", ":"), ensure_ascii=False),
            )
        )
    return fields


def _depends_on_page(question: Question, page_ids: set[str]) -> bool:
    """Whether answers on this page can change if (or with which options) it is shown."""
    if question.show_if is not None and any(
        a.question in page_ids for a in atoms(question.show_if)
    ):
        return True
    return "organisation" in page_ids and _organisation_bound(question)


def _organisation_bound(question: Question) -> bool:
    """Whether some of its options are for one organisation only."""
    return question.id != "organisation" and any(o.organisation for o in question.choices())


def _page_condition(
    condition: Condition, page_ids: set[str], kinds: Mapping[str, str], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The condition for the page script: atoms on questions of other pages are replaced
    by their value, so that no answer from another page is put in this one."""
    match condition:
        case AllOf(parts):
            return {"all": [_page_condition(p, page_ids, kinds, answers) for p in parts]}
        case AnyOf(parts):
            return {"any": [_page_condition(p, page_ids, kinds, answers) for p in parts]}
        case Not(part):
            return {"not": _page_condition(part, page_ids, kinds, answers)}
    if condition.question in page_ids:
        return dump_condition(condition)
    return {"const": holds(condition, kinds, answers)}


def error_messages(
    questionnaire: Questionnaire, errors: Sequence[FieldError], lang: str, values: Mapping[str, Any]
) -> list[tuple[Question, str]]:
    """Errors of validate_answers in the respondent's words, with their questions."""
    questions = questionnaire.question_map()
    return [
        (question, error_message(error, question, lang, values.get(question.id)))
        for error in errors
        if (question := questions.get(question_of(error))) is not None
    ]


# --- a page as submitted --------------------------------------------------------------


def read_page(module: Module, form: Mapping[str, Sequence[str]]) -> tuple[set[str], dict[str, Any]]:
    """The questions the respondent saw on the page and their answers as given (None
    for no answer). Fields of other modules are ignored."""
    page_ids = {q.id for q in module.questions}
    shown = {qid for qid in form.get(SHOWN_FIELD, ()) if qid in page_ids}
    values = {q.id: q.from_form(form.get(q.id, ())) for q in module.questions if q.id in shown}
    return shown, values


@dataclass(frozen=True)
class PageResult:
    answers: dict[str, Any]  # the valid answers, all modules: what is saved
    errors: list[FieldError]  # this page's problems, for questions the respondent saw
    remaining: list[FieldError]  # every problem left in the questionnaire
    added: list[Question]  # displayed now, but not seen when the page was submitted


def submit_page(
    questionnaire: Questionnaire,
    module: Module,
    saved: Mapping[str, Any],
    shown: set[str],
    values: Mapping[str, Any],
    cells: Sequence[Cell] | set[Cell],
) -> PageResult:
    """Merge a submitted page into the saved answers and judge it with validate_answers.

    Answers that the page's new answers hide (anywhere in the questionnaire) are dropped.
    """
    page_ids = {q.id for q in module.questions}
    merged = {qid: value for qid, value in saved.items() if qid not in page_ids}
    merged.update({qid: value for qid, value in values.items() if value is not None})
    seen = set(shown)
    if "organisation" in seen and merged.get("organisation") != saved.get("organisation"):
        # Without JavaScript the page listed the options of the organisation given
        # before; a choice from that list is no answer for the new one: ask again.
        for question in module.questions:
            if (
                question.id in merged
                and _organisation_bound(question)
                and not _offered(question, merged[question.id], merged)
            ):
                del merged[question.id]
                seen.discard(question.id)
    kept, errors = validate_answers(questionnaire, merged, cells)
    routing = Routing.of(questionnaire, kept)
    return PageResult(
        answers=kept,
        errors=[e for e in errors if question_of(e) in seen and e.code != Code.NOT_SHOWN],
        remaining=[e for e in errors if e.code != Code.NOT_SHOWN],
        added=[q for q in module.questions if routing.displayed(q) and q.id not in seen],
    )


def _offered(question: Question, value: Any, answers: Mapping[str, Any]) -> bool:
    codes = {o.code for o in question.offered_options(answers)}
    return all(code in codes for code in (value if isinstance(value, list) else [value]))


# --- review and support ---------------------------------------------------------------


@dataclass(frozen=True)
class ReviewRow:
    question: Question
    answer: list[str]  # option labels, the number or the text; empty when not answered


@dataclass(frozen=True)
class ReviewSection:
    module: Module
    rows: list[ReviewRow]


def review_sections(
    questionnaire: Questionnaire, answers: Mapping[str, Any], lang: str
) -> list[ReviewSection]:
    routing = Routing.of(questionnaire, answers)
    return [
        ReviewSection(
            module,
            [
                ReviewRow(q, q.answer_texts(routing.answers.get(q.id), lang))
                for q in module.questions
                if routing.displayed(q)
            ],
        )
        for module in routing.modules(questionnaire)
    ]


def support_applies(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> bool:
    """Whether the questionnaire's support information is for this respondent."""
    support = questionnaire.support
    if support is None:
        return False
    return holds(support.show_if, questionnaire.kinds(), Routing.of(questionnaire, answers).answers)
