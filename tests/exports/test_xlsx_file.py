"""The Excel files: the CSV's values with numbers stored as numbers, a sheet that explains
the columns and one that gives the meaning of every code, in Dutch or English. Read
back with openpyxl."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pytest

from app.db import session_scope
from app.exports.table import Column, Table
from app.exports.xlsx_file import to_xlsx
from tests.builders import bearer, filled_wave
from tests.exports.readers import csv_rows, read_sav, read_xlsx, sheet_rows
from tests.support import close_mini_wave, open_mini_wave

ESTIMATES = "/api/v1/exports/estimates.{}"
ANALYSIS = "/api/v1/waves/{}/analysis-file?format={}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = {"nl": ["Gegevens", "Kolommen", "Waarden"], "en": ["Data", "Columns", "Values"]}


def normal(value: object) -> str:
    """A CSV value or a cell as one text to sort by: numbers to 10 significant digits."""
    if value is None or value == "":
        return ""
    try:
        return f"{float(value):.10g}"  # type: ignore[arg-type]
    except ValueError:
        return str(value)  # a code


def same_cell(from_csv: str, cell: object) -> bool:
    """A CSV value and a cell hold the same value (numbers to the 16 significant digits
    that the file keeps)."""
    if isinstance(cell, int | float):
        return math.isclose(float(from_csv), cell, rel_tol=1e-15)
    return from_csv == ("" if cell is None else cell)


def assert_data_is_the_csv(book, text: str, numeric: set[str]) -> None:
    """The data sheet has the CSV's header and rows (in any order), numbers as numbers."""
    header, body = csv_rows(text)
    rows = sheet_rows(book.worksheets[0])
    assert rows[0] == header and len(rows) == len(body) + 1
    for j, name in enumerate(header):
        kinds = {type(row[j]) for row in rows[1:] if row[j] is not None}
        assert kinds <= ({int, float} if name in numeric else {str}), name
    in_order = [sorted(rows, key=lambda row: [normal(v) for v in row]) for rows in (rows[1:], body)]
    for cells, values in zip(*in_order, strict=True):
        assert all(map(same_cell, values, cells)), (values, cells)


def explained(book) -> tuple[list[list[object]], dict[str, list[object]]]:
    """The columns sheet: its lines above the table, and per column its row."""
    rows = sheet_rows(book.worksheets[1])
    top = next(i for i, row in enumerate(rows) if row[0] in ("Kolom", "Column"))
    return rows[:top], {row[0]: row[1:] for row in rows[top + 1 :]}


def meanings(book) -> dict[str, dict[object, str]]:
    """The values sheet: per column, each value's label."""
    found: dict[str, dict[object, str]] = {}
    for name, value, label in sheet_rows(book.worksheets[2])[1:]:
        found.setdefault(name, {})[value] = label
    return found


def test_estimates_xlsx_holds_the_csv_values(client, factory, two_waves, tmp_path):
    analyst = bearer(factory, "analyst")
    text = client.get(ESTIMATES.format("csv"), headers=analyst).text
    reply = client.get(ESTIMATES.format("xlsx"), headers=analyst)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == XLSX
    assert reply.headers["content-disposition"] == 'attachment; filename="estimates.xlsx"'
    book = read_xlsx(reply.content)
    assert book.sheetnames == SHEETS["nl"]
    # Which columns hold numbers: those SPSS has as numbers.
    _, meta = read_sav(client.get(ESTIMATES.format("sav"), headers=analyst).content, tmp_path)
    numeric = {n for n, kind in meta.readstat_variable_types.items() if kind == "double"}
    assert {"estimate", "se", "n", "suppressed", "response_rate", "change_p_value"} <= numeric
    assert_data_is_the_csv(book, text, numeric)
    data = book.worksheets[0]
    header = [c.value for c in data[1]]
    assert data.freeze_panes == "A2" and data.auto_filter.ref.startswith("A1:")
    second = data[2]
    assert second[header.index("n")].number_format == "0"
    assert second[header.index("estimate")].number_format == "General"


