from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CodeBody(_Strict):
    code: str = Field(description="The invitation code, as printed (case, spaces and dashes do not matter)")


class SubmissionBody(CodeBody):
    answers: dict[str, Any] = Field(description="Question id -> answer")


class ProgressBody(SubmissionBody):
    pass


class Recorded(BaseModel):
    status: Literal["recorded"] = "recorded"


class CodeAccepted(BaseModel):
    status: Literal["valid"] = "valid"
    resume_available: bool


class Saved(BaseModel):
    status: Literal["saved"] = "saved"


class SavedAnswers(BaseModel):
    answers: dict[str, Any]
