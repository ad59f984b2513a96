"""Reading the export files back as their users' tools do: CSV with the csv module, SPSS
with pyreadstat, Excel with openpyxl."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import openpyxl
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


def read_xlsx(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def sheet_rows(sheet: Any) -> list[list[Any]]:
    """A sheet's cell values, row by row (None for an empty cell)."""
    return [list(row) for row in sheet.iter_rows(values_only=True)]
