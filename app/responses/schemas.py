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


# --- sealed bodies (app.responses.sealed) -----------------------------------------------

B64URL = r"^[A-Za-z0-9_-]*$"


class SealedBody(_Strict):
    sealed: str = Field(
        pattern=B64URL,
        description="An envelope sealed to the wave's answer key (GET /api/v1/waves/{id}/"
        "answer-key), base64url without padding; inside, the body the plain route takes",
    )


class BrowserDraftKey(CodeBody):
    """Inside a sealed body: which draft of the page's own."""

    lookup: str = Field(
        description="32 bytes derived in the page from the code and the resume key "
        "(base64url); the draft is kept under a hash of it"
    )


class BrowserDraftBody(BrowserDraftKey):
    """Inside a sealed body: a draft the page encrypted, kept as it is."""

    draft: str = Field(description="The encrypted draft, base64url, of the wave's draft size")


class BrowserDraft(BaseModel):
    draft: str = Field(description="The encrypted draft as the page saved it, base64url")


class AnswerKeyDocument(BaseModel):
    """What the survey page needs to seal what it sends to a wave."""

    alg: str = Field(
        description="RSA-OAEP-256+A256GCM: RSA-OAEP (SHA-256) wraps an AES-256-GCM key"
    )
    key: str = Field(description="The public key, DER SubjectPublicKeyInfo, base64url")
    plain_bytes: int = Field(description="Every envelope's plain text is padded to this size")
    envelope_bytes: int = Field(description="So every envelope of the wave has this size")
    associated_data: str = Field(
        description="AES-GCM's associated data: this, the wave id and the route's purpose "
        "(response, check, progress, progress/load), joined by U+001F"
    )
    draft: dict[str, Any] = Field(description="How the page seals a draft: kdf, iterations, sizes")
    cells: list[list[str]] = Field(
        description="The wave's frame cells, each [organisation, unit, function group], so that "
        "the page can refuse an answer set the server would refuse"
    )
