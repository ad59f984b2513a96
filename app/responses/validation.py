"""Answers against their questionnaire: routing, types, ranges, the frame's cells.

The same rules serve the API, the survey pages (which also use `visible_questions` to
show one page at a time) and the demo's synthetic respondents.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from typing import Any

import numpy as np

from app.problems import FieldError
from app.questionnaires.conditions import RowAnswers, evaluate, holds
from app.questionnaires.schema import Option, Question, Questionnaire
from app.responses.answers import AnswerTable

Cell = tuple[str, str, str]


def offered_options(question: Question, answers: Mapping[str, Any]) -> list[Option]:
    """The options a respondent sees: those of another organisation are left out."""
    organisation = answers.get("organisation")
    return [o for o in question.options or () if o.organisation in (None, organisation)]


def is_shown(question: Question, kinds: Mapping[str, str], answers: Mapping[str, Any]) -> bool:
    return question.show_if is None or holds(question.show_if, kinds, answers)


def visible_questions(questionnaire: Questionnaire, answers: Mapping[str, Any]) -> list[Question]:
    """The questions that exist for a respondent with these answers, in order."""
    kinds = questionnaire.kinds()
    kept: dict[str, Any] = {}
    shown = []
    for question in questionnaire.questions():
        if is_shown(question, kinds, kept):
            shown.append(question)
            if answers.get(question.id) is not None:
                kept[question.id] = answers[question.id]
    return shown


def _check_value(
    question: Question, value: Any, answers: Mapping[str, Any]
) -> tuple[str, str] | None:
    """(code, message) when the value is not a valid answer to the question."""
    kind = question.type
    if kind in ("single", "scale"):
        if not isinstance(value, str):
            return "wrong_type", "expected one option code (a string)"
        if value not in {o.code for o in offered_options(question, answers)}:
            return "invalid_option", f"'{value}' is not one of the options offered"
    elif kind == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "wrong_type", "expected a list of option codes"
        if not value:
            return "empty_choice", "choose at least one option"
        if len(set(value)) != len(value):
            return "duplicate_option", "an option code is listed twice"
        offered = {o.code: o for o in offered_options(question, answers)}
        unknown = [v for v in value if v not in offered]
        if unknown:
            return "invalid_option", f"not offered: {', '.join(map(repr, unknown))}"
        if len(value) > 1 and any(offered[v].exclusive for v in value):
            return "exclusive_option", "an exclusive option cannot be combined with others"
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return "wrong_type", "expected a whole number"
        assert question.min is not None and question.max is not None
        if not question.min <= value <= question.max:
            return "out_of_range", f"must be between {question.min} and {question.max}"
    elif kind == "text":
        if not isinstance(value, str):
            return "wrong_type", "expected text"
        assert question.max_length is not None
        if len(value) > question.max_length:
            return "too_long", f"at most {question.max_length} characters"
        if "\x00" in value:
            return "invalid_text", "text may not contain NUL characters"
    return None


def validate_answers(
    questionnaire: Questionnaire, answers: Mapping[str, Any], cells: Container[Cell]
) -> tuple[dict[str, Any], list[FieldError]]:
    """The answers to store (nulls dropped) and every problem with them, in question order."""
    return validate_many(questionnaire, [answers], cells)[0]


def validate_many(
    questionnaire: Questionnaire, batch: Sequence[Mapping[str, Any]], cells: Container[Cell]
) -> list[tuple[dict[str, Any], list[FieldError]]]:
    """`validate_answers` for many responses at once, routing evaluated on columns.

    Routing is judged on the valid answers: a question whose condition needs an answer
    that was invalid or missing is treated as not shown.
    """
    questions = questionnaire.question_map()
    kept: list[dict[str, Any]] = [{} for _ in batch]
    errors: list[list[FieldError]] = [
        [
            FieldError(
                f"answers.{qid}", "unknown_question", f"'{qid}' is not a question of this survey"
            )
            for qid in answers
            if qid not in questions
        ]
        for answers in batch
    ]
    kinds = questionnaire.kinds()
    table = RowAnswers(kinds, kept[0]) if len(batch) == 1 else AnswerTable(kinds, kept)
    for question in questionnaire.questions():
        loc = f"answers.{question.id}"
        shown = np.broadcast_to(
            evaluate(question.show_if, table) if question.show_if is not None else True,
            len(batch),
        )
        for i, answers in enumerate(batch):
            value = answers.get(question.id)
            if not shown[i]:
                if value is not None:
                    errors[i].append(
                        FieldError(
                            loc, "not_shown", "this question is not asked given the other answers"
                        )
                    )
            elif value is None:
                if question.required:
                    errors[i].append(FieldError(loc, "required", "this question needs an answer"))
            else:
                problem = _check_value(question, value, kept[i])
                if problem is None:
                    kept[i][question.id] = value
                else:
                    errors[i].append(FieldError(loc, *problem))
        table.set_column(question.id, [k.get(question.id) for k in kept])
    for i, answers_kept in enumerate(kept):
        cell = tuple(answers_kept.get(qid) for qid in ("organisation", "unit", "function_group"))
        if None not in cell and cell not in cells:
            errors[i].append(
                FieldError(
                    "answers.function_group",
                    "unknown_cell",
                    "this combination of organisation, unit and function group is not in the "
                    "wave's population",
                )
            )
    return list(zip(kept, errors, strict=True))
