"""The dashboard in a real browser (Chromium through Playwright) on the demo's figures:
what it shows matches the public API, suppressed figures are never drawn, the series
break is a gap with its note, both languages and the pickers work, it fits a phone, says
so when the API cannot be reached, and passes axe-core (WCAG 2.1 A and AA). Every tab
also checks (on closing) that there was no console error or CSP violation and that no
request left the app. Screenshots: test-output/screenshots/dashboard-*.png."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.dashboard.conftest import SCREENSHOTS

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
SIGNIFICANCE_LEGEND = "significant verschil t.o.v. vorige meting, p < 0,05"
# What a hidden figure shows, per `reason` of the API (CONTRACT section 7).
HIDDEN = {
    "nl": {
        "min_cell": "te weinig respons",
        "complementary": "verborgen ter bescherming",
        "coverage": "deel van de groep zonder respons",
        "no_interval": "geen marge te berekenen",
    },
    "en": {
        "min_cell": "too few responses",
        "complementary": "hidden for protection",
        "coverage": "part of group without responses",
        "no_interval": "no margin computable",
    },
}


def api(base_url: str, path: str) -> Any:
    response = httpx.get(base_url + path)
    assert response.status_code == 200, response.text
    return response.json()


def settle(page: Any) -> None:
    """Wait until the dashboard has finished loading (results, an error or a notice)."""
    page.wait_for_function(
        """() => {
            const shown = (id) => !document.getElementById(id).hidden;
            const results = document.getElementById('results');
            return !results.hasAttribute('aria-busy')
                && (shown('results') || shown('error') || shown('empty'));
        }"""
    )


def shoot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / name, full_page=True)


def number(text: str) -> float:
    """41,0% or 41.0% (or 2.460 / 2,460 with the grouping given) as a float."""
    return float(text.strip().rstrip("%").replace(",", "."))


def dutch_count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def close_to(shown: str, value: float) -> bool:
    return abs(number(shown) - value * 100) <= 0.05 + 1e-9


def label_of(point: dict[str, Any]) -> str:
    return point.get("group_label") or point["group"]


def test_the_demo_in_dutch_and_english(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto("/dashboard/")
    settle(page)
    indicators = api(live_server, "/api/v1/public/indicators")
    expect(page.locator("h1")).to_have_text("Resultaten van de monitor")
    expect(page.locator("#indicator-label")).to_have_text(indicators[0]["label"])
    # A family (a distribution) is one topic, not one per category.
    topics = {i.get("family") or i["id"] for i in indicators}
    assert page.get_by_label("Onderwerp").locator("option").count() == len(topics)

    # Any aggression (with significant changes among the function groups): four closed waves (the
    # fifth is still open), figures as the API's.
    page.get_by_label("Onderwerp").select_option("any_aggression")
    settle(page)
    trend = api(live_server, "/api/v1/public/trends/any_aggression")
    waves = [p["wave"] for p in trend["points"]]
    assert len(waves) == 4
    expect(page.locator("#indicator-label")).to_have_text(trend["label"])
    expect(page.locator("#indicator-description")).to_have_text(trend["description"])
    rows = page.locator("#trend-table tbody tr")
    expect(rows).to_have_count(4)
    for row, point in zip(rows.all(), trend["points"], strict=True):
        assert row.locator("th").text_content() == point["wave"]
        estimate, interval, n, rate, _change = row.locator("td").all_text_contents()
        assert close_to(estimate, point["estimate"])
        assert re.fullmatch(r"\d+,\d–\d+,\d%", interval)
        low, high = interval.split("–")
        assert close_to(low, point["ci_low"]) and close_to(high, point["ci_high"])
        assert n == dutch_count(point["n"])
        assert close_to(rate, point["response_rate"])
    hits = page.locator("#trend-chart .hit")
    assert [h.get_attribute("data-wave") for h in hits.all()] == waves
    shown = page.locator("#trend-chart .value").all_text_contents()
    assert shown == [r.locator("td").first.text_content() for r in rows.all()]
    assert page.locator("#trend-chart path.band").count() == 1  # no break, nothing suppressed
    expect(page.locator("#trend-legend")).to_contain_text(SIGNIFICANCE_LEGEND)
    expect(page.locator("#trend-chart")).to_contain_text("n = ")
    expect(page.locator("#trend-chart")).to_contain_text("respons ")

    # By organisation: police and OM, with all staff on top.
    organisations = api(live_server, "/api/v1/public/trends/any_aggression?by=organisation")
    latest = [p for p in organisations["points"] if p["wave"] == waves[-1]]
    expect(page.locator("#latest-heading")).to_have_text(
        f"Uitgesplitst per organisatie, meting {waves[-1]}"
    )
    assert page.locator("#latest-table tbody tr").count() == len(latest) + 1
    for point in latest:
        row = page.locator(f'#latest-table tr[data-group="{point["group"]}"]')
        assert row.locator("th").text_content() == label_of(point)
        assert close_to(row.locator("td").first.text_content(), point["estimate"])
    shoot(page, "dashboard-nl.png")

    # By function group: a significant change since the previous wave is marked (the
    # units' are rarely significant: fewer than 200 respondents each at this scale, whose
    # changes read their coarser intervals, README "Change between waves").
    page.get_by_label("Uitsplitsen naar").select_option("function_group")
    settle(page)
    groups = api(live_server, "/api/v1/public/trends/any_aggression?by=function_group")
    latest = [p for p in groups["points"] if p["wave"] == waves[-1]]
    assert any(p["change"] and p["change"]["significant"] for p in latest), (
        "the demo should have a significant change among the function groups"
    )
    for point in latest:
        bar = page.locator(f'#latest-chart .hit[data-group="{point["group"]}"]')
        significant = bool(point["change"] and point["change"]["significant"])
        assert bar.locator(".sig").count() == int(significant), point["group"]
    expect(page.locator("#latest-legend")).to_contain_text(SIGNIFICANCE_LEGEND)

    # By unit: the small OM units are suppressed, shown as such and never drawn.
    page.get_by_label("Uitsplitsen naar").select_option("unit")
    settle(page)
    units = api(live_server, "/api/v1/public/trends/any_aggression?by=unit")
    latest = [p for p in units["points"] if p["wave"] == waves[-1]]
    assert any(p["suppressed"] for p in latest), "the demo should suppress some OM units"
    expect(page.locator("#latest-heading")).to_contain_text("per eenheid of parket")
    for point in latest:
        bar = page.locator(f'#latest-chart .hit[data-group="{point["group"]}"]')
        row = page.locator(f'#latest-table tr[data-group="{point["group"]}"]')
        cells = row.locator("td").all_text_contents()
        if point["suppressed"]:
            assert bar.locator(".bar").count() == 0
            assert HIDDEN["nl"][point["reason"]] in bar.text_content()
            assert cells[:4] == [HIDDEN["nl"][point["reason"]], "–", "–", "–"]
        else:
            assert bar.locator(".bar").count() == 1
            assert bar.locator(".value").text_content() == cells[0]
            assert close_to(cells[0], point["estimate"])
            assert cells[2] == dutch_count(point["n"])
        significant = bool(point["change"] and point["change"]["significant"])
        assert bar.locator(".sig").count() == int(significant), point["group"]
        assert ("(significant)" in cells[4]) == significant
    expect(page.locator("#latest-legend")).to_contain_text(SIGNIFICANCE_LEGEND)
    for reason in {p["reason"] for p in latest if p["suppressed"]}:
        expect(page.locator("#latest-legend")).to_contain_text(HIDDEN["nl"][reason])
    assert "by=unit" in page.url and "indicator=any_aggression" in page.url
    tab.check_accessibility("Dutch, by unit")

    # English: the interface, the API's labels and English numbers; the choices stay.
    page.get_by_role("link", name="English").click()
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Results of the monitor")
    english = api(live_server, "/api/v1/public/trends/any_aggression?by=unit&lang=en")
    expect(page.locator("#indicator-label")).to_have_text(english["label"])
    assert page.get_by_label("Topic").input_value() == "any_aggression"
    assert page.get_by_label("Break down by").input_value() == "unit"
    first = page.locator("#trend-table tbody tr").first.locator("td")
    assert re.fullmatch(r"\d+\.\d%", first.first.text_content())
    assert re.fullmatch(r"\d,\d{3}", first.nth(2).text_content())
    suppressed = next(p for p in latest if p["suppressed"])
    suppressed_row = page.locator(f'#latest-table tr[data-group="{suppressed["group"]}"]')
    expect(suppressed_row.locator("td").first).to_have_text(HIDDEN["en"][suppressed["reason"]])
    expect(page.locator("#latest-legend")).to_contain_text(
        "significant change since the previous survey, p < 0.05"
    )
    expect(page.locator("#method-heading")).to_have_text("How the figures are made")
    assert "lang=en" in page.url
    tab.check_accessibility("English, by unit")
    shoot(page, "dashboard-en.png")

    page.get_by_role("link", name="Nederlands").click()
    settle(page)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("#method-heading")).to_have_text("Zo komen de cijfers tot stand")
    assert "lang=" not in page.url


def test_series_break_pickers_keyboard_and_print(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    tab.goto("/dashboard/?indicator=satisfied_handling")
    settle(page)
    trend = api(live_server, "/api/v1/public/trends/satisfied_handling")
    broken = [p for p in trend["points"] if p["series_break"]]
    assert len(broken) == 1 and broken[0]["break_note"]

    # The break: a marked gap in the line, explained under the chart and in the table.
    mark = page.locator("#trend-chart .break-mark")
    expect(mark).to_have_count(1)
    assert mark.text_content() == "trendbreuk"
    expect(page.locator("#trend-note")).to_contain_text(f"Trendbreuk in {broken[0]['wave']}.")
    expect(page.locator("#trend-note")).to_contain_text(broken[0]["break_note"])
    expect(page.locator("#trend-legend")).to_contain_text("trendbreuk")
    at = float(mark.locator("line").get_attribute("x1"))
    lines = page.locator("#trend-chart path.line")
    for d in lines.evaluate_all("ps => ps.map(p => p.getAttribute('d'))"):
        xs = [float(x) for x in re.findall(r"[ML]([\d.]+),", d)]
        assert all(x < at for x in xs) or all(x > at for x in xs), "the line crosses the break"
    row = page.locator(f'#trend-table tr[data-wave="{broken[0]["wave"]}"]')
    expect(row.locator("td.change")).to_have_text("niet vergelijkbaar (trendbreuk)")

    # Another breakdown and one group's trend: chart, heading and tables follow.
    page.get_by_label("Uitsplitsen naar").select_option("function_group")
    settle(page)
    groups = api(live_server, "/api/v1/public/trends/satisfied_handling?by=function_group")
    last = groups["points"][-1]["wave"]
    latest = [p for p in groups["points"] if p["wave"] == last]
    heading = f"Uitgesplitst per functiegroep, meting {last}"
    expect(page.locator("#latest-heading")).to_have_text(heading)
    assert page.locator("#latest-table tr[data-group]").count() == len(latest) + 1
    assert page.locator("#latest-chart .hit").count() == len(latest) + 1
    chosen = next(p for p in latest if not p["suppressed"])
    page.get_by_label("Ontwikkeling voor").select_option(chosen["group"])
    settle(page)
    expect(page.locator("#trend-heading")).to_contain_text(label_of(chosen))
    expect(page.locator("#trend-table caption")).to_contain_text(label_of(chosen))
    series = [p for p in groups["points"] if p["group"] == chosen["group"]]
    rows = page.locator("#trend-table tbody tr")
    expect(rows).to_have_count(len(series))
    for row, point in zip(rows.all(), series, strict=True):
        estimate = row.locator("td").first.text_content()
        if point["suppressed"]:
            assert estimate == HIDDEN["nl"][point["reason"]]
        else:
            assert close_to(estimate, point["estimate"])
    assert f"group={chosen['group']}" in page.url
    tab.check_accessibility("a group's trend")

    # The keyboard: one tab stop per chart; arrows go through the waves; the tooltip
    # gives the figure with its n and response rate; Escape hides it.
    page.get_by_label("Ontwikkeling voor").focus()
    page.keyboard.press("Tab")
    active = "document.activeElement.getAttribute('data-wave')"
    assert page.evaluate(active) == series[0]["wave"]
    tip = page.locator("#trend-chart .tip")
    expect(tip).to_have_count(1)
    expect(tip).to_contain_text("n = ")
    expect(tip).to_contain_text("respons ")
    page.keyboard.press("ArrowRight")
    assert page.evaluate(active) == series[1]["wave"]
    page.keyboard.press("End")
    assert page.evaluate(active) == series[-1]["wave"]
    page.keyboard.press("Escape")
    expect(tip).to_have_count(0)
    page.keyboard.press("Tab")  # on to the table toggle
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    expect(page.locator("#trend-table")).to_be_visible()

    # Printed: no pickers or language switch, every table open, charts at page width.
    page.emulate_media(media="print")
    expect(page.locator("#controls")).to_be_hidden()
    expect(page.locator("#language-switch")).to_be_hidden()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    expect(page.locator("details:not([open])")).to_have_count(0)
    expect(page.locator("#latest-table")).to_be_visible()
    assert page.locator("#trend-chart svg").get_attribute("width") == "680"
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")
    expect(page.locator("#controls")).to_be_visible()
    expect(page.locator("details[open]")).to_have_count(1)  # the one opened by hand


def test_on_a_phone(open_tab, live_server):
    tab = open_tab(viewport=PHONE, device_scale_factor=1)
    page = tab.page
    tab.goto("/dashboard/?indicator=threat_intimidation&by=unit")
    settle(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for chart in ("#trend-chart", "#latest-chart"):
        assert float(page.locator(f"{chart} svg").get_attribute("width")) <= PHONE["width"]
    expect(page.get_by_label("Onderwerp")).to_be_visible()
    tab.check_accessibility("phone")
    shoot(page, "dashboard-phone.png")


def test_loading_and_an_unreachable_api(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    held: list[Any] = []
    page.route("**/api/v1/**", lambda route: held.append(route))
    tab.goto("/dashboard/")
    expect(page.locator("#status")).to_have_text("De cijfers worden geladen…")
    expect(page.locator("#results")).to_be_hidden()
    for route in held:
        route.abort()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("De cijfers konden niet worden geladen")
    expect(alert).to_contain_text("Probeer het over een paar minuten opnieuw")
    expect(page.locator("#results")).to_be_hidden()
    tab.check_accessibility("API unreachable")

    page.unroute("**/api/v1/**")
    page.get_by_role("button", name="Opnieuw proberen").click()
    settle(page)
    expect(page.locator("#results")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_hidden()
    # The browser reports the aborted requests, and nothing else.
    assert tab.console_errors and all("ERR_FAILED" in e for e in tab.console_errors)
    tab.console_errors.clear()


def test_a_link_cannot_point_the_dashboard_at_another_server(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    tab.goto("/dashboard/?api=https://figures.example.org/api/v1")
    settle(tab.page)
    expect(tab.page.locator("#results")).to_be_visible()
    # tab.close() (at the end of the test) checks that every request stayed in the app.


def test_before_anything_is_published(open_tab, live_server):
    tab = open_tab(viewport=DESKTOP)
    page = tab.page
    page.route("**/api/v1/public/indicators*", lambda route: route.fulfill(json=[]))
    tab.goto("/dashboard/")
    settle(page)
    expect(page.locator("#empty")).to_have_text("Er zijn nog geen cijfers gepubliceerd.")
    expect(page.locator("#controls")).to_be_hidden()
    expect(page.locator("#results")).to_be_hidden()
    tab.check_accessibility("nothing published")

    # Indicators, but no closed wave yet.
    page.unroute("**/api/v1/public/indicators*")
    empty = {
        "indicator": "x",
        "by": "none",
        "points": [],
        "label": "",
        "description": "",
        "kind": "proportion",
        "denominator": "all",
    }
    page.route("**/api/v1/public/trends/**", lambda route: route.fulfill(json=empty))
    page.reload()
    settle(page)
    no_waves = "Voor dit onderwerp zijn nog geen afgesloten metingen."
    expect(page.locator("#empty")).to_have_text(no_waves)
    expect(page.locator("#controls")).to_be_visible()
    expect(page.locator("#results")).to_be_hidden()


@pytest.mark.parametrize("reason", list(HIDDEN["nl"]))
def test_a_hidden_figure_says_why_in_dutch_and_english(open_tab, live_server, reason):
    """The demo hides small OM units (min_cell, complementary); here the API's answer is
    passed on with every hidden figure given `reason`, so that each reason is seen."""
    tab = open_tab(viewport=DESKTOP)
    page = tab.page

    def with_reason(route: Any) -> None:
        body = route.fetch().json()
        for point in body["points"]:
            if point["suppressed"]:
                point["reason"] = reason
        route.fulfill(json=body)

    page.route("**/api/v1/public/trends/threat_intimidation?by=unit*", with_reason)
    units = api(live_server, "/api/v1/public/trends/threat_intimidation?by=unit")
    latest = max(p["wave"] for p in units["points"] if not p["suppressed"])
    hidden = [p["group"] for p in units["points"] if p["suppressed"] and p["wave"] == latest]
    assert hidden, "the demo should suppress some OM units"
    for lang, query in (("nl", ""), ("en", "&lang=en")):
        tab.goto(f"/dashboard/?indicator=threat_intimidation&by=unit{query}")
        settle(page)
        words = HIDDEN[lang][reason]
        for group in hidden:
            row = page.locator(f'#latest-table tr[data-group="{group}"]')
            expect(row.locator("td").first).to_have_text(words)
            bar = page.locator(f'#latest-chart .hit[data-group="{group}"]')
            expect(bar).to_contain_text(words)
        expect(page.locator("#latest-legend")).to_contain_text(words + ":")
