"""The survey pages in a real browser (Chromium through Playwright): a respondent with
JavaScript, one without it on a phone, one with the keyboard only; axe-core on every page;
screenshots in test-output/screenshots/."""

from __future__ import annotations

import random
import time
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.db import session_scope
from app.questionnaires.loader import load_directory, parse_questionnaire
from app.questionnaires.schema import Questionnaire
from app.responses.service import load_progress
from app.responses.validation import validate_answers
from app.waves.service import frame_cells
from app.web import service
from tests.support import TODAY, load_fixture, open_mini_wave, stored_answers

pytestmark = pytest.mark.browser

SURVEY_DEFS = Path(__file__).parents[2] / "survey_defs"
REAL_VERSION = "mm-2026.1"
NEUTRAL_SITE = "https://www.rijksoverheid.nl/"


def real_questionnaire() -> Questionnaire:
    """The real questionnaire when its file is there and valid, else the mini fixture."""
    loaded = load_directory(SURVEY_DEFS)
    found = [q for q in loaded.questionnaires if q.id == REAL_VERSION]
    return found[0] if found else load_fixture()


def full_frame(questionnaire: Questionnaire) -> str:
    """A frame with every cell the questionnaire allows, so any background answer fits."""

    def codes(qid: str, organisation: str) -> list[str]:
        options = questionnaire.question(qid).options or ()
        return [o.code for o in options if o.organisation in (None, organisation)]

    lines = ["organisation,unit,function_group,headcount"]
    for organisation in codes("organisation", ""):
        for unit, group in product(
            codes("unit", organisation), codes("function_group", organisation)
        ):
            lines.append(f"{organisation},{unit},{group},20")
    return "\n".join(lines) + "\n"


def responses(factory) -> list[dict[str, Any]]:
    with factory() as session:
        return stored_answers(session)


