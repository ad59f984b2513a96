from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from app.problems import Code
from app.responses.credentials import Credential, Token


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unpaired_surrogates(value: Any, where: str) -> list[str]:
    """Where the value holds a lone surrogate: JSON may escape one ("\\ud800"), but it is
    not a character, cannot be stored as text (PostgreSQL refuses it) nor hashed."""
    if isinstance(value, str):
        return [where] if any("\ud800" <= c <= "\udfff" for c in value) else []
    if isinstance(value, list):
        return [w for item in value for w in _unpaired_surrogates(item, where)]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            # The key is named escaped, so that the message itself can be sent.
            at = f"{where}.{str(key).encode('utf-8', 'backslashreplace').decode('utf-8')}"
            found += _unpaired_surrogates(key, at) + _unpaired_surrogates(item, at)
        return found
    return []


def _refuse_surrogates(value: Any, where: str) -> Any:
    try:  # the common case, at C speed: only a lone surrogate cannot be encoded as UTF-8
        json.dumps(value, ensure_ascii=False).encode("utf-8")
        return value
    except UnicodeEncodeError:
        pass
    found = sorted(set(_unpaired_surrogates(value, where)))
    if found:
        code, message = Code.INVALID_TEXT.says(
            reason=f"an unpaired surrogate at {', '.join(found)}"
        )
        raise PydanticCustomError(code, message)  # no context: pydantic formats nothing
    return value


# A token's fields are base64url: far below this for any key the monitor makes.
TOKEN_FIELD_MAX = 4096


class TokenBody(_Strict):
    msg: str = Field(
        max_length=TOKEN_FIELD_MAX,
        description="The prepared message: 32 random bytes, then the client's message "
        "(base64url without padding)",
    )
    sig: str = Field(
        max_length=TOKEN_FIELD_MAX,
        description="The unblinded signature of `msg` (base64url without padding)",
    )


class CodeBody(_Strict):
    """A code, or in a token wave a token in its place (exactly one of them)."""

    code: str | None = Field(
        default=None,
        description="The invitation code, as printed (case, spaces and dashes do not matter)",
    )
    token: TokenBody | None = Field(
        default=None,
        description="Instead of a code, in a wave that uses tokens: a blind-signed token "
        "(RSABSSA-SHA384-PSS-Randomized, RFC 9474)",
    )

    @field_validator("code")
    @classmethod
    def _code_is_text(cls, value: str | None) -> str | None:
        return _refuse_surrogates(value, "code")

    @model_validator(mode="after")
    def _one_credential(self) -> CodeBody:
        if (self.code is None) == (self.token is None):
            raise PydanticCustomError(*Code.MISSING_CREDENTIAL.says())
        return self

    def credential(self) -> Credential:
        if self.token is not None:
            return Token.parse(self.token.msg, self.token.sig)
        assert self.code is not None
        return self.code


class SubmissionBody(CodeBody):
    answers: dict[str, Any] = Field(description="Question id -> answer")

    @field_validator("answers")
    @classmethod
    def _answers_are_text(cls, value: dict[str, Any]) -> dict[str, Any]:
        return _refuse_surrogates(value, "answers")


RESUME_KEY_DOC = (
    "The respondent's own second secret for drafts (8-128 characters); without the right "
    "one a draft can be neither read nor replaced (403, as for a bad code)"
)


class ProgressBody(SubmissionBody):
    resume_key: str | None = Field(default=None, description=RESUME_KEY_DOC)


class DraftBody(CodeBody):
    resume_key: str | None = Field(default=None, description=RESUME_KEY_DOC)


class Recorded(BaseModel):
    status: Literal["recorded"] = "recorded"


class CodeAccepted(BaseModel):
    status: Literal["valid"] = "valid"


class SavedAnswers(BaseModel):
    answers: dict[str, Any]
