"""One table model for every file analysts take into their own tools: labelled columns,
written as CSV (app.exports.csv_file), SPSS (app.exports.spss_file) or Excel
(app.exports.xlsx_file), so that every format holds the same values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from app.questionnaires.kinds import Measure


@dataclass(frozen=True)
class Column:
    """One variable: its values (numbers as floats with NaN for empty, or codes with None
    for empty) and what the formats that carry labels show about it."""

    name: str
    label: str
    values: Sequence[Any] | np.ndarray
    numeric: bool
    value_labels: Mapping[Any, str] | None = None
    measure: Measure = "nominal"
    whole: bool = False  # whole numbers: shown without decimals
    # The codes of a question's options, `value_labels` in the question's option order:
    # SPSS stores each as its position there (1 = the first option), CSV and Excel as
    # the code.
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    title: str  # the SPSS file label, the Excel file's title
    notes: tuple[str, ...] = ()
    lang: str = "nl"  # the language of the labels, and of the words a format adds

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


YES_NO = {
    "nl": {0: "Nee", 1: "Ja"},
    "en": {0: "No", 1: "Yes"},
}


def reordered(column: Column, order: np.ndarray) -> Column:
    values = column.values
    if isinstance(values, np.ndarray):
        return replace(column, values=values[order])
    return replace(column, values=[values[i] for i in order])
