"""The question kinds, one module each, and their registry.

A question's `type` names its kind; a question is an object of its kind's class, and the
rest of the application asks it (the methods and class attributes of `QuestionBase`),
never its type name. A new kind is a module with its class, a template in
app/web/templates/kinds/ and its place in KINDS.

`Question` is the pydantic field type of a question: validated as the one model with
every kind's fields (so that structure errors keep their paths, with no kind name in
them), then made an object of its kind. What a tagged union would refuse, a type that is
no kind and a field of another kind, the checks report instead (`unknown_type`,
`misplaced_field`), next to every other problem of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import ConfigDict, PlainValidator, SerializeAsAny, create_model

from app.problems import Code
from app.questionnaires.conditions import SET_ANSWERS
from app.questionnaires.kinds.base import (
    AnswerColumn,
    CheckText,
    Measure,
    Problem,
    QuestionBase,
    UnknownKind,
)
from app.questionnaires.kinds.choice import MultiQuestion, ScaleQuestion, SingleQuestion
from app.questionnaires.kinds.integer import IntegerQuestion
from app.questionnaires.kinds.text import TextQuestion

__all__ = [
    "KINDS",
    "AnswerColumn",
    "Measure",
    "Question",
    "QuestionBase",
    "definition_problems",
    "kind_named",
]

KINDS: tuple[type[QuestionBase], ...] = (
    SingleQuestion,
    MultiQuestion,
    ScaleQuestion,
    IntegerQuestion,
    TextQuestion,
)
_BY_NAME = {kind.kind_name(): kind for kind in KINDS}
SET_ANSWERS.update(name for name, kind in _BY_NAME.items() if kind.answer_is_set)


def kind_named(name: str | None) -> type[QuestionBase]:
    """The kind a type name names (UnknownKind for none)."""
    return _BY_NAME.get(name or "", UnknownKind)


def _every_field() -> dict[str, Any]:
    """The fields of every kind, as one model had them: show_if last, any type."""
    fields = {name: (f.annotation, f) for k in KINDS for name, f in k.model_fields.items()}
    fields["type"] = (str, QuestionBase.model_fields["type"])
    fields["show_if"] = fields.pop("show_if")
    return fields


_AnyKind = create_model(  # type: ignore[call-overload]
    "Question", __config__=ConfigDict(extra="forbid", frozen=True), **_every_field()
)


def _as_kind(data: Any) -> QuestionBase:
    if isinstance(data, QuestionBase):
        return data
    draft = _AnyKind.model_validate(data)
    kind = kind_named(draft.type)
    given = {name: getattr(draft, name) for name in draft.model_fields_set}
    own = {name: value for name, value in given.items() if name in kind.model_fields}
    misplaced = frozenset(
        name for name, value in given.items() if name not in own and value is not None
    )
    return kind.of(own, misplaced)


Question = Annotated[SerializeAsAny[QuestionBase], PlainValidator(_as_kind)]

# The fields of each kind, in KINDS's order, and what a question of another kind with
# some of them is told.
_FIELDS = tuple(dict.fromkeys(kind.own_fields() for kind in KINDS))
_MISPLACED = {kind.own_fields(): kind.misplaced for kind in KINDS}


def definition_problems(
    question: QuestionBase, earlier: Mapping[str, QuestionBase], check_text: CheckText
) -> list[Problem]:
    """An unknown type; then, for each kind's fields in turn, the checks of the question's
    kind where they are its own and misplaced_field where it has some it should not (the
    order in which the one model with every field was checked)."""
    problems: list[Problem] = []
    if question.type not in _BY_NAME:
        names = ", ".join(_BY_NAME)
        problems.append(Code.UNKNOWN_TYPE.says(kind=question.type, kinds=names))
    for fields in _FIELDS:
        if fields == question.own_fields():
            problems += question.definition_problems(earlier, check_text)
        elif fields & question.misplaced_fields:
            detail = _MISPLACED[fields].format(type=question.type)
            problems.append(Code.MISPLACED_FIELD.says(detail=detail))
    return problems
