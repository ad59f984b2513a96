"""The text kind: free text of at most max_length characters, which never enters a
statistic or the analysis file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from app.problems import Code
from app.questionnaires.kinds.base import CheckText, Earlier, Problem, QuestionBase, Words
from app.questionnaires.parts import BACKGROUND_QUESTIONS

JSON_CHARACTER_BYTES = 6
# A text answer as a table of coded answers has it: there, but not its words.
WITHHELD = "(free text, kept apart)"


class TextQuestion(QuestionBase):
    type: Literal["text"]
    max_length: int | None = Field(default=None, ge=1)

    template = "kinds/text.html"
    free_text = True
    misplaced = "only text questions have max_length"
    words: ClassVar[Words] = {
        "nl": {
            Code.REQUIRED: "Vul een antwoord in",
            "hint": "U kunt maximaal {max_length} tekens gebruiken.",
            Code.TOO_LONG: "Gebruik maximaal {max_length} tekens",
            Code.INVALID_TEXT: "Uw antwoord bevat een teken dat niet is toegestaan",
        },
        "en": {
            Code.REQUIRED: "Enter an answer",
            "hint": "You can use up to {max_length} characters.",
            Code.TOO_LONG: "Use no more than {max_length} characters",
            Code.INVALID_TEXT: "Your answer contains a character that is not allowed",
        },
    }

    def definition_problems(self, earlier: Earlier, check_text: CheckText) -> list[Problem]:
        problems: list[Problem] = []
        if self.max_length is None:
            problems.append(Code.MISSING_MAX_LENGTH.says())
        if self.id in BACKGROUND_QUESTIONS:
            problems.append(Code.INVALID_BACKGROUND.says())
        return problems

    def check(self, value: Any, answers: Mapping[str, Any]) -> Problem | None:
        if not isinstance(value, str):
            return Code.WRONG_TYPE.says(expected="text")
        assert self.max_length is not None
        if len(value) > self.max_length:
            return Code.TOO_LONG.says(max_length=self.max_length)
        if "\x00" in value:
            return Code.INVALID_TEXT.says(reason="it contains a NUL character")
        return None

    def answer_bytes(self) -> int:
        # A character takes at most 6 bytes in JSON (a control character escaped as
        # \u001f; no character takes more in UTF-8), plus the quotes.
        assert self.max_length is not None
        return 2 + JSON_CHARACTER_BYTES * self.max_length

    def code_dtype(self) -> np.dtype:
        return np.dtype("u1")  # 1: answered; the text itself is kept apart, never coded

    def encode(self, answers: Sequence[Any]) -> np.ndarray:
        return np.fromiter((a is not None for a in answers), self.code_dtype(), len(answers))

    def decode(self, coded: np.ndarray) -> tuple[list[Any], np.ndarray]:
        """Whether it was answered; the text is not in the coded form, so an answer
        reads as WITHHELD (statistics only ever ask whether there is one)."""
        return [None, WITHHELD], (coded != 0).astype(np.intp)

    def from_field(self, text: str) -> Any:
        # Browsers send line breaks as CRLF but count them as one character for maxlength.
        return text.replace("\r\n", "\n").strip() or None
