from __future__ import annotations

from typing import Literal, get_args

from sqlalchemy import Boolean, CheckConstraint, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

# Why a suppressed figure is not published (CONTRACT section 7; app.closing.figures).
Reason = Literal["min_cell", "complementary", "coverage", "no_interval"]
REASONS = get_args(Reason)


class Estimate(Base):
    """One figure of a closed wave, computed once at close: indicator x breakdown x group.

    A suppressed figure keeps its place and nothing else but its `reason` (NULL for
    figures stored before reasons were kept). `series_break` is what the indicator's
    definition for the wave's questionnaire version says.
    """

    __tablename__ = "estimate"
    __table_args__ = (
        CheckConstraint(
            "NOT suppressed OR (estimate IS NULL AND ci_low IS NULL AND ci_high IS NULL "
            "AND se IS NULL AND n IS NULL)",
            name="suppressed_is_empty",
        ),
        CheckConstraint(f"reason IS NULL OR (suppressed AND reason IN {REASONS!r})", name="reason"),
    )

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64), primary_key=True)
    # none, organisation, unit, function_group, or a breakdown question's id
    breakdown: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32), primary_key=True)  # '' for none
    estimate: Mapped[float | None] = mapped_column(Double)
    ci_low: Mapped[float | None] = mapped_column(Double)
    ci_high: Mapped[float | None] = mapped_column(Double)
    se: Mapped[float | None] = mapped_column(Double)
    n: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean)
    series_break: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[Reason | None] = mapped_column(String(16))


class AnswerGroupCount(Base):
    """A closed wave's respondents in one group of a breakdown by a background answer
    (tenure, age, gender): written at close, NULL where the count is hidden."""

    __tablename__ = "answer_group_count"
    __table_args__ = (
        CheckConstraint("suppressed = (respondents IS NULL)", name="suppressed_is_empty"),
    )

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    breakdown: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    respondents: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean)
