"""The CSV writer: a header of column names, then the values (numbers in full precision,
empty where missing)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.exports.table import Table

MEDIA_TYPE = "text/csv; charset=utf-8"


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(
        zip(
            *(_numbers(c.values) if c.numeric else _codes(c.values) for c in table.columns),
            strict=True,
        )
    )
    return out.getvalue()


def _numbers(values: Sequence[Any] | np.ndarray) -> list[str]:
    """Whole numbers without a decimal point, others in full precision, NaN empty."""
    return [
        "" if np.isnan(v) else str(int(v)) if float(v).is_integer() else repr(float(v))
        for v in np.asarray(values, dtype=float)
    ]


def _codes(values: Sequence[Any] | np.ndarray) -> list[str]:
    return ["" if v is None else str(v) for v in values]
