"""The questionnaire model: one definition file in, one read-only value out.

Structure is checked by pydantic; meaning (ids, routing, translations, ranges) by
`check_questionnaire`, which lists every problem with a stable code, after the error
catalogue of XLSForm/pyxform: authors and their tools can rely on the codes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.problems import Code
from app.questionnaires import kinds
from app.questionnaires.conditions import Condition, InCodes, InRange, atoms
from app.questionnaires.kinds import Question
from app.questionnaires.parts import (
    BACKGROUND_QUESTIONS,
    ConditionField,
    Frozen,
    Option,
    Text,
    text_in,
)

__all__ = [
    "BACKGROUND_QUESTIONS",
    "ConditionField",
    "Option",
    "Question",
    "Text",
    "text_in",
]

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
VERSION_PATTERN = re.compile(r"^[a-z][a-z0-9-]*-\d{4}\.\d+$")


class Module(Frozen):
    id: str
    title: Text
    intro: Text | None = None
    questions: tuple[Question, ...]


class Support(Frozen):
    """Support information shown to respondents for whom `show_if` holds."""

    show_if: ConditionField
    text: Text


class Questionnaire(Frozen):
    id: str
    title: Text
    intro: Text | None = None
    thanks: Text | None = None
    support: Support | None = None
    modules: tuple[Module, ...]

    def questions(self) -> list[Question]:
        return [q for m in self.modules for q in m.questions]

    def question(self, question_id: str) -> Question:
        return self.question_map()[question_id]

    def question_map(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions()}

    def kinds(self) -> dict[str, str]:
        return {q.id: q.type for q in self.questions()}

    def answers_bytes(self) -> int:
        """The most bytes a complete set of its answers can take as compact JSON (every
        question answered with its longest answer): sealed submissions are padded to a
        size derived from it, so that every one has the same size."""
        members = [len(json.dumps(q.id)) + 1 + q.answer_bytes() for q in self.questions()]
        return 2 + sum(members) + len(members) - 1


def breakdown_labels(questionnaire: Questionnaire, lang: str) -> dict[str, str]:
    """Breakdown group code -> its option label in this questionnaire version."""
    questions = questionnaire.question_map()
    return {
        o.code: text_in(o.label, lang)
        for qid in BACKGROUND_QUESTIONS
        for o in questions[qid].choices()
    }


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in a definition file; `where` is a question id or a path."""

    file: str
    where: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: [{self.code}] {self.message}"


def text_problems(text: Text | None, file: str, where: str, field: str) -> list[DefinitionProblem]:
    """A translated text in every language and in no other (questionnaires and indicators)."""
    if text is None:
        return []
    problems = [
        DefinitionProblem(file, where, *Code.MISSING_TRANSLATION.says(field=field, lang=lang))
        for lang in LANGUAGES
        if not (text.get(lang) or "").strip()
    ]
    problems += [
        DefinitionProblem(file, where, *Code.UNKNOWN_LANGUAGE.says(field=field, lang=lang))
        for lang in sorted(set(text) - set(LANGUAGES))
    ]
    return problems


def check_questionnaire(q: Questionnaire, file: str) -> list[DefinitionProblem]:
    """Every problem of meaning in a structurally valid questionnaire."""
    problems: list[DefinitionProblem] = []

    def problem(where: str, code: Code, **fields: Any) -> None:
        problems.append(DefinitionProblem(file, where, *code.says(**fields)))

    def check_text(where: str, field: str, text: Text | None) -> None:
        problems.extend(text_problems(text, file, where, field))

    if not VERSION_PATTERN.match(q.id):
        problem(q.id, Code.INVALID_VERSION_ID)
    check_text("questionnaire", "title", q.title)
    check_text("questionnaire", "intro", q.intro)
    check_text("questionnaire", "thanks", q.thanks)

    module_ids: set[str] = set()
    earlier: dict[str, Question] = {}
    for module in q.modules:
        if module.id in module_ids:
            problem(module.id, Code.DUPLICATE_MODULE_ID, module=module.id)
        module_ids.add(module.id)
        check_text(f"module {module.id}", "title", module.title)
        check_text(f"module {module.id}", "intro", module.intro)
        if not module.questions:
            problem(f"module {module.id}", Code.EMPTY_MODULE)
        for question in module.questions:
            problems.extend(_check_question(question, earlier, file, check_text))
            if question.id in earlier:
                problem(question.id, Code.DUPLICATE_QUESTION_ID)
            earlier[question.id] = question

    problems.extend(_check_background(earlier, file))
    if q.support is not None:
        check_text("support", "text", q.support.text)
        problems.extend(_check_condition(q.support.show_if, "support", earlier, file))
    return problems


def _check_question(q: Question, earlier: dict[str, Question], file: str, check_text: Any):
    problems: list[DefinitionProblem] = []

    def problem(code: str, message: str) -> None:
        problems.append(DefinitionProblem(file, q.id, code, message))

    if not ID_PATTERN.match(q.id):
        problem(*Code.INVALID_ID.says())
    check_text(q.id, "text", q.text)
    check_text(q.id, "help", q.help)
    for code, message in kinds.definition_problems(q, earlier, partial(check_text, q.id)):
        problem(code, message)
    if q.show_if is not None:
        problems.extend(_check_condition(q.show_if, q.id, earlier, file))
    return problems


def _check_condition(
    condition: Condition, where: str, earlier: dict[str, Question], file: str
) -> list[DefinitionProblem]:
    """Check that a condition names earlier questions with codes and ranges they have."""
    problems: list[DefinitionProblem] = []
    for atom in atoms(condition):
        target = earlier.get(atom.question)
        if target is None:
            code = Code.FORWARD_REFERENCE if atom.question != where else Code.SELF_REFERENCE
            problems.append(DefinitionProblem(file, where, *code.says(question=atom.question)))
            continue
        problems.extend(check_atom(atom, target, where, file))
    return problems


def check_atom(atom: Any, target: Question, where: str, file: str) -> list[DefinitionProblem]:
    """Check one atom against the question it names (shared with indicator definitions)."""
    problems: list[DefinitionProblem] = []
    if isinstance(atom, InCodes):
        if not target.offers_options:
            problems.append(
                DefinitionProblem(
                    file,
                    where,
                    *Code.CONDITION_TYPE_MISMATCH.says(
                        operator="'in'/'not_in'", question=target.id, kind=target.type
                    ),
                )
            )
        else:
            for code in sorted(set(atom.codes) - target.option_codes()):
                problems.append(
                    DefinitionProblem(
                        file, where, *Code.UNKNOWN_OPTION.says(code=code, question=target.id)
                    )
                )
    elif isinstance(atom, InRange) and not target.numeric:
        problems.append(
            DefinitionProblem(
                file,
                where,
                *Code.CONDITION_TYPE_MISMATCH.says(
                    operator="'min'/'max'", question=target.id, kind=target.type
                ),
            )
        )
    return problems


def _check_background(questions: dict[str, Question], file: str) -> list[DefinitionProblem]:
    problems: list[DefinitionProblem] = []
    for qid in BACKGROUND_QUESTIONS:
        q = questions.get(qid)
        if q is None:
            problems.append(
                DefinitionProblem(file, qid, *Code.MISSING_BACKGROUND.says(question=qid))
            )
        elif not q.background or not q.required or q.show_if is not None:
            problems.append(DefinitionProblem(file, qid, *Code.INVALID_BACKGROUND.says()))
    return problems
