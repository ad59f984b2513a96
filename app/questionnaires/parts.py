"""The parts definition models are made of: translated texts, options and conditions as
fields. Shared by the questionnaire model (schema) and its question kinds (kinds)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from app.questionnaires.conditions import (
    Condition,
    ConditionSyntaxError,
    dump_condition,
    parse_condition,
)

BACKGROUND_QUESTIONS = ("organisation", "unit", "function_group")


def _parse(raw: Any) -> Condition:
    try:
        return parse_condition(raw)
    except ConditionSyntaxError as exc:
        raise ValueError(str(exc)) from exc


ConditionField = Annotated[
    Condition, BeforeValidator(_parse), PlainSerializer(dump_condition, return_type=dict)
]
# A translated text: {"nl": "...", "en": "..."}; completeness is checked by meaning, so
# that a missing translation is reported with its own code next to every other problem.
Text = dict[str, str]


def text_in(text: Text | None, lang: str) -> str:
    """A translated text in one language ('' when there is none)."""
    return (text or {}).get(lang, "")


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(Frozen):
    code: str
    label: Text
    organisation: str | None = None
    exclusive: bool = False  # multi only: "none" / "rather not say" cannot be combined
