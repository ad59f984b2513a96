"""The dashboard's downloads, date, comparison and order in Chromium on the demo: the
figures shown download as CSV and .xlsx (read back here), "last updated" is the closing
date of the newest wave in the figures, the groups of a breakdown sit side by side in one
chart for a chosen wave with their intervals, the bars sort by value and by name, and on
a 390-pixel phone nothing covers any text."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date
from typing import Any
from xml.etree import ElementTree

import pytest
from playwright.sync_api import expect

from app.web.texts import long_date
from tests.dashboard.test_dashboard_browser import DESKTOP, api, close_to, label_of, settle
from tests.web.layout import covered_text

pytestmark = pytest.mark.browser

UNITS = "/dashboard/?indicator=threat_intimidation&by=unit"
SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def download(page: Any, link: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.locator(link).click()
    done = info.value
    return done.suggested_filename, open(done.path(), "rb").read()


def sheet_rows(data: bytes) -> list[list[str | float]]:
    """The .xlsx's one sheet as rows of strings and numbers (empty cells as "")."""
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        assert book.testzip() is None  # every part's CRC is right
        root = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iter(f"{SHEET}row"):
        cells: dict[int, str | float] = {}
        for c in row.iter(f"{SHEET}c"):
            column = sum(
                (ord(ch) - 64) * 26**k
                for k, ch in enumerate(reversed(re.sub(r"\d", "", c.get("r"))))
            )
            if c.get("t") == "inlineStr":
                cells[column - 1] = "".join(t.text or "" for t in c.iter(f"{SHEET}t"))
            else:
                cells[column - 1] = float(c.find(f"{SHEET}v").text)
        rows.append([cells.get(k, "") for k in range(max(cells) + 1)])
    return rows


def as_dutch_csv(value: str | float) -> str:
    """A sheet's cell as the Dutch CSV writes it (numbers with a decimal comma)."""
    if isinstance(value, str):
        return value
    return (str(int(value)) if value.is_integer() else str(value)).replace(".", ",")


def test_the_figures_shown_download_as_csv_and_xlsx(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP, accept_downloads=True)
    page = tab.page
    tab.goto(UNITS)
    settle(page)
    total = api(live_server, "/api/v1/public/trends/threat_intimidation")["points"]
    units = api(live_server, "/api/v1/public/trends/threat_intimidation?by=unit")["points"]
    latest = total[-1]["wave"]
    shown_units = [p for p in units if p["wave"] == latest]

    name, data = download(page, "#csv-link")
    assert name == f"monitor-threat_intimidation-unit-{latest}.csv"
    assert data.startswith("\ufeff".encode())  # Dutch Excel reads it as UTF-8
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    header, rows = table[0], table[1:]
    assert header[:5] == ["Onderdeel", "Meting", "Groep", "Groepscode", "Percentage"]
    trend = [r for r in rows if r[0] == "Ontwikkeling"]
    breakdown = [r for r in rows if r[0] == "Uitsplitsing"]
    assert [r[1] for r in trend] == [p["wave"] for p in total]
    for row, point in zip(trend, total, strict=True):
        assert row[2] == "Alle medewerkers"
        assert close_to(row[4], point["estimate"]) and close_to(row[5], point["ci_low"])
        assert close_to(row[6], point["ci_high"]) and row[7] == str(point["n"])
    assert len(breakdown) == len(shown_units) + 1  # all staff on top, then every unit
    by_code = {r[3]: r for r in breakdown}
    for point in shown_units:
        row = by_code[point["group"]]
        assert row[1] == latest and row[2] == label_of(point)
        if point["suppressed"]:
            assert row[4:8] == ["", "", "", ""] and row[9] == "ja"  # never a zero
            assert row[-1]  # why, in words
        else:
            assert close_to(row[4], point["estimate"]) and row[9] == "nee" and row[-1] == ""
            assert close_to(row[5], point["ci_low"]) and close_to(row[6], point["ci_high"])

    name, data = download(page, "#xlsx-link")
    assert name.endswith(".xlsx")
    sheet = sheet_rows(data)
    width = len(table[0])  # a sheet's row ends at its last cell with a value
    assert [[as_dutch_csv(v) for v in row] + [""] * (width - len(row)) for row in sheet] == table
    assert isinstance(sheet[1][1], str) and isinstance(sheet[1][4], float)  # wave as text

    page.locator("#language-switch").click()
    settle(page)
    name, data = download(page, "#csv-link")
    english = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert english[0][:5] == ["Part", "Survey", "Group", "Group code", "Percentage"]
    assert len(english) == len(table) and english[1][0] == "Trend"
    assert english[1][4] == table[1][4].replace(",", ".")
    tab.close()


