"""Going back in a real browser (Chromium through Playwright): the "Vorige" button keeps
what is on the page, and the browser's own Back after sending says that the answers
arrived. The address and the title stay the same throughout (CONTRACT section 4)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.web.layout import covered_text
from tests.web.test_survey_browser import (
    click_and_wait,
    enter_code,
    full_frame,
    open_mini_wave,
    real_questionnaire,
    responses,
    step,
    went_back,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_back_keeps_the_screener_answers_on_the_page(open_tab, factory, script):
    """The nine screener answers, given and not yet sent with "Volgende", are there again
    after "Vorige" and "Volgende"; the follow-up questions they bring, left open although
    required, do not hold up going back."""
    questionnaire = real_questionnaire()
    wave = open_mini_wave(factory, questionnaire=questionnaire, frame=full_frame(questionnaire))
    tab = open_tab(java_script_enabled=script)
    page = tab.page
    tab.goto("/")
    title = page.title()
    enter_code(tab, wave.codes[0])
    page.locator("#organisation-pol").check()
    if not script:  # the units of the police appear with the next page load
        click_and_wait(page, "Volgende")
    for qid in ("unit", "function_group", "tenure", "age", "gender"):
        page.locator(f"[data-question={qid}] input:visible").first.check()
    click_and_wait(page, "Volgende")
    assert step(page) == "screener"
    module = next(m for m in questionnaire.modules if m.id == "screener")
    screener = [q.id for q in module.questions if q.show_if is None]
    assert len(screener) == 9
    chosen = {}
    for k, qid in enumerate(screener):
        options = page.locator(f"[data-question={qid}] input[type=radio]")
        option = options.nth(k % options.count())  # 'no', 'once', 'several', ... in turn
        option.check()
        chosen[qid] = option.get_attribute("value")
    assert len(set(chosen.values())) > 1

    click_and_wait(page, "Vorige")
    assert step(page) == "background"
    assert page.locator(".error-summary").count() == 0
    click_and_wait(page, "Volgende")
    assert step(page) == "screener"
    for qid, code in chosen.items():
        checked = page.locator(f"[data-question={qid}] input:checked")
        assert checked.count() == 1 and checked.get_attribute("value") == code, qid
    assert urlsplit(page.url).path == "/vragenlijst" and page.title() == title
    tab.close()


def test_browser_back_after_sending_says_the_answers_arrived(open_tab, factory):
    wave = open_mini_wave(factory)
    tab = open_tab()
    page = tab.page
    tab.goto("/")
    title = page.title()
    enter_code(tab, wave.codes[0])
    page.get_by_label("Politie").check()
    page.get_by_label("Eenheid Rotterdam").check()
    page.get_by_label("Opsporing").check()
    click_and_wait(page, "Volgende")
    page.get_by_label("Nee").check()
    click_and_wait(page, "Volgende")
    click_and_wait(page, "Verzenden")
    assert page.get_by_role("heading", level=1).inner_text() == "Bedankt voor het invullen"

    assert went_back(page)
    assert page.get_by_role("heading", level=1).inner_text() == "Uw antwoorden zijn aangekomen"
    assert "Er is niets meer te doen" in page.locator("main").inner_text()
    assert urlsplit(page.url).path == "/vragenlijst" and page.title() == title
    assert page.locator("input:checked, form").count() == 0  # no answer, nothing to send
    tab.look("answers arrived")
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Your answers have arrived"
    assert len(responses(factory)) == 1


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_on_a_390_pixel_phone_nothing_covers_text(open_tab, factory, script):
    """The quick exit stays in reach on every page and covers no text, anywhere the page
    is scrolled to; and it is still there at the bottom of a long page."""
    questionnaire = real_questionnaire()
    wave = open_mini_wave(factory, questionnaire=questionnaire, frame=full_frame(questionnaire))
    tab = open_tab(java_script_enabled=script, viewport=PHONE)
    page = tab.page
    tab.goto("/")
    seen = {"code page": covered_text(page)}
    enter_code(tab, wave.codes[0])
    seen["background"] = covered_text(page)
    page.locator("#organisation-pol").check()
    click_and_wait(page, "Volgende")  # errors: the summary and every message on the page
    seen["background with errors"] = covered_text(page)
    for qid in ("unit", "function_group", "tenure", "age", "gender"):
        page.locator(f"[data-question={qid}] input:visible").first.check()
    click_and_wait(page, "Volgende")
    seen["screener"] = covered_text(page)
    tab.screenshot("screener on a phone")
    assert {label: found for label, found in seen.items() if found} == {}
    page.evaluate("window.scrollTo({top: document.body.scrollHeight, behavior: 'instant'})")
    exit_box = page.get_by_role("link", name="Snel weg").bounding_box()
    assert exit_box["y"] >= 0 and exit_box["y"] + exit_box["height"] <= PHONE["height"]
    tab.close()
