"""The choice kinds: one option (single), one option on an ordered scale (scale), or
several options (multi)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from app.problems import Code
from app.questionnaires.conditions import Condition, InCodes, atoms
from app.questionnaires.kinds.base import (
    AnswerColumn,
    CheckText,
    Earlier,
    Measure,
    Problem,
    QuestionBase,
    Words,
    distinct_codes,
    smallest_unsigned,
)
from app.questionnaires.parts import BACKGROUND_QUESTIONS, Option, Text, text_in

# Option codes end up in frames (32-character columns) and analysis-file column names.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,31}$")
# The longest id of a breakdown question (the stored figures' `breakdown` column).
BREAKDOWN_ID_LENGTH = 16


def _compact(codes: list[str]) -> bytes:
    return json.dumps(codes, separators=(",", ":"), ensure_ascii=False).encode()


class ChoiceQuestion(QuestionBase):
    """What the choice kinds share: options, some for one organisation only."""

    options: tuple[Option, ...] | None = None
    # Figures are also broken down by its answers (`by=<id>`): the breakdown's short name
    # ("Leeftijd" / "Age") marks it as one.
    breakdown: Text | None = None

    template = "kinds/choice.html"
    offers_options = True
    misplaced = "a {type} question has no options"
    measure: ClassVar[Measure] = "nominal"
    words: ClassVar[Words] = {
        "nl": {Code.REQUIRED: "Kies een antwoord"},
        "en": {Code.REQUIRED: "Choose an answer"},
    }

    def choices(self) -> tuple[Option, ...]:
        return self.options or ()

    def definition_problems(self, earlier: Earlier, check_text: CheckText) -> list[Problem]:
        problems: list[Problem] = []
        if not self.options:
            problems.append(Code.MISSING_OPTIONS.says(kind=self.type))
        organisations = earlier["organisation"].option_codes() if "organisation" in earlier else ()
        seen: set[str] = set()
        for option in self.choices():
            if option.code in seen:
                problems.append(Code.DUPLICATE_OPTION.says(code=option.code))
            seen.add(option.code)
            if not CODE_PATTERN.match(option.code):
                problems.append(Code.INVALID_OPTION_CODE.says(code=option.code))
            check_text(f"label of option '{option.code}'", option.label)
            if option.organisation is not None and option.organisation not in organisations:
                problems.append(
                    Code.UNKNOWN_ORGANISATION.says(
                        organisation=option.organisation,
                        where=f" (named by option '{option.code}')",
                        known=", ".join(sorted(organisations)) or "none: no earlier 'organisation'",
                    )
                )
            if option.exclusive and not self.answer_is_set:
                detail = "'exclusive' belongs to options of multi questions"
                problems.append(Code.MISPLACED_FIELD.says(detail=detail))
        if self.breakdown is not None:
            check_text("breakdown", self.breakdown)
            if not self.can_be_breakdown():
                problems.append(Code.INVALID_BREAKDOWN.says())
        return problems

    def can_be_breakdown(self) -> bool:
        """Its groups partition every wave's respondents and are stored under its id: one
        answer from everyone, and an id that is no frame breakdown and fits the column."""
        return (
            not self.answer_is_set
            and self.required
            and self.show_if is None
            and self.id not in ("none", *BACKGROUND_QUESTIONS)
            and len(self.id) <= BREAKDOWN_ID_LENGTH
        )

    def check(self, value: Any, answers: Mapping[str, Any]) -> Problem | None:
        if not isinstance(value, str):
            return Code.WRONG_TYPE.says(expected="one option code (a string)")
        if value not in {o.code for o in self.offered_options(answers)}:
            return Code.INVALID_OPTION.says(options=repr(value))
        return None

    def answer_bytes(self) -> int:
        return max(len(_compact([o.code])) - 2 for o in self.choices())

    def columns(self, answers: list[Any], lang: str) -> list[AnswerColumn]:
        labels = {o.code: text_in(o.label, lang) for o in self.choices()}
        return [
            AnswerColumn(
                self.id,
                text_in(self.text, lang),
                answers,
                numeric=False,
                value_labels=labels,
                measure=self.measure,
            )
        ]

    def form_value(self, value: Any) -> str:
        return ""  # the options show what was chosen

    def code_dtype(self) -> np.dtype:
        return smallest_unsigned(len(self.choices()))  # option i as i + 1

    def encode(self, answers: Sequence[Any]) -> np.ndarray:
        position: dict[Any, int] = {o.code: i for i, o in enumerate(self.choices(), 1)}
        position[None] = 0
        return np.fromiter(map(position.__getitem__, answers), self.code_dtype(), len(answers))

    def decode(self, coded: np.ndarray) -> tuple[list[Any], np.ndarray]:
        # Every option in option order, whether chosen or not: no sort of a million rows.
        return [None, *(o.code for o in self.choices())], coded.astype(np.intp)

    def answer_texts(self, value: Any, lang: str) -> list[str]:
        if value is None:
            return []
        labels = {o.code: o.label[lang] for o in self.choices()}
        return [labels[code] for code in (value if isinstance(value, list) else [value])]


class SingleQuestion(ChoiceQuestion):
    type: Literal["single"]

    background = True


class ScaleQuestion(ChoiceQuestion):
    type: Literal["scale"]

    measure = "ordinal"


class MultiQuestion(ChoiceQuestion):
    """Any number of options, at least one; an exclusive option ("none of these") stands
    alone."""

    type: Literal["multi"]

    answer_is_set = True
    words: ClassVar[Words] = {
        "nl": {
            Code.REQUIRED: "Kies ten minste één antwoord",
            "hint": "U kunt meer antwoorden kiezen.",
            Code.EXCLUSIVE_OPTION: "U kunt ‘{label}’ niet combineren met andere antwoorden",
            "chosen": "Gekozen",
            "not_chosen": "Niet gekozen",
        },
        "en": {
            Code.REQUIRED: "Choose at least one answer",
            "hint": "You can choose more than one answer.",
            Code.EXCLUSIVE_OPTION: "You cannot combine ‘{label}’ with other answers",
            "chosen": "Chosen",
            "not_chosen": "Not chosen",
        },
    }

    def check(self, value: Any, answers: Mapping[str, Any]) -> Problem | None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return Code.WRONG_TYPE.says(expected="a list of option codes")
        if not value:
            return Code.EMPTY_CHOICE.says()
        if len(set(value)) != len(value):
            return Code.DUPLICATE_OPTION.says(code=next(v for v in value if value.count(v) > 1))
        offered = {o.code: o for o in self.offered_options(answers)}
        unknown = [v for v in value if v not in offered]
        if unknown:
            return Code.INVALID_OPTION.says(options=", ".join(map(repr, unknown)))
        if len(value) > 1 and any(offered[v].exclusive for v in value):
            return Code.EXCLUSIVE_OPTION.says()
        return None

    def answer_bytes(self) -> int:
        return len(_compact([o.code for o in self.choices()]))

    def witnesses(self, condition: Condition) -> list[Any]:
        # `in` holds for a superset of a set it holds for, `not_in` for a subset: the
        # largest choice without any `not_in` code is the best witness.
        excluded = {
            c for a in atoms(condition) if isinstance(a, InCodes) and a.negate for c in a.codes
        }
        return [[o.code for o in self.choices() if o.code not in excluded] or None]

    def columns(self, answers: list[Any], lang: str) -> list[AnswerColumn]:
        """A 0/1 column per option."""
        text = text_in(self.text, lang)
        chosen = {0: self.words[lang]["not_chosen"], 1: self.words[lang]["chosen"]}
        return [
            AnswerColumn(
                f"{self.id}__{option.code}",
                f"{text}: {text_in(option.label, lang)}",
                [np.nan if a is None else float(option.code in a) for a in answers],
                numeric=True,
                value_labels=chosen,
            )
            for option in self.choices()
        ]

    def from_form(self, given: Sequence[str]) -> Any:
        return list(given) or None

    def code_dtype(self) -> np.dtype:
        """One bit per option, in option order (a valid answer chooses at least one)."""
        return np.dtype(("u1", ((len(self.choices()) + 7) // 8,)))

    def encode(self, answers: Sequence[Any]) -> np.ndarray:
        bit = {o.code: 1 << i for i, o in enumerate(self.choices())}
        width = self.code_dtype().shape[0]
        packed = b"".join(
            sum(map(bit.__getitem__, a or ())).to_bytes(width, "little") for a in answers
        )
        return np.frombuffer(packed, np.uint8).reshape(len(answers), width)

    def decode(self, coded: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """Each chosen set as the tuple of its codes in option order."""
        width = coded.shape[1]
        if width <= 8:  # the bits as one number per row: a sort of numbers, not rows
            padded = np.zeros((len(coded), 8), np.uint8)
            padded[:, :width] = coded
            masks, index = distinct_codes(padded.view("<u8").reshape(-1))
            chosen = [int(m) for m in masks]
        else:
            rows, index = np.unique(coded, axis=0, return_inverse=True)
            index = index.reshape(-1).astype(np.intp, copy=False)
            chosen = [int.from_bytes(bytes(r), "little") for r in rows]
        codes = [o.code for o in self.choices()]
        distinct = [
            tuple(c for i, c in enumerate(codes) if mask >> i & 1) if mask else None
            for mask in chosen
        ]
        return distinct, index

    def error_text(self, code: str, lang: str, value: Any = None) -> str | None:
        if code == Code.EMPTY_CHOICE:  # nothing chosen: as unanswered
            code = Code.REQUIRED
        if code == Code.EXCLUSIVE_OPTION:
            chosen = set(value) if isinstance(value, list) else set()
            exclusive = next(
                o for o in self.choices() if o.exclusive and (o.code in chosen or not chosen)
            )
            return self.words[lang][code].format(label=exclusive.label[lang])
        return super().error_text(code, lang, value)
