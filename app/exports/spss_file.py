"""SPSS (.sav) files of the export tables, written with pyreadstat.

The values are those of the CSV (`app.exports.csv_file`): numbers as numbers with empty cells
system-missing, codes as strings with their labels as value labels; each variable has
its label. SPSS limits are kept: names that SPSS cannot take (an option code with '-',
say) are made valid and unique, and labels are cut on a character boundary at 256 bytes
(variable), 120 bytes (value) and 64 bytes (file label).
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
        if column.numeric:
            data[name] = pd.Series(np.asarray(column.values, dtype=float), dtype="float64")
            if column.whole:
                formats[name] = "F8.0"
        else:
            strings = ["" if v is None else str(v) for v in column.values]
            data[name] = pd.Series(strings, dtype=object)
            # A value label longer than the variable is refused: widen it to the codes.
            width = max(
                [
                    1,
                    *(_bytes(s) for s in strings),
                    *(_bytes(str(k)) for k in column.value_labels or ()),
                ]
            )
            formats[name] = f"A{width}"
        if column.value_labels:
            value_labels[name] = {
                k: _cut(v, _VALUE_LABEL_MAX) for k, v in column.value_labels.items()
            }
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
