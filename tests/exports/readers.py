"""Reading the export files back as their users' tools do: CSV with the csv module, SPSS
with pyreadstat."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pyreadstat


def read_sav(content: bytes, tmp_path: Path, name: str = "file.sav"):
    """Columns as lists, system missing as NaN."""
    path = tmp_path / name
    path.write_bytes(content)
    data, meta = pyreadstat.read_sav(path, output_format="dict")
    for name_, kind in meta.readstat_variable_types.items():
        if kind == "double":
            data[name_] = [math.nan if v is None else float(v) for v in data[name_]]
    return data, meta


def csv_rows(text: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], rows[1:]


def number(text: str) -> float:
    return math.nan if text == "" else float(text)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b
