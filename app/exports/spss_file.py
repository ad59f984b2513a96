"""SPSS (.sav) files of the export tables, written with pyreadstat.

The values are those of the CSV (`app.exports.csv_file`), numbers as numbers with empty
cells system-missing, except that a question's answer codes are numbered: each is stored
as its option's position in the question's option order (1 = the first option), with the
option labels as value labels, so that SPSS can cross-tabulate and, for a scale, order
them. Other codes (wave, indicator, group in the estimates) stay strings with value labels.
Each variable has its label, its level of measurement and a display format wide enough
for every value (`number_format`). SPSS limits are kept: names that SPSS cannot take (an
option code with '-', say) are made valid and unique, and labels are cut on a character
boundary at 256 bytes (variable), 120 bytes (value) and 64 bytes (file label).
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from app.exports.table import Table

MEDIA_TYPE = "application/x-spss-sav"
_NAME_MAX = 64
_LABEL_MAX = 256
_VALUE_LABEL_MAX = 120
_FILE_LABEL_MAX = 64
_NOTE_LINE = 80
_SIGNIFICANT = 3  # digits of the smallest value a number format shows
_MIN_DECIMALS = 6
_MAX_DECIMALS = 16  # SPSS's limit for the F format
_MIN_WIDTH = 8
_MAX_WIDTH = 40
_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}


def to_sav(table: Table) -> bytes:
    # Imported here: the dataframe library is only needed for a download.
    import pandas as pd
    import pyreadstat

    names = spss_names(table.header)
    data: dict[str, Any] = {}
    labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    measures: dict[str, str] = {}
    formats: dict[str, str] = {}
    for column, name in zip(table.columns, names, strict=True):
        labels[name] = _cut(column.label, _LABEL_MAX)
        measures[name] = column.measure
        given_labels = column.value_labels or {}
        if column.numbered:
            position = {code: float(i) for i, code in enumerate(given_labels, start=1)}
            numbers = np.array(
                [np.nan if v is None else position[v] for v in column.values], dtype=float
            )
            given_labels = {position[code]: label for code, label in given_labels.items()}
        elif column.numeric:
            numbers = np.asarray(column.values, dtype=float)
        else:
            strings = ["" if v is None else str(v) for v in column.values]
            data[name] = pd.Series(strings, dtype=object)
            # A value label longer than the variable is refused: widen it to the codes.
            width = max([1, *(_bytes(s) for s in strings), *(_bytes(str(k)) for k in given_labels)])
            formats[name] = f"A{width}"
        if column.numbered or column.numeric:
            data[name] = pd.Series(numbers, dtype="float64")
            formats[name] = number_format(numbers, whole=column.whole or column.numbered)
        if given_labels:
            value_labels[name] = {k: _cut(v, _VALUE_LABEL_MAX) for k, v in given_labels.items()}
    frame = pd.DataFrame(data, columns=names)
    with tempfile.TemporaryDirectory(prefix="monitor-sav-") as folder:
        path = Path(folder) / "export.sav"
        pyreadstat.write_sav(
            frame,
            path,
            file_label=_cut(table.title, _FILE_LABEL_MAX),
            column_labels=labels,
            note=[line for note in table.notes for line in _lines(note)] or None,
            variable_value_labels=value_labels,
            variable_measure=measures,
            variable_format=formats,
        )
        return path.read_bytes()


def number_format(values: np.ndarray, whole: bool) -> str:
    """An SPSS display format that shows every value: whole numbers without decimals,
    others with enough decimals for three significant digits of the smallest non-zero
    value (at least 6, so that standard errors and p-values never show as .00); where
    SPSS's 16 decimals are too few, scientific notation."""
    finite = values[np.isfinite(values)]
    size = np.abs(finite)
    decimals = 0
    if not whole:
        nonzero = size[size > 0]
        # The decimal place of the smallest value's first significant digit (7 for 9.5e-07).
        first = -int(np.floor(np.log10(nonzero.min()))) if nonzero.size else 0
        decimals = max(first + _SIGNIFICANT - 1, _MIN_DECIMALS)
        if decimals > _MAX_DECIMALS:
            return f"E{_SIGNIFICANT + 9}.{_SIGNIFICANT - 1}"  # -9.50E-007: sign, point, exponent
    digits = len(f"{size.max():.0f}") if size.size else 1
    width = int((finite < 0).any()) + digits + (decimals + 1 if decimals else 0)
    return f"F{min(max(width, _MIN_WIDTH), _MAX_WIDTH)}.{decimals}"


def spss_names(names: list[str]) -> list[str]:
    """Valid, unique (SPSS ignores case) variable names, unchanged where already valid."""
    kept = {name.upper() for name in names if _valid_name(name)}
    taken: set[str] = set()
    result = []
    for name in names:
        if _valid_name(name) and name.upper() not in taken:
            candidate = name
        else:
            valid = re.sub(r"[^A-Za-z0-9_.@#$]", "_", name)
            if not re.match(r"[A-Za-z@]", valid):
                valid = "v_" + valid
            valid = valid.rstrip(".")
            if valid.upper() in _RESERVED:
                valid += "_"
            candidate, suffix = valid[:_NAME_MAX], 1
            while candidate.upper() in taken | kept:
                tail = f"_{suffix}"
                candidate, suffix = valid[: _NAME_MAX - len(tail)] + tail, suffix + 1
        taken.add(candidate.upper())
        result.append(candidate)
    return result


def _valid_name(name: str) -> bool:
    return (
        re.fullmatch(r"[A-Za-z@][A-Za-z0-9_.@#$]*", name) is not None
        and not name.endswith(".")
        and _bytes(name) <= _NAME_MAX
        and name.upper() not in _RESERVED
    )


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def _lines(note: str) -> list[str]:
    """A note as document lines of at most 80 bytes, broken between words."""
    lines: list[str] = []
    line = ""
    for word in note.split():
        candidate = f"{line} {word}" if line else word
        if _bytes(candidate) <= _NOTE_LINE:
            line = candidate
        else:
            if line:
                lines.append(line)
            line = _cut(word, _NOTE_LINE)
    if line:
        lines.append(line)
    return lines
