"""One table model for every file analysts take into their own tools: labelled columns,
written as CSV (app.exports.csv_file) or SPSS (app.exports.spss_file), so that every
format holds the same values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.questionnaires.kinds import Measure


@dataclass(frozen=True)
class Column:
    """One variable: its values (numbers as floats with NaN for empty, or codes with None
    for empty) and what SPSS shows about it."""

    name: str
    label: str
    values: Sequence[Any] | np.ndarray
    numeric: bool
    value_labels: Mapping[Any, str] | None = None
    measure: Measure = "nominal"
    whole: bool = False  # whole numbers: shown without decimals


@dataclass(frozen=True)
class Table:
    columns: list[Column]
    title: str  # the SPSS file label
    notes: tuple[str, ...] = ()

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
        reordered: Sequence[Any] | np.ndarray = values[order]
    else:
        reordered = [values[i] for i in order]
    return Column(
        column.name,
        column.label,
        reordered,
        column.numeric,
        column.value_labels,
        column.measure,
        column.whole,
    )
