"""The integer kind: a whole number between the question's min and max."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from app.problems import Code
from app.questionnaires.conditions import Condition, InRange, atoms
from app.questionnaires.kinds.base import (
    AnswerColumn,
    CheckText,
    Earlier,
    Problem,
    QuestionBase,
    Words,
    distinct_codes,
    smallest_unsigned,
)
from app.questionnaires.parts import text_in

# ASCII digits only, and few enough for int() (Python refuses very long digit strings).
INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


class IntegerQuestion(QuestionBase):
    type: Literal["integer"]
    min: int | None = None
    max: int | None = None

    template = "kinds/integer.html"
    numeric = True
    misplaced = "only integer questions have min and max"
    words: ClassVar[Words] = {
        "nl": {
            Code.REQUIRED: "Vul een getal in",
            "hint": "Vul een getal in van {min} tot en met {max}.",
            Code.WRONG_TYPE: "Vul een heel getal in, zonder letters of leestekens",
            Code.OUT_OF_RANGE: "Vul een getal in van {min} tot en met {max}",
        },
        "en": {
            Code.REQUIRED: "Enter a number",
            "hint": "Enter a number from {min} to {max}.",
            Code.WRONG_TYPE: "Enter a whole number, without letters or punctuation",
            Code.OUT_OF_RANGE: "Enter a number from {min} to {max}",
        },
    }

    def definition_problems(self, earlier: Earlier, check_text: CheckText) -> list[Problem]:
        if self.min is None or self.max is None:
            return [Code.MISSING_RANGE.says()]
        if self.min > self.max:
            return [Code.MIN_GREATER_THAN_MAX.says(min=self.min, max=self.max)]
        return []

    def check(self, value: Any, answers: Mapping[str, Any]) -> Problem | None:
        if isinstance(value, bool) or not isinstance(value, int):
            return Code.WRONG_TYPE.says(expected="a whole number")
        assert self.min is not None and self.max is not None
        if not self.min <= value <= self.max:
            return Code.OUT_OF_RANGE.says(min=self.min, max=self.max)
        return None

    def answer_bytes(self) -> int:
        return max(len(str(self.min)), len(str(self.max)))

    def value_range(self) -> tuple[float, float]:
        assert self.min is not None and self.max is not None  # definition_problems
        return float(self.min), float(self.max)

    def witnesses(self, condition: Condition) -> list[Any]:
        """The bounds of its range and of the condition's ranges, within its range."""
        low, high = self.min or 0, self.max or 0
        bounds = [low, high]
        for atom in atoms(condition):
            if isinstance(atom, InRange):
                bounds += [math.ceil(atom.min)] if atom.min is not None else []
                bounds += [math.floor(atom.max)] if atom.max is not None else []
        return sorted({min(max(b, low), high) for b in bounds})

    def columns(self, answers: list[Any], lang: str) -> list[AnswerColumn]:
        return [
            AnswerColumn(
                self.id,
                text_in(self.text, lang),
                [np.nan if a is None else float(a) for a in answers],
                numeric=True,
                measure="scale",
            )
        ]

    def code_dtype(self) -> np.dtype:
        assert self.min is not None and self.max is not None
        return smallest_unsigned(self.max - self.min + 1)  # a value v as v - min + 1

    def encode(self, answers: Sequence[Any]) -> np.ndarray:
        assert self.min is not None
        offset = self.min - 1
        return np.array([0 if a is None else a - offset for a in answers], self.code_dtype())

    def decode(self, coded: np.ndarray) -> tuple[list[Any], np.ndarray]:
        assert self.min is not None
        offset = self.min - 1
        distinct, index = distinct_codes(coded)
        return [int(d) + offset if d else None for d in distinct.tolist()], index

    def from_field(self, text: str) -> Any:
        text = text.strip()
        if INTEGER.fullmatch(text):
            return int(text)
        return text or None  # a non-number stays text: `check` calls it wrong_type
