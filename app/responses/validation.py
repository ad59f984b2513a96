"""Answers against their questionnaire: routing, types, ranges, the frame's cells.

The same rules serve the API, the survey pages (which also use `visible_questions` to
show one page at a time) and the demo's synthetic respondents.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from typing import Any

import numpy as np

from app.problems import Code, FieldError
from app.questionnaires.conditions import RowAnswers, evaluate, holds
from app.questionnaires.schema import Question, Questionnaire
from app.responses.answers import AnswerTable

Cell = tuple[str, str, str]


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
                f"answers.{qid}", *Code.UNKNOWN_QUESTION.says(question=qid, survey="this survey")
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
                    errors[i].append(FieldError(loc, *Code.NOT_SHOWN.says()))
            elif value is None:
                if question.required:
                    errors[i].append(FieldError(loc, *Code.REQUIRED.says()))
            else:
                problem = question.check(value, kept[i])
                if problem is None:
                    kept[i][question.id] = value
                else:
                    errors[i].append(FieldError(loc, *problem))
        table.set_column(question.id, [k.get(question.id) for k in kept])
    for i, answers_kept in enumerate(kept):
        cell = tuple(answers_kept.get(qid) for qid in ("organisation", "unit", "function_group"))
        if None not in cell and cell not in cells:
            errors[i].append(FieldError("answers.function_group", *Code.UNKNOWN_CELL.says()))
    return list(zip(kept, errors, strict=True))