def test_last_updated_is_the_closing_date_of_the_newest_wave(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto(UNITS)
    settle(page)
    newest = api(live_server, "/api/v1/public/trends/threat_intimidation")["points"][-1]
    closes = date.fromisoformat(newest["wave_closes_at"])
    expect(page.locator("#updated")).to_have_text(
        f"Laatst bijgewerkt: {long_date(closes, 'nl')}. "
        f"Dat is de sluitingsdatum van de nieuwste meting in deze cijfers ({newest['wave']})."
    )
    page.locator("#language-switch").click()
    settle(page)
    expect(page.locator("#updated")).to_contain_text(
        f"Last updated: {long_date(closes, 'en')}. That is the closing "
        f"date of the latest survey in these figures ({newest['wave']})."
    )
    tab.close()


def shown_groups(page: Any) -> list[str]:
    return page.locator("#latest-chart .hit").evaluate_all(
        "hits => hits.map(h => h.getAttribute('data-group'))"
    )


def test_the_units_of_a_chosen_wave_side_by_side_sorted(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto(UNITS)
    settle(page)
    units = api(live_server, "/api/v1/public/trends/threat_intimidation?by=unit")["points"]
    waves = list(dict.fromkeys(p["wave"] for p in units))
    assert (
        page.get_by_label("Meting", exact=True).locator("option").all_inner_texts() == waves[::-1]
    )

    earlier = waves[0]
    page.get_by_label("Meting", exact=True).select_option(earlier)
    settle(page)
    assert f"wave={earlier}" in page.url
    expect(page.locator("#latest-heading")).to_have_text(
        f"Uitgesplitst per eenheid of parket, meting {earlier}"
    )
    points = {p["group"]: p for p in units if p["wave"] == earlier}
    assert sorted(shown_groups(page)) == sorted(["", *points])  # all staff and every unit
    for code, point in points.items():
        bar = page.locator(f'#latest-chart .hit[data-group="{code}"]')
        if point["suppressed"]:
            assert bar.locator("rect.bar").count() == 0
            continue
        assert bar.locator(".whisker line").count() == 3  # the interval, with its ends
        row = page.locator(f'#latest-table tr[data-group="{code}"]')
        low, high = row.locator("td").nth(1).text_content().split("–")
        assert close_to(low, point["ci_low"]) and close_to(high, point["ci_high"])

    def organisation(code: str) -> str:
        return code.split("-")[0]

    page.get_by_label("Volgorde van de groepen").select_option("value")
    settle(page)
    assert "sort=value" in page.url
    order = shown_groups(page)[1:]
    assert order[0] != "" and shown_groups(page)[0] == ""  # all staff stays on top
    for org in {organisation(c) for c in order}:
        within = [points[c] for c in order if organisation(c) == org]
        values = [p["estimate"] for p in within if not p["suppressed"]]
        assert values == sorted(values, reverse=True), org
        hidden = [p["suppressed"] for p in within]
        assert hidden == sorted(hidden), "figures not shown come last"
    page.get_by_label("Volgorde van de groepen").select_option("name")
    settle(page)
    for org in {organisation(c) for c in order}:
        names = [label_of(points[c]) for c in shown_groups(page)[1:] if organisation(c) == org]
        assert names == sorted(names, key=str.casefold), org
    tab.check_accessibility("a chosen wave, sorted")
    tab.close()


def drawn(page: Any) -> None:
    """Charts that follow their container's width are drawn again in the next frame."""
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def test_on_a_390_pixel_phone_nothing_covers_text(open_tab, live_server):
    tab = open_tab(viewport={"width": 390, "height": 844}, device_scale_factor=1)
    page = tab.page
    tab.goto(UNITS + "&sort=value")
    settle(page)
    for summary in page.locator("summary:visible").all():
        summary.click()  # the tables too
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    drawn(page)
    assert covered_text(page) == []
    page.locator("#language-switch").click()
    settle(page)
    drawn(page)
    assert covered_text(page) == []
    # A distribution: stacked bars and a table with a column per category.
    tab.goto("/dashboard/?indicator=absence_length")
    settle(page)
    page.locator("summary:visible").first.click()
    drawn(page)
    assert page.locator("#family-chart rect.segment").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert covered_text(page) == []
    tab.close()
