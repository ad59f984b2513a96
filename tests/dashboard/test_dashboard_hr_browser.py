"""The dashboard answers HR's three questions on the demo's figures: satisfaction of all
victims as a distribution (stacked bars over the waves, every category's interval in the
table and the tooltips), days lost after incidents per 100 staff, and figures broken down
by the background questions a version marks (age, gender, tenure); axe-clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.dashboard.test_dashboard_browser import (
    DESKTOP,
    HIDDEN,
    api,
    close_to,
    number,
    settle,
    shoot,
)

pytestmark = pytest.mark.browser

SATISFACTION = ["very_dissatisfied", "dissatisfied", "neutral", "satisfied", "very_satisfied"]


def test_a_family_is_stacked_over_the_waves_with_its_intervals(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto("/dashboard/?indicator=satisfaction_victims")
    settle(page)
    trends = [api(live_server, f"/api/v1/public/trends/satisfaction_{c}") for c in SATISFACTION]
    members = [
        i
        for i in api(live_server, "/api/v1/public/indicators")
        if i.get("family") == "satisfaction_victims"
    ]
    assert [
        m["category"] for m in sorted(members, key=lambda m: m["category_order"])
    ] == SATISFACTION
    expect(page.locator("#indicator-label")).to_have_text(members[0]["family_label"])
    expect(page.locator("#family-panel")).to_be_visible()
    expect(page.locator("#trend-panel")).to_be_hidden()
    expect(page.locator("#latest-panel")).to_be_hidden()
    assert page.get_by_label("Onderwerp").input_value() == "satisfaction_victims"

    waves = [p["wave"] for p in trends[0]["points"]]
    assert len(waves) == 4
    headers = page.locator("#family-table thead th").all_text_contents()
    assert headers[1:-1] == [
        m["category_label"] for m in sorted(members, key=lambda m: m["category_order"])
    ]
    for k, wave in enumerate(waves):
        row = page.locator(f'#family-table tbody tr[data-wave="{wave}"]')
        cells = row.locator("td").all_text_contents()
        total = 0.0
        for text, trend in zip(cells[:-1], trends, strict=True):
            point = trend["points"][k]
            assert not point["suppressed"]
            value, low, high = re.fullmatch(r"(\d+,\d%) \((\d+,\d)–(\d+,\d%)\)", text).groups()
            assert close_to(value, point["estimate"])
            assert close_to(low, point["ci_low"]) and close_to(high, point["ci_high"])
            total += point["estimate"]
        assert abs(total - 1) <= 0.03  # rounded shares of one distribution
        bar = page.locator(f'#family-chart .hit[data-wave="{wave}"] rect.segment')
        expect(bar).to_have_count(len(SATISFACTION))

    # Tooltips: every part with its interval, by mouse and by keyboard.
    part = page.locator(f'#family-chart .hit[data-wave="{waves[-1]}"][data-category="3"]')
    part.hover()
    tip = page.locator("#family-chart .tip")
    expect(tip).to_contain_text("Tevreden")
    expect(tip).to_contain_text("95%-interval")
    point = trends[3]["points"][-1]
    assert close_to(re.search(r"(\d+,\d%) \(95%", tip.text_content()).group(1), point["estimate"])
    page.locator("#family-chart .hit").first.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#family-chart .tip")).to_contain_text("Ontevreden")
    expect(page.locator("#family-legend")).to_contain_text("Zeer ontevreden")
    tab.check_accessibility("a family, all staff")
    with page.expect_download() as download:
        page.locator("#csv-link").click()
    assert download.value.suggested_filename.endswith("-satisfaction_victims-all.csv")
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + len(waves) * len(SATISFACTION)
    assert lines[1].split(";")[:2] == ["Zeer ontevreden", waves[0]]
    shoot(page, "dashboard-family.png")

    # By organisation: the OM's victims' distribution, or why it is hidden.
    page.get_by_label("Ontwikkeling voor").select_option("om")
    settle(page)
    expect(page.locator("#family-heading")).to_contain_text("Openbaar Ministerie")
    split = [
        api(live_server, f"/api/v1/public/trends/satisfaction_{c}?by=organisation")
        for c in SATISFACTION
    ]
    for wave in waves:
        cells = page.locator(f'#family-table tbody tr[data-wave="{wave}"] td').all_text_contents()
        om = [
            next(p for p in t["points"] if p["wave"] == wave and p["group"] == "om") for t in split
        ]
        for text, point in zip(cells[:-1], om, strict=True):
            if point["suppressed"]:
                assert text == HIDDEN["nl"][point["reason"]]
            else:
                assert close_to(text.split(" ")[0], point["estimate"])
    tab.check_accessibility("a family, one organisation")


def test_days_lost_per_100_staff_and_breakdowns_by_age_and_gender(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto("/dashboard/?indicator=days_lost_per_100")
    settle(page)
    trend = api(live_server, "/api/v1/public/trends/days_lost_per_100")
    expect(page.locator("#indicator-label")).to_have_text(trend["label"])
    rows = page.locator("#trend-table tbody tr")
    expect(rows).to_have_count(len(trend["points"]))
    for row, point in zip(rows.all(), trend["points"], strict=True):
        estimate, interval = row.locator("td").all_text_contents()[:2]
        assert abs(number(estimate) - point["estimate"]) <= 0.05 + 1e-9
        low, high = (number(x) for x in interval.split("–"))
        assert 0 <= low <= point["estimate"] <= high

    # "Are young officers or women hit harder?": any aggression by age, then by gender.
    page.get_by_label("Onderwerp").select_option("any_aggression")
    settle(page)
    breakdowns = api(live_server, "/api/v1/public/breakdowns")
    options = page.get_by_label("Uitsplitsen naar").locator("option").all_text_contents()
    assert options == [
        "Organisatie",
        "Eenheid of parket",
        "Functiegroep",
        "Diensttijd",
        "Leeftijd",
        "Gender",
    ]
    assert [b["id"] for b in breakdowns][4:] == ["tenure", "age", "gender"]
    page.get_by_label("Uitsplitsen naar").select_option("age")
    settle(page)
    by_age = api(live_server, "/api/v1/public/trends/any_aggression?by=age")
    latest = by_age["points"][-1]["wave"]
    expect(page.locator("#latest-heading")).to_have_text(
        f"Uitgesplitst naar leeftijd, meting {latest}"
    )
    groups = page.locator("#latest-table tbody tr[data-group]:not([data-group=''])")
    order = list(next(b for b in breakdowns if b["id"] == "age")["groups"])
    assert [
        g.get_attribute("data-group") for g in groups.all()
    ] == order  # the questionnaire's order
    for point in (p for p in by_age["points"] if p["wave"] == latest):
        cells = page.locator(
            f'#latest-table tr[data-group="{point["group"]}"] td'
        ).all_text_contents()
        if point["suppressed"]:
            assert cells[0] == HIDDEN["nl"][point["reason"]]
        else:
            assert close_to(cells[0], point["estimate"])
    assert "by=age" in page.url
    tab.check_accessibility("by age")

    page.get_by_label("Uitsplitsen naar").select_option("gender")
    settle(page)
    page.get_by_label("Ontwikkeling voor").select_option("woman")
    settle(page)
    women = [
        p
        for p in api(live_server, "/api/v1/public/trends/any_aggression?by=gender")["points"]
        if p["group"] == "woman"
    ]
    expect(page.locator("#trend-heading")).to_contain_text("Vrouw")
    cells = page.locator("#trend-table tbody tr").first.locator("td").all_text_contents()
    assert close_to(cells[0], women[0]["estimate"])
    assert cells[3] == "–"  # no response rate: the frame does not count staff by gender
    page.get_by_role("link", name="English").click()
    settle(page)
    assert page.get_by_label("Break down by").input_value() == "gender"
    expect(page.locator("#latest-heading")).to_contain_text("by gender")
    tab.check_accessibility("by gender, English")
