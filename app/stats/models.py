from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, CheckConstraint, Date, Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

BREAKDOWNS = ("none", "organisation", "unit", "function_group")


class Estimate(Base):
    """One figure of a closed wave, computed once at close: indicator x breakdown x group.

    A suppressed figure keeps its place and nothing else. `series_break` is what the
    indicator's definition for the wave's questionnaire version says.
    """

    __tablename__ = "estimate"
    __table_args__ = (
        CheckConstraint(f"breakdown IN {BREAKDOWNS!r}", name="breakdown"),
        CheckConstraint(
            "NOT suppressed OR (estimate IS NULL AND ci_low IS NULL AND ci_high IS NULL "
            "AND se IS NULL AND n IS NULL)",
            name="suppressed_is_empty",
        ),
    )

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64), primary_key=True)
    breakdown: Mapped[str] = mapped_column(String(16), primary_key=True)
    group_code: Mapped[str] = mapped_column(String(32), primary_key=True)  # '' for none
    estimate: Mapped[float | None] = mapped_column(Double)
    ci_low: Mapped[float | None] = mapped_column(Double)
    ci_high: Mapped[float | None] = mapped_column(Double)
    se: Mapped[float | None] = mapped_column(Double)
    n: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[bool] = mapped_column(Boolean)
    series_break: Mapped[bool] = mapped_column(Boolean)


class RespondentCount(Base):
    """Respondents and headcount per frame cell, for response rates.

    While a wave is open these are the counts at the start of the UTC day `as_of` (one
    snapshot per wave, replaced daily), so that no one can time a submission by watching
    the rates; at close they become the final counts (`as_of` NULL), read as they are.
    """

    __tablename__ = "respondent_count"

    wave_id: Mapped[str] = mapped_column(ForeignKey("wave.id"), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    function_group: Mapped[str] = mapped_column(String(32), primary_key=True)
    respondents: Mapped[int] = mapped_column(Integer)
    headcount: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date | None] = mapped_column(Date)