def click_and_wait(page: Any, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def step(page: Any) -> str:
    """Where the respondent is: the page says so in <main data-step>. The address does not
    (it is /vragenlijst on every page), and the page's HTML is neither history nor a log."""
    return page.locator("main").get_attribute("data-step")


def enter_code(tab: Any, code: str, resume_key: str = "") -> None:
    tab.page.get_by_label("Uw toegangscode").fill(code)
    if resume_key:
        tab.page.get_by_label("Uw herstelsleutel").fill(resume_key)
    click_and_wait(tab.page, "Start")


def answer_visible_questions(page: Any, skip: set[str] = frozenset(), choice: int = 1) -> None:
    """Answer every question on screen, including those that appear meanwhile: the second
    option of a choice (so a screener says 'yes, once' and its follow-ups appear; the
    `choice`th instead), the first ordinary option of a multi, the lowest number but one;
    text is left empty."""
    done = set(skip)
    while True:
        pending = [
            block
            for block in page.locator("[data-question]:visible").all()
            if block.get_attribute("data-question") not in done
        ]
        if not pending:
            return
        block = pending[0]
        done.add(block.get_attribute("data-question"))
        kind = block.get_attribute("data-kind")
        if kind in ("single", "scale"):
            options = block.locator("input:visible")
            options.nth(min(choice, options.count() - 1)).check()
        elif kind == "multi":
            block.locator("input:visible:not([data-exclusive])").first.check()
        elif kind == "integer":
            field = block.locator("input[data-answer]")
            low, high = int(field.get_attribute("data-min")), int(field.get_attribute("data-max"))
            field.fill(str(min(low + 1, high)))


def test_a_respondent_completes_the_real_questionnaire(open_tab, factory):
    questionnaire = real_questionnaire()
    wave = open_mini_wave(factory, questionnaire=questionnaire, frame=full_frame(questionnaire))
    code = wave.codes[0]
    tab = open_tab(viewport={"width": 1280, "height": 900})
    page = tab.page
    tab.goto("/")
    tab.look("code page")
    enter_code(tab, code.lower())

    # A required question left open: the error summary gets the focus and links to it.
    first = questionnaire.modules[0]
    assert urlsplit(page.url).path == "/vragenlijst" and step(page) == first.id
    click_and_wait(page, "Volgende")
    summary = page.locator(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert summary.get_by_role("link").first.is_visible()
    organisation = page.locator("[data-question=organisation] input[type=radio]").first
    assert organisation.get_attribute("aria-invalid") == "true"
    tab.look(f"{first.id} with an error")
    summary.get_by_role("link", name=questionnaire.question("organisation").text["nl"]).click()
    assert page.evaluate("document.activeElement.name") == "organisation"
    assert urlsplit(page.url).fragment == ""  # the page script adds no history entry

    seen_integer_error = False
    saved_and_resumed = False
    answered_modules = []
    while step(page) != "review":
        module_id = step(page)
        number = [m.id for m in questionnaire.modules].index(module_id) + 1
        progress = page.locator(".progress").inner_text()
        assert progress == f"Onderdeel {number} van {len(questionnaire.modules)}"
        if len(answered_modules) == 1 and not saved_and_resumed:
            # Save and continue later: one answer given, then away, and back another day.
            first_block = page.locator("[data-question]:visible").first
            first_id = first_block.get_attribute("data-question")
            first_block.locator("input:visible").nth(1).check()
            click_and_wait(page, "Opslaan en later verder")
            resume_key = page.locator("#resume-key").inner_text()
            assert len(resume_key) >= 8
            tab.look("saved for later")
            assert not [c for c in tab.context.cookies() if c["name"] == "survey_session"]
            tab.close()
            tab = open_tab("-resumed", viewport={"width": 1280, "height": 900})
            page = tab.page
            tab.goto("/")
            enter_code(tab, code, resume_key)
            assert step(page) == module_id, "continues where it was left"
            assert page.locator(f"[data-question={first_id}] input:checked").count() == 1
            saved_and_resumed = True
            continue
        integer = page.locator("[data-kind=integer]:visible input[data-answer]")
        if not seen_integer_error and integer.count():
            integer.first.fill("veel")
            answer_visible_questions(page, skip={integer.first.get_attribute("name")})
            click_and_wait(page, "Volgende")
            field = page.locator("input[aria-invalid=true]")
            assert field.count() == 1 and field.input_value() == "veel"
            error = page.locator(f"#{field.get_attribute('aria-describedby').split()[-1]}")
            assert "Vul een heel getal in" in error.inner_text()
            tab.look(f"{module_id} with an invalid number")
            seen_integer_error = True
            continue
        answer_visible_questions(page)
        tab.look(module_id)
        click_and_wait(page, "Volgende")
        answered_modules.append(module_id)

    assert saved_and_resumed
    assert urlsplit(page.url).path == "/vragenlijst"
    assert page.get_by_role("heading", level=1).inner_text() == "Controleer uw antwoorden"
    with session_scope(factory) as session:
        answers = load_progress(session, wave.id, code, resume_key, TODAY)
        cells = {(c.organisation, c.unit, c.function_group) for c in frame_cells(session, wave.id)}
    assert validate_answers(questionnaire, answers, cells)[1] == []
    support = service.support_applies(questionnaire, answers)
    assert page.locator("section.support").count() == int(support)
    if questionnaire.id == REAL_VERSION:
        assert support, "a 'yes, once' to physical violence is for the support information"
        assert answered_modules == [m.id for m in questionnaire.modules], "every module asked"
    tab.look("review")
    click_and_wait(page, "Verzenden")
    assert page.get_by_role("heading", level=1).inner_text() == "Bedankt voor het invullen"
    assert page.locator("section.support").count() == int(support)
    tab.look("thanks")
    assert responses(factory) == [answers]


def test_without_javascript_on_a_phone(open_tab, factory):
    wave = open_mini_wave(factory)
    tab = open_tab(java_script_enabled=False, viewport={"width": 360, "height": 740})
    page = tab.page

    def fits_the_screen(label: str) -> None:
        width = page.locator("body").bounding_box()["width"]
        widest = max(
            box["x"] + box["width"]
            for box in (page.locator(sel).bounding_box() for sel in ("main", ".site-header"))
        )
        assert width <= 360 and widest <= 360, f"{label} is wider than the phone"
        tab.screenshot(label)

    tab.goto("/")
    fits_the_screen("code page")
    enter_code(tab, wave.codes[0])
    assert page.locator("[data-question=unit]").is_hidden()
    page.get_by_label("Politie").check()
    click_and_wait(page, "Volgende")
    assert page.get_by_role("heading", name="Er zijn vragen bijgekomen").is_visible()
    fits_the_screen("background with the unit added")
    page.get_by_label("Eenheid Rotterdam").check()
    page.get_by_label("Opsporing").check()
    click_and_wait(page, "Volgende")
    assert page.locator("[data-question=threat_count]").is_hidden()
    page.get_by_label("Meerdere keren").check()
    click_and_wait(page, "Volgende")
    page.get_by_label("Hoe vaak?").fill("4")
    page.get_by_label("Niet ernstig genoeg").check()
    fits_the_screen("screener with follow-ups")
    click_and_wait(page, "Volgende")
    fits_the_screen("review")
    click_and_wait(page, "Verzenden")
    fits_the_screen("thanks")
    assert responses(factory) == [
        {
            "organisation": "pol",
            "unit": "pol-rot",
            "function_group": "pol-ops",
            "threat": "several",
            "threat_count": 4,
            "reasons": ["minor"],
        }
    ]


def test_with_the_keyboard_only(open_tab, factory):
    wave = open_mini_wave(factory)
    tab = open_tab(viewport={"width": 1024, "height": 768})
    page = tab.page

    def tab_to(selector: str) -> None:
        """Tab until the element has the focus, which must be visible."""
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                style = page.evaluate(
                    "() => { const s = getComputedStyle(document.activeElement);"
                    " return s.outlineStyle + ' ' + s.boxShadow; }"
                )
                assert not style.startswith("none none"), f"no visible focus on {selector}"
                return
        raise AssertionError(f"{selector} cannot be reached with Tab")

    def press_on(selector: str, key: str) -> None:
        tab_to(selector)
        page.keyboard.press(key)

    tab.goto("/")
    tab_to("a.skip-link")
    tab_to("#code")
    page.keyboard.type(wave.codes[0])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    press_on("#organisation-pol", "Space")
    press_on("#unit-pol-ams", "Space")  # revealed by the choice, next in the tab order
    press_on("#function_group-pol-basis", "Space")
    tab_to("button[value=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to("#threat-no")
    page.keyboard.press("ArrowDown")  # moves to 'once' and chooses it
    assert page.locator("#threat-once").is_checked()
    press_on("#field-threat_count", "2")
    press_on("#reasons-none", "Space")
    press_on("#reasons-job", "Space")  # clears the exclusive 'no reason'
    assert not page.locator("#reasons-none").is_checked()
    tab_to("button[value=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to("button.button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", level=1).inner_text() == "Bedankt voor het invullen"
    assert responses(factory) == [
        {
            "organisation": "pol",
            "unit": "pol-ams",
            "function_group": "pol-basis",
            "threat": "once",
            "threat_count": 2,
            "reasons": ["job"],
        }
    ]


def walk_as(tab: Any, code: str, victim: bool) -> list[str]:
    """A whole survey with JavaScript: a victim says 'yes, once' where the other says 'no'
    (the first option) to every question. Returns the title of every page seen."""
    page = tab.page
    tab.goto("/")
    titles = [page.title()]
    enter_code(tab, code)
    titles.append(page.title())
    while step(page) != "review":
        answer_visible_questions(page, choice=1 if victim else 0)
        click_and_wait(page, "Volgende")
        titles.append(page.title())
    click_and_wait(page, "Verzenden")
    titles.append(page.title())
    return titles


def observed_walk(tab: Any, code: str, victim: bool, modules: list[str]) -> dict[str, Any]:
    """A walk as a browser history and a proxy would record it: every address requested,
    navigated to or redirected to (none names a module), and every title."""
    locations: list[str] = []
    navigated: list[str] = []
    tab.page.on("response", lambda response: locations.append(response.headers.get("location", "")))
    tab.page.on("framenavigated", lambda frame: navigated.append(frame.url))
    titles = walk_as(tab, code, victim)
    requested = [url for url in tab.requests if "/static/" not in url]
    for url in [*requested, *navigated, *locations]:
        assert not [m for m in modules if m in url], url
    assert {urlsplit(url).path for url in requested} <= {"/", "/vragenlijst/start", "/vragenlijst"}
    tab.close()
    # (How many pages each loaded differs: the victim answers more of them; README.)
    return {"titles": set(titles), "urls": set(requested) | set(navigated)}


def test_the_addresses_and_titles_do_not_tell_a_victim_from_a_non_victim(open_tab, factory):
    """A browser history, a proxy log: every address and every title a victim's walk
    leaves is one the other's walk leaves too, and none names a module."""
    questionnaire = real_questionnaire()
    wave = open_mini_wave(factory, questionnaire=questionnaire, frame=full_frame(questionnaire))
    modules = [m.id for m in questionnaire.modules]
    victim = observed_walk(open_tab("-victim"), wave.codes[0], True, modules)
    other = observed_walk(open_tab("-other"), wave.codes[1], False, modules)
    assert len(victim["titles"]) == 1
    assert victim == other
    if questionnaire.id == REAL_VERSION:  # the victim did get the incident module
        incident = {q.id for q in service.find_module(questionnaire, "incident").questions}
        assert sorted(bool(set(r) & incident) for r in responses(factory)) == [False, True]


def went_back(page: Any) -> bool:
    """Back one entry in the history; False at its start. An entry that a form's POST
    left is not sent again (Chromium shows its 'Confirm form resubmission' page)."""
    from playwright.sync_api import Error

    try:
        return page.go_back() is not None
    except Error as error:
        assert "ERR_CACHE_MISS" in str(error), error
        return True


@pytest.mark.parametrize("script", [True, False], ids=["javascript", "no-javascript"])
def test_quick_exit_leaves_and_forgets(open_tab, factory, script):
    wave = open_mini_wave(factory)
    tab = open_tab(java_script_enabled=script)
    page = tab.page
    tab.goto("/")
    enter_code(tab, wave.codes[0])
    assert [c["name"] for c in tab.context.cookies()] == ["survey_session"]
    cookie = tab.context.cookies()[0]
    assert (
        cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/vragenlijst"
    )
    # Gone after 20 minutes without activity (each page renews it), or when left.
    assert 0 < cookie["expires"] - time.time() <= 20 * 60
    # Some answers on screen and some saved, then away.
    page.get_by_label("Politie").check()
    if not script:
        click_and_wait(page, "Volgende")
    page.get_by_label("Eenheid Rotterdam").check()
    page.get_by_label("Opsporing").check()
    click_and_wait(page, "Volgende")
    page.get_by_label("Meerdere keren").check()
    # There is no network here: the neutral site is asked for, but does not answer.
    with page.expect_request(lambda request: request.url == NEUTRAL_SITE):
        page.get_by_role("link", name="Snel weg").click()
    page.wait_for_load_state()
    assert tab.context.cookies() == []
    tab.requests = [url for url in tab.requests if url != NEUTRAL_SITE]
    # Back: the survey's one address, loaded again (never from a cache), has no session
    # and shows the code page. And so on, as far as the history goes: no page shows an
    # answer.
    assert went_back(page)
    assert page.get_by_label("Uw toegangscode").is_visible()
    while True:
        assert page.locator("input:checked").count() == 0, page.url
        assert page.locator("main[data-step]").count() == 0, page.url
        if not went_back(page):
            break


QUIZ = """
id: quiz-2026.1
title: {nl: Routeringstest, en: Routing test}
modules:
  - id: background
    title: {nl: Achtergrond, en: Background}
    questions:
      - {id: organisation, type: single, text: {nl: Organisatie, en: Organisation},
         options: [{code: pol, label: {nl: Politie, en: Police}},
                   {code: om, label: {nl: OM, en: PPS}}]}
      - {id: unit, type: single, text: {nl: Onderdeel, en: Unit},
         options: [{code: u, label: {nl: U, en: U}}]}
      - {id: function_group, type: single, text: {nl: Functie, en: Function},
         options: [{code: f, label: {nl: F, en: F}}]}
  - id: page
    title: {nl: Alles op een pagina, en: All on one page}
    questions:
      - {id: a, type: single, required: false, text: {nl: A, en: A}, options: &xyz [
          {code: x, label: {nl: X, en: X}}, {code: "y", label: {nl: Y, en: Y}},
          {code: z, label: {nl: Z, en: Z}}]}
      - {id: b, type: multi, required: false, text: {nl: B, en: B}, options: [
          {code: x, label: {nl: X, en: X}}, {code: "y", label: {nl: Y, en: Y}},
          {code: z, label: {nl: Z, en: Z}}, {code: n, exclusive: true, label: {nl: N, en: N}}]}
      - {id: c, type: integer, required: false, min: 0, max: 10, text: {nl: C, en: C}}
      - {id: d, type: text, required: false, max_length: 20, text: {nl: D, en: D}}
      - {id: e, type: scale, required: false, text: {nl: E, en: E}, show_if: {question: a, in: [x]},
         options: [{code: "1", label: {nl: "1", en: "1"}}, {code: "2", label: {nl: "2", en: "2"}}]}
      - {id: q1, type: single, required: false, text: {nl: Q1, en: Q1}, options: *xyz,
         show_if: {question: b, in: [x, "y"]}}
      - {id: q2, type: single, required: false, text: {nl: Q2, en: Q2}, options: *xyz,
         show_if: {question: b, not_in: [x]}}
      - {id: q3, type: single, required: false, text: {nl: Q3, en: Q3}, options: *xyz,
         show_if: {question: c, min: 3}}
      - {id: q4, type: single, required: false, text: {nl: Q4, en: Q4}, options: *xyz,
         show_if: {question: c, max: 5}}
      - {id: q5, type: single, required: false, text: {nl: Q5, en: Q5}, options: *xyz,
         show_if: {question: c, min: 2, max: 4}}
      - {id: q6, type: single, required: false, text: {nl: Q6, en: Q6}, options: *xyz,
         show_if: {question: d, answered: true}}
      - {id: q7, type: single, required: false, text: {nl: Q7, en: Q7}, options: *xyz,
         show_if: {question: e, answered: false}}
      - {id: q8, type: single, required: false, text: {nl: Q8, en: Q8}, options: *xyz,
         show_if: {not: {question: e, in: ["1"]}}}
      - {id: q9, type: single, required: false, text: {nl: Q9, en: Q9}, options: *xyz,
         show_if: {all: [{question: a, not_in: ["y"]},
                         {any: [{question: c, min: 8}, {question: b, in: [z]}]}]}}
      - {id: q10, type: single, required: false, text: {nl: Q10, en: Q10}, options: *xyz,
         show_if: {any: [{question: q9, in: [x]}, {question: q1, answered: false}]}}
      - {id: q11, type: single, required: false, text: {nl: Q11, en: Q11}, options: *xyz,
         show_if: {all: [{question: organisation, in: [pol]}, {question: a, in: ["y"]}]}}
      - {id: q12, type: single, required: false, text: {nl: Q12, en: Q12}, options: *xyz,
         show_if: {not: {question: organisation, in: [pol]}}}
"""

SET_STATE = """state => {
  const fields = '[data-question] input:not([type=hidden]), [data-question] textarea';
  for (const input of document.querySelectorAll(fields)) {
    const wanted = state[input.name];
    if (input.type === 'radio' || input.type === 'checkbox') {
      input.checked = Array.isArray(wanted) ? wanted.includes(input.value) : wanted === input.value;
    } else {
      input.value = wanted === undefined ? '' : wanted;
    }
  }
  document.querySelector('form').dispatchEvent(new Event('change', {bubbles: true}));
  return [...document.querySelectorAll('[data-question]')].filter(b => !b.hidden)
    .map(b => b.dataset.question);
}"""


def test_the_page_script_follows_the_routing_of_the_server(open_tab, factory):
    """Random answers on a page with every kind of condition: the questions the script
    shows are those the server would show for the same answers."""
    questionnaire, problems = parse_questionnaire(yaml.safe_load(QUIZ), "quiz.yaml")
    assert questionnaire is not None, problems
    frame = "organisation,unit,function_group,headcount\npol,u,f,10\n"
    wave = open_mini_wave(factory, questionnaire=questionnaire, frame=frame)
    tab = open_tab()
    page = tab.page
    tab.goto("/")
    enter_code(tab, wave.codes[0])
    page.get_by_label("Politie").check()
    page.get_by_label("U", exact=True).check()
    page.get_by_label("F", exact=True).check()
    click_and_wait(page, "Volgende")
    assert step(page) == "page"
    module = service.find_module(questionnaire, "page")
    background = {"organisation": "pol", "unit": "u", "function_group": "f"}
    cells = {("pol", "u", "f")}

    def expected(state: dict[str, Any]) -> list[str]:
        form = {qid: value if isinstance(value, list) else [value] for qid, value in state.items()}
        form[service.SHOWN_FIELD] = [q.id for q in module.questions]
        _, values = service.read_page(module, form)
        merged = {**background, **{k: v for k, v in values.items() if v is not None}}
        kept, _ = validate_answers(questionnaire, merged, cells)
        routing = service.Routing.of(questionnaire, kept)
        return [q.id for q in module.questions if routing.displayed(q)]

    rng = random.Random(2026)
    codes = ["x", "y", "z"]
    assert page.evaluate(SET_STATE, {}) == expected({})
    for _ in range(60):
        state: dict[str, Any] = {}
        for qid in ("a", "e", *(f"q{i}" for i in range(1, 13))):
            if rng.random() < 0.6:
                state[qid] = rng.choice(["1", "2"] if qid == "e" else codes)
        if rng.random() < 0.7:
            state["b"] = rng.sample(["x", "y", "z"], rng.randint(1, 3))
        if rng.random() < 0.8:
            state["c"] = rng.choice(["0", "2", "3", "4", "5", "8", "10", "11", "-1", "abc", " 7 "])
        if rng.random() < 0.5:
            state["d"] = rng.choice(["tekst", "   "])
        assert page.evaluate(SET_STATE, state) == expected(state), state

    # An exclusive option clears the others, and the other way round.
    page.evaluate(SET_STATE, {})
    page.get_by_label("X", exact=True).nth(1).check()
    page.get_by_label("N", exact=True).check()
    assert not page.locator("#b-x").is_checked()
    page.locator("#b-z").check()
    assert not page.locator("#b-n").is_checked()
