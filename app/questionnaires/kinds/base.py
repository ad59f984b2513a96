"""What every question is, and what the rest of the application asks of one: each kind
answers in its own module (choice, integer, text), so that nothing outside them looks at
a question's type name."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

import numpy as np
from pydantic import PrivateAttr, SerializerFunctionWrapHandler, model_serializer

from app.questionnaires.conditions import Condition
from app.questionnaires.parts import ConditionField, Frozen, Option, Text

Problem = tuple[str, str]  # (code, message): of a definition, or of an answer
CheckText = Callable[[str, Text | None], None]  # reports a translated text's problems
Earlier = Mapping[str, "QuestionBase"]  # the questions before one, by id
Measure = Literal["nominal", "ordinal", "scale"]  # SPSS's levels of measurement
Words = Mapping[str, Mapping[str, str]]  # texts per language, by key


@dataclass(frozen=True)
class AnswerColumn:
    """A column of the analysis file made of a question's answers; app.exports makes it
    a column of its table."""

    name: str  # the question id, or `<id>__<code>` for one option of a multi question
    label: str
    values: list[Any]  # numbers (NaN for no answer) when numeric, else codes (None)
    numeric: bool  # numbers here are whole numbers
    value_labels: Mapping[Any, str] | None = None
    measure: Measure = "nominal"


class QuestionBase(Frozen):
    id: str
    type: str
    text: Text
    help: Text | None = None
    required: bool = True
    show_if: ConditionField | None = None
    # The fields of other kinds its definition gave it (each check says misplaced_field).
    _misplaced: frozenset[str] = PrivateAttr(frozenset())

    # What a kind is, asked by the rest of the application (each kind sets its own).
    template: ClassVar[str] = ""  # its part of a survey page, in app/web/templates
    offers_options: ClassVar[bool] = False  # answered with option codes: `in`/`not_in` apply
    answer_is_set: ClassVar[bool] = False  # a set of codes: `in` holds when any is listed
    numeric: ClassVar[bool] = False  # answered with a number: `min`/`max` and a mean apply
    free_text: ClassVar[bool] = False  # never enters a statistic
    background: ClassVar[bool] = False  # may be a background question
    misplaced: ClassVar[str] = ""  # the misplaced_field message for its fields elsewhere
    # The survey page's words for it per language: "required", an optional "hint" and a
    # text per code of its answer problems; "{min}" and the like name its fields.
    words: ClassVar[Words] = {}

    @classmethod
    def kind_name(cls) -> str:
        """The `type` of its definitions."""
        return str(get_args(cls.model_fields["type"].annotation)[0])

    @classmethod
    def own_fields(cls) -> frozenset[str]:
        """The fields of its kind, beyond those every question has."""
        return frozenset(cls.model_fields) - frozenset(QuestionBase.model_fields)

    @classmethod
    def of(cls, values: Mapping[str, Any], misplaced: frozenset[str]) -> QuestionBase:
        """The question with these validated values and the other kinds' fields it had."""
        question = cls.model_construct(**values)
        question._misplaced = misplaced
        return question

    @property
    def misplaced_fields(self) -> frozenset[str]:
        return self._misplaced

    @model_serializer(mode="wrap")
    def _show_if_last(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """show_if after the kind's fields, where it has always been in the served JSON."""
        data: dict[str, Any] = handler(self)
        if "show_if" in data:
            data["show_if"] = data.pop("show_if")
        return data

    # --- the definition ---------------------------------------------------------------

    def definition_problems(self, earlier: Earlier, check_text: CheckText) -> list[Problem]:
        """The problems of its own fields (`earlier`: the questions before it by id)."""
        return []

    def choices(self) -> tuple[Option, ...]:
        return ()

    def option_codes(self) -> set[str]:
        return {o.code for o in self.choices()}

    def value_range(self) -> tuple[float, float]:
        """The numbers an answer can be (a numeric kind's range), unbounded otherwise."""
        return -math.inf, math.inf

    def offered_options(self, answers: Mapping[str, Any]) -> list[Option]:
        """The options a respondent sees: those of another organisation are left out."""
        organisation = answers.get("organisation")
        return [o for o in self.choices() if o.organisation in (None, organisation)]

    # --- answers --------------------------------------------------------------------

    def check(self, value: Any, answers: Mapping[str, Any]) -> Problem | None:
        """Why `value` is not a valid answer given the other answers; None when it is."""
        return None

    def answer_bytes(self) -> int:
        """The most bytes its answer can take as compact JSON in UTF-8: what the survey
        page pads every sealed submission to (app.questionnaires.schema.answers_bytes)."""
        raise NotImplementedError(self.type)

    def witnesses(self, condition: Condition) -> list[Any]:
        """Answers among which one satisfies the condition on this question, if any does
        (with no answer): every code, or any text."""
        return [o.code for o in self.choices()] or [""]

    def columns(self, answers: list[Any], lang: str) -> list[AnswerColumn]:
        """Its columns in the analysis file (none: free text never leaves the database)."""
        return []

    # --- answers as codes (app.responses.coded) ---------------------------------------

    def code_dtype(self) -> np.dtype:
        """The numpy type of its answer in a coded response, in which all zero bytes
        mean no answer."""
        raise TypeError(f"a {self.type} question has no coded form")

    def encode(self, answers: Sequence[Any]) -> np.ndarray:
        """Valid answers (None where there is none) as values of `code_dtype`."""
        raise TypeError(f"a {self.type} question has no coded form")

    def decode(self, coded: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """From its coded answers: the distinct answers (None for no answer) and each
        row's index among them (what `AnswerTable.codes` gives)."""
        raise TypeError(f"a {self.type} question has no coded form")

    # --- the survey page ------------------------------------------------------------

    def from_form(self, given: Sequence[str]) -> Any:
        """The answer in a submitted form's values for it (None for none); a value that
        is not an answer is passed on as it is, for `check` to name."""
        if len(given) > 1:
            return list(given)  # not one answer
        return self.from_field(given[0] if given else "")

    def from_field(self, text: str) -> Any:
        return text.strip() or None

    def form_value(self, value: Any) -> str:
        """What its field holds on the page."""
        return "" if value is None else str(value)

    def answer_texts(self, value: Any, lang: str) -> list[str]:
        """The answer as the review page shows it."""
        return [] if value is None else [str(value)]

    def hint(self, lang: str) -> str:
        """The line under the question that says how to answer it ('' for none)."""
        return self._words(lang, "hint") or ""

    def error_text(self, code: str, lang: str, value: Any = None) -> str | None:
        """Its own words for an answer problem, None where the general ones serve."""
        return self._words(lang, code)

    def _words(self, lang: str, key: str) -> str | None:
        words = self.words.get(lang, {}).get(key)
        return None if words is None else words.format(**dict(self))


def smallest_unsigned(largest: int) -> np.dtype:
    """The smallest little-endian unsigned integer type that holds 0..largest."""
    for name in ("u1", "<u2", "<u4", "<u8"):
        if largest <= np.iinfo(np.dtype(name)).max:
            return np.dtype(name)
    raise ValueError(f"{largest} is too large for a coded answer")


def distinct_codes(coded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of a coded column (sorted: 0, no answer, first if present)
    and each row's index among them."""
    distinct, index = np.unique(coded, return_inverse=True)
    return distinct, index.reshape(-1).astype(np.intp, copy=False)


class UnknownKind(QuestionBase):
    """A question whose type is no kind: kept, so that every other problem of its file is
    found too (app.questionnaires.kinds reports it as unknown_type)."""
