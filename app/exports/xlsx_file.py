"""Excel (.xlsx) files of the export tables, written with XlsxWriter.

Three sheets: the data (a header of column names, then the values of the CSV: numbers as
numbers, codes as text, empty cells where the CSV is empty), the columns (the title, the
notes, then per column its label, kind and level of measurement) and the values (per
labelled column, each value with its label). Sheet names and headings follow the table's
language. Text is always written as text, never as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.exports.table import Column, Table

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_WIDTH_MIN, _WIDTH_MAX = 8, 60  # column widths, in characters

_WORDS = {
    "nl": {
        "data": "Gegevens",
        "columns": "Kolommen",
        "values": "Waarden",
        "column": "Kolom",
        "label": "Omschrijving",
        "kind": "Soort",
        "measure": "Meetniveau",
        "value": "Waarde",
        "value_label": "Betekenis",
        "number": "getal",
        "code": "code (tekst)",
        "nominal": "nominaal",
        "ordinal": "ordinaal",
        "scale": "schaal",
        "see": "Blad {values}: de betekenis van de codes en getallen; "
        "een lege cel is een ontbrekende waarde.",
    },
    "en": {
        "data": "Data",
        "columns": "Columns",
        "values": "Values",
        "column": "Column",
        "label": "Description",
        "kind": "Kind",
        "measure": "Level of measurement",
        "value": "Value",
        "value_label": "Meaning",
        "number": "number",
        "code": "code (text)",
        "nominal": "nominal",
        "ordinal": "ordinal",
        "scale": "scale",
        "see": "Sheet {values}: the meaning of the codes and numbers; "
        "an empty cell is a missing value.",
    },
}


def to_xlsx(table: Table) -> bytes:
    # Imported here: the library is only needed for a download.
    import xlsxwriter

    words = _WORDS[table.lang]
    out = io.BytesIO()
    # constant_memory: each row goes to disk when the next begins, so that an analysis
    # file of tens of thousands of rows never sits in memory as cell objects.
    book = xlsxwriter.Workbook(out, {"constant_memory": True})
    book.set_properties({"title": table.title, "comments": "\n".join(table.notes)})
    bold = book.add_format({"bold": True})
    _data_sheet(
        book.add_worksheet(words["data"]), table, bold, book.add_format({"num_format": "0"})
    )
    _columns_sheet(book.add_worksheet(words["columns"]), table, words, bold)
    _values_sheet(book.add_worksheet(words["values"]), table, words, bold)
    book.close()
    return out.getvalue()


def _data_sheet(data: Any, table: Table, bold: Any, whole: Any) -> None:
    """The CSV's header and values, numbers as numbers (whole ones without decimals)."""
    columns = [
        (
            j,
            _cells(c),
            data.write_number if c.numeric else data.write_string,
            whole if c.whole else None,
        )
        for j, c in enumerate(table.columns)
    ]
    for j, cells, *_ in columns:
        data.set_column(
            j, j, _width([table.header[j], *(str(v) for v in cells[:100] if v is not None)])
        )
    rows = len(table.columns[0].values)
    data.freeze_panes(1, 0)
    data.autofilter(0, 0, rows, len(columns) - 1)
    _heading(data, 0, table.header, bold)
    for i in range(rows):
        for j, cells, write, style in columns:
            if cells[i] is not None:  # a missing value stays an empty cell
                write(i + 1, j, cells[i], style)


def _columns_sheet(sheet: Any, table: Table, words: dict[str, str], bold: Any) -> None:
    """The title and notes, then per column its label, kind and level of measurement."""
    sheet.set_column(0, 0, _width(table.header))
    sheet.set_column(1, 1, _width([c.label for c in table.columns]))
    sheet.set_column(2, 3, _width([words["code"], words["measure"]]))
    notes = [*table.notes, words["see"].format(values=words["values"])]
    sheet.write_string(0, 0, table.title, bold)
    for i, note in enumerate(notes, start=1):
        sheet.write_string(i, 0, note)
    top = len(notes) + 2
    _heading(sheet, top, [words[k] for k in ("column", "label", "kind", "measure")], bold)
    for i, column in enumerate(table.columns, start=top + 1):
        sheet.write_string(i, 0, column.name)
        sheet.write_string(i, 1, column.label)
        sheet.write_string(i, 2, words["number" if column.numeric else "code"])
        sheet.write_string(i, 3, words[column.measure])


def _values_sheet(sheet: Any, table: Table, words: dict[str, str], bold: Any) -> None:
    """Per labelled column, each value (a code or a number) with its label."""
    labelled = [
        (c.name, value, label)
        for c in table.columns
        for value, label in (c.value_labels or {}).items()
    ]
    sheet.set_column(0, 0, _width(table.header))
    sheet.set_column(1, 1, _width([str(v) for _, v, _ in labelled] + [words["value"]]))
    sheet.set_column(2, 2, _width([label for *_, label in labelled]))
    sheet.freeze_panes(1, 0)
    _heading(sheet, 0, [words[k] for k in ("column", "value", "value_label")], bold)
    for i, (name, value, label) in enumerate(labelled, start=1):
        sheet.write_string(i, 0, name)
        if isinstance(value, str):
            sheet.write_string(i, 1, value)
        else:
            sheet.write_number(i, 1, value)
        sheet.write_string(i, 2, label)


def _cells(column: Column) -> list[Any]:
    """The column's values as cells hold them: numbers, texts, None for missing."""
    if column.numeric:
        return [None if np.isnan(v) else v for v in np.asarray(column.values, dtype=float).tolist()]
    return [None if v is None else str(v) for v in column.values]


def _heading(sheet: Any, row: int, names: list[str], style: Any) -> None:
    for j, name in enumerate(names):
        sheet.write_string(row, j, name, style)


def _width(texts: Sequence[str]) -> int:
    return min(max([_WIDTH_MIN, *(len(t) + 2 for t in texts)]), _WIDTH_MAX)