def test_estimates_xlsx_explains_its_columns_and_codes(client, factory, two_waves):
    analyst = bearer(factory, "analyst")
    book = read_xlsx(client.get(ESTIMATES.format("xlsx"), headers=analyst).content)
    above, columns = explained(book)
    assert above[0][0] == "Gepubliceerde cijfers per meting, indicator en groep"
    assert any("Onderdrukte cijfers zijn leeg" in str(line[0]) for line in above)
    header = [c.value for c in book.worksheets[0][1]]
    assert list(columns) == header  # every column explained, in order
    assert columns["estimate"][:3] == ["Schatting (gewogen)", "getal", "schaal"]
    assert columns["suppressed"][1:3] == ["getal", "nominaal"]
    assert columns["indicator"][1] == "code (tekst)"
    assert columns["response_rate"][0].startswith("Respons in de groep")
    values = meanings(book)
    assert values["suppressed"] == {0: "Nee", 1: "Ja"}
    assert values["indicator"]["threat_intimidation"] == "Bedreigd"
    assert values["group"]["om"] == "Openbaar Ministerie"
    assert values["wave"] == {"w1": "Mini-monitor w1", "w2": "Mini-monitor w2"}
    assert "estimate" not in values

    english = read_xlsx(client.get(ESTIMATES.format("xlsx") + "?lang=en", headers=analyst).content)
    assert english.sheetnames == SHEETS["en"]
    above, columns = explained(english)
    assert above[0][0] == "Published figures per wave, indicator and group"
    assert columns["estimate"][:3] == ["Estimate (weighted)", "number", "scale"]
    values = meanings(english)
    assert values["indicator"]["threat_intimidation"] == "Threatened"
    assert values["wave"] == {"w1": "Mini monitor w1", "w2": "Mini monitor w2"}
    assert values["suppressed"] == {0: "No", 1: "Yes"}
    rows = sheet_rows(english.worksheets[0])
    assert {row[rows[0].index("wave_title")] for row in rows[1:]} == {
        "Mini monitor w1",
        "Mini monitor w2",
    }


def test_one_wave_and_no_wave_as_xlsx(client, factory, tmp_path):
    analyst = bearer(factory, "analyst")
    empty = read_xlsx(client.get(ESTIMATES.format("xlsx"), headers=analyst).content)
    header = csv_rows(client.get(ESTIMATES.format("csv"), headers=analyst).text)[0]
    assert sheet_rows(empty.worksheets[0]) == [header]
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=36)
    reply = client.get(ESTIMATES.format("xlsx") + "?wave=2026", headers=analyst)
    assert reply.headers["content-disposition"] == 'attachment; filename="estimates-2026.xlsx"'
    rows = sheet_rows(read_xlsx(reply.content).worksheets[0])
    assert {row[0] for row in rows[1:]} == {"2026"}


def test_the_analysis_file_as_xlsx_has_exactly_the_csv_rows(client, factory, tmp_path):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=37)
    admin = bearer(factory, "admin")
    text = client.get(ANALYSIS.format("2026", "csv"), headers=admin).text
    reply = client.get(ANALYSIS.format("2026", "xlsx"), headers=admin)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == XLSX
    assert reply.headers["content-disposition"] == 'attachment; filename="analysis-2026.xlsx"'
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Jansen" not in everything  # no free text
    book = read_xlsx(reply.content)
    header = csv_rows(text)[0]
    codes = {"organisation", "unit", "function_group", "q_organisation", "q_unit"}
    codes |= {"q_function_group", "q_threat"}
    assert_data_is_the_csv(book, text, numeric=set(header) - codes)
    above, columns = explained(book)
    assert above[0][0].startswith("Analysebestand 2026")
    assert list(columns) == header
    assert columns["q_threat"] == ["Bent u bedreigd?", "code (tekst)", "nominaal"]
    assert columns["q_threat_count"] == ["Hoe vaak?", "getal", "schaal"]
    assert columns["weight"][2] == "schaal"
    values = meanings(book)
    assert values["q_threat"] == {"no": "Nee", "once": "Eén keer", "several": "Meerdere keren"}
    assert values["q_reasons__job"] == {0: "Niet gekozen", 1: "Gekozen"}
    assert values["ind_escalation"] == {0: "Nee", 1: "Ja"}
    english = read_xlsx(
        client.get(ANALYSIS.format("2026", "xlsx") + "&lang=en", headers=admin).content
    )
    assert english.sheetnames == SHEETS["en"]
    assert explained(english)[1]["q_threat"][0] == "Have you been threatened?"
    assert meanings(english)["q_threat"]["several"] == "Several times"


def test_an_empty_analysis_file_as_xlsx(client, factory):
    open_mini_wave(factory, "2026", codes=1)
    with session_scope(factory) as session:
        close_mini_wave(session, "2026")
    reply = client.get(ANALYSIS.format("2026", "xlsx"), headers=bearer(factory, "admin"))
    rows = sheet_rows(read_xlsx(reply.content).worksheets[0])
    assert len(rows) == 1 and "weight" in rows[0]


@pytest.mark.parametrize("code", ['=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "http://x"])
def test_text_stays_text(code):
    table = Table(
        [
            Column("code", "A code", [code, None], numeric=False),
            Column("number", "A number", np.array([np.nan, 0.5]), numeric=True),
        ],
        title="t",
    )
    data = read_xlsx(to_xlsx(table)).worksheets[0]
    assert data["A2"].value == code and data["A2"].data_type == "s"
    assert data["A3"].value is None and data["B2"].value is None
    assert data["B3"].value == 0.5 and data["B3"].data_type == "n"
