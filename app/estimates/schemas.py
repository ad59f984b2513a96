"""Response bodies of the statistics API (CONTRACT section 8; extra fields are marked)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, Field

from app.closing.models import Reason

# none, organisation, unit, function_group, or a background question that a published
# questionnaire version marks as a breakdown (tenure, age, gender); checked by the service.
By = str
BY_DESCRIPTION = (
    "none, organisation, unit, function_group, or a background question a questionnaire "
    "version marks as a breakdown (tenure, age, gender in mm-2026.1); "
    "`GET /api/v1/public/breakdowns` lists them."
)
ByQuery = Annotated[str, Query(description=BY_DESCRIPTION, max_length=16)]
Lang = Literal["nl", "en"]


class IndicatorOut(BaseModel):
    id: str
    label: str
    kind: Literal["proportion", "mean"]
    denominator: Literal["all", "threatened", "victims"]
    public: bool
    description: str = Field(description="Added: what the figure means, in the chosen language.")
    family: str | None = Field(
        default=None,
        description="A member of a family (a distribution over the answer categories of "
        "one question): the family's id. This and the other fields of a family member are "
        "absent for other indicators.",
    )
    category: str | None = Field(default=None, description="The member's category code.")
    category_order: int | None = Field(
        default=None, description="The member's place in its family (1 first)."
    )
    category_label: str | None = Field(
        default=None, description="Added: the category's name in the chosen language."
    )
    family_label: str | None = Field(
        default=None, description="Added: the family's name in the chosen language."
    )
    family_description: str | None = Field(
        default=None, description="Added: what the family shows, in the chosen language."
    )
    scale: int | None = Field(
        default=None,
        description="Added: a mean published per this many staff (100: days per 100 "
        "staff); absent for figures per person.",
    )


class BreakdownOut(BaseModel):
    """Added: a way the figures are broken down (the values of `by`)."""

    id: str
    label: str
    groups: dict[str, str] = Field(
        description="Group code -> name, for breakdowns by a background answer (empty for "
        "the frame's breakdowns, whose groups depend on the wave's frame)."
    )


class ChangeOut(BaseModel):
    vs_wave: str
    difference: float
    se: float | None = Field(
        description="Null when a wave's standard error is not published (a share of fewer "
        "than 200 respondents)."
    )
    ci_low: float
    ci_high: float
    p_value: float
    significant: bool


class TrendPoint(BaseModel):
    wave: str
    group: str | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    se: float | None = Field(
        description="Null when suppressed, and for a share of fewer than 200 respondents, "
        "whose standard error is not published (its interval is, to 1 decimal)."
    )
    n: int | None
    suppressed: bool
    reason: Reason | None = Field(
        description="Why a suppressed figure is not published: `min_cell` (too few "
        "respondents), `complementary` (it would give away a hidden figure), `coverage` "
        "(staff of the group that no respondent stands for), `no_interval` (no degrees of "
        "freedom for an interval); null when published, and for figures stored before "
        "reasons were kept."
    )
    series_break: bool
    change: ChangeOut | None
    wave_title: str = Field(description="Added.")
    break_note: str | None = Field(
        default=None, description="Added: why the series breaks here (with series_break)."
    )
    response_rate: float | None = Field(
        default=None,
        description="Added: the group's response rate in the wave (null when suppressed).",
    )
    group_label: str | None = Field(
        default=None,
        description="Added: the group's name in the chosen language, as the wave's "
        "questionnaire words it (null when `group` is).",
    )
    wave_closes_at: date | None = Field(
        default=None,
        description="Added: the wave's closing date; its figures cover answers up to it "
        "(the dashboard's 'last updated').",
    )


class Trend(BaseModel):
    indicator: str
    by: By
    points: list[TrendPoint]
    label: str = Field(description="Added.")
    description: str = Field(description="Added.")
    kind: Literal["proportion", "mean"] = Field(description="Added.")
    denominator: Literal["all", "threatened", "victims"] = Field(description="Added.")


class Preview(Trend):
    """An open wave's figures so far (one wave; no change, no response rate)."""

    wave: str


class ResponseRate(BaseModel):
    group: str | None
    respondents: int | None
    headcount: int | None = Field(
        description="Staff in the group per the frame; null for a breakdown by a background "
        "answer (tenure, age, gender), which the frame does not count, and so is `rate`."
    )
    rate: float | None
    suppressed: bool
    as_of: date | None = Field(
        default=None,
        description="Added: for an open wave, the UTC day at whose start it was counted.",
    )
    note: str | None = Field(
        default=None,
        description="Added: in the chosen language, why the figure is hidden and, for an "
        "open wave, from when its counts are (on its first day every group is hidden).",
    )
