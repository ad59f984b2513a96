"""The survey pages at `/`: plain server-rendered forms, POST-redirect-GET, one page per
module. How the pages keep the respondent's place is in app/web/session.py.

  GET  /                                the code (and the wave, if several are open)
  POST /vragenlijst/start               checks the code, sets the session cookie
  GET  /vragenlijst/onderdeel/{module}  one module, routing applied
  POST /vragenlijst/onderdeel/{module}  saves it: on to the next page, or this one again
  GET  /vragenlijst/controleren         the answers, with links to change them
  POST /vragenlijst/verzenden           submits; answers with the thank-you page
  GET  /vragenlijst/bewaard             after "Save and continue later"
  GET  /snel-weg                        quick exit: clears what the browser holds, leaves

Texts are Dutch; `?lang=en` on any of them gives English, and every link keeps it.

A page sent with errors, or one that gained questions from its own answers, comes back
as the response to its POST (as GOV.UK forms do). The thank-you page is the response to
the submitting POST too: whether it shows the support information depends on the
answers, which are deleted at submission, and keeping that fact anywhere for a later GET
would keep something about the answers after they are gone. A reload cannot submit
twice: the code is spent and the cookie removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.db import session_scope
from app.dependencies import SessionDep, SettingsDep, TodayDep, TransactionalRoute
from app.problems import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    ProblemError,
    TooManyRequests,
)
from app.questionnaires.schema import DEFAULT_LANGUAGE, Module, Question, Questionnaire
from app.questionnaires.service import get_version
from app.ratelimit import FailureLimit
from app.responses.drafts import new_resume_key
from app.responses.intake import Intake
from app.responses.service import (
    Submission,
    check_code,
    find_progress,
    open_wave_for,
    require_code,
    save_progress,
)
from app.responses.validation import Cell, validate_answers
from app.waves.models import Wave
from app.waves.service import frame_cell_set, get_wave, open_waves
from app.web import service
from app.web.dashboard import BASE_CSS
from app.web.session import Respondent, forget, remember, renew, respondent
from app.web.texts import TEXTS, language, long_date, other_language

HERE = Path(__file__).parent
# The pages' own static files, and the base styles they share with the dashboard.
STATIC = {p.name: p for p in (HERE / "static").glob("*.*")} | {BASE_CSS.name: BASE_CSS}
# Static files are served under a name that changes with their content, so they can be
# cached for good (every other response is no-store, see security.py).
ASSETS = {name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for name, p in STATIC.items()}
START = "/"
BEGIN = "/vragenlijst/start"
MODULE = "/vragenlijst/onderdeel/{}"
REVIEW = "/vragenlijst/controleren"
SEND = "/vragenlijst/verzenden"
SAVED = "/vragenlijst/bewaard"
NOTICES = ("session", "closed")  # why the code page is shown again


def _same_origin_only(request: Request) -> None:
    """Form posts come from our own pages only. Without this another site could start a
    session in a respondent's browser with a code of its own, and read the answers given
    under it later (login CSRF). Browsers say where a request comes from in
    Sec-Fetch-Site; one that does not is let through (the cookie is SameSite=Strict)."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "Form posts are accepted from this site's own pages only.")


class SurveyRoute(TransactionalRoute):
    """A survey page: its response renews the session cookie (app.web.session)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def renewing(request: Request) -> Response:
            response = await handler(request)
            renew(response, request)
            return response

        return renewing


router = APIRouter(include_in_schema=False, route_class=SurveyRoute)


def _paragraphs(text: str) -> Markup:
    """Definition texts keep their paragraphs as line breaks (YAML folded blocks)."""
    return Markup("\n").join(
        Markup("<p>{}</p>").format(part.strip()) for part in text.split("\n") if part.strip()
    )


TEMPLATES = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
TEMPLATES.filters["paragraphs"] = _paragraphs
TEMPLATES.globals["asset"] = lambda name: f"/static/{name}?v={ASSETS[name]}"


async def _form(request: Request) -> dict[str, list[str]]:
    """The posted form as plain lists of strings, so that the routes themselves can stay
    synchronous (they run in the thread pool, as the database calls need)."""
    form = await request.form()
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


def _lang(request: Request) -> str:
    return language(request.query_params.get("lang"))


FormDep = Annotated[dict[str, list[str]], Depends(_form)]
LangDep = Annotated[str, Depends(_lang)]
SameOrigin = [Depends(_same_origin_only)]


def link(path: str, lang: str, **params: str) -> str:
    """A URL of the pages in the respondent's language. Never one with the code in it."""
    query = {"lang": lang} if lang != DEFAULT_LANGUAGE else {}
    query.update({key: value for key, value in params.items() if value})
    return f"{path}?{urlencode(query)}" if query else path


def module_link(module: Module | None, lang: str, **params: str) -> str:
    """The page of a module; None stands for the review page that follows the last one."""
    return link(MODULE.format(module.id), lang, **params) if module else link(REVIEW, lang)


def render(
    template: str,
    lang: str,
    *,
    switch: str | None,
    status: int = 200,
    title: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page. `switch` is the page to offer in the other language, `title` the site's."""
    other = other_language(lang)
    html = TEMPLATES.get_template(template).render(
        lang=lang,
        t=TEXTS[lang],
        other_lang=other,
        other_language_name=TEXTS[other]["language_name"],
        switch_url=switch,
        site_title=title or TEXTS[lang]["default_title"],
        **context,
    )
    return HTMLResponse(html, status_code=status)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# --- the respondent's survey ------------------------------------------------------------


@dataclass(frozen=True)
class Survey:
    wave: Wave
    questionnaire: Questionnaire
    who: Respondent
    answers: dict[str, Any]  # as saved

    def cells(self, session: Session) -> set[Cell]:
        return frame_cell_set(session, self.wave.id)

    def remaining(self, session: Session) -> list[FieldError]:
        """What is still to be answered (or answered wrongly) anywhere."""
        return validate_answers(self.questionnaire, self.answers, self.cells(session))[1]


class NoSurvey(Exception):
    """This browser has no usable session: back to the code page, with `notice` saying why."""

    def __init__(self, notice: str = ""):
        self.notice = notice


def open_survey(session: Session, who: Respondent, today: date) -> Survey:
    """The respondent's wave, questionnaire and saved answers (404, 409, 403)."""
    wave = open_wave_for(session, who.wave_id, today)
    require_code(session, wave, who.code)
    answers = find_progress(session, wave, who.code, who.resume_key) or {}
    return Survey(wave, get_version(session, wave.questionnaire_id), who, answers)


def load_survey(request: Request, session: Session, today: date) -> Survey:
    who = respondent(request)
    if who is None:
        raise NoSurvey("session")
    try:
        return open_survey(session, who, today)
    except (Conflict, NotFound) as exc:
        raise NoSurvey("closed") from exc
    except Forbidden as exc:  # spent meanwhile, e.g. submitted in another tab
        raise NoSurvey() from exc


def restart(request: Request, lang: str, reason: NoSurvey) -> RedirectResponse:
    response = redirect(link(START, lang, melding=reason.notice))
    forget(response, request)
    return response


# --- start ------------------------------------------------------------------------------


@router.get(START)
def start_page(session: SessionDep, today: TodayDep, lang: LangDep, melding: str = "") -> Response:
    return _start(session, today, lang, notice=melding if melding in NOTICES else "")


def _start(
    session: Session,
    today: date,
    lang: str,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    code: str = "",
    chosen: str = "",
    notice: str = "",
) -> HTMLResponse:
    t = TEXTS[lang]
    waves = [(w, get_version(session, w.questionnaire_id)) for w in open_waves(session, today)]
    questionnaire = waves[0][1] if len(waves) == 1 else None
    errors = errors or {}
    fields = {
        "wave": (t["wave_legend"], f"#wave-{waves[0][0].id}" if waves else ""),
        "code": (t["code_label"], "#code"),
        "resume_key": (t["resume_key_label"], "#resume_key"),
    }
    return render(
        "start.html",
        lang,
        switch=link(START, other_language(lang)),
        status=status,
        title=questionnaire.title[lang] if questionnaire else None,
        waves=waves,
        questionnaire=questionnaire,
        errors=errors,
        summary=[(fields[name][0], message, fields[name][1]) for name, message in errors.items()],
        code=code,
        chosen=chosen,
        notice=notice,
        action=link(BEGIN, lang),
    )


@router.post(BEGIN, dependencies=SameOrigin)
def start(
    request: Request, form: FormDep, session: SessionDep, today: TodayDep, lang: LangDep
) -> Response:
    """Check the code with the service behind POST /api/v1/waves/{id}/codes/check, then
    continue where the respondent was: the first page with a question still to answer."""
    t = TEXTS[lang]
    code = (form.get("code") or [""])[0].strip()
    wave_id = (form.get("wave") or [""])[0]
    resume_key = (form.get("resume_key") or [""])[0].strip()
    errors = {}
    if not wave_id:
        errors["wave"] = t["wave_missing"]
    if not code:
        errors["code"] = t["code_missing"]
    if not errors:
        # Counted with the API's code checks: one client, one budget (app.ratelimit).
        # A wrong resume key is a failed attempt too: guessing keys is limited as well.
        failures: FailureLimit = request.app.state.code_failures
        code_accepted = False
        try:
            with failures.attempt(request.scope):
                check_code(session, wave_id, code, today)
                code_accepted = True
                wave = open_wave_for(session, wave_id, today)
                if resume_key and find_progress(session, wave, code, resume_key) is None:
                    raise Forbidden("no draft for this code and resume key")
        except TooManyRequests as refusal:
            errors["code"] = t["code_too_many"]
            page = _start(session, today, lang, status=429, errors=errors, chosen=wave_id)
            page.headers.update(refusal.headers or {})
            return page
        except Forbidden:
            if code_accepted:
                errors["resume_key"] = t["resume_key_refused"]
            else:
                errors["code"] = t["code_refused"]
        except (Conflict, NotFound):
            errors["code"] = t["wave_closed"]
    if errors:
        return _start(session, today, lang, status=422, errors=errors, code=code, chosen=wave_id)
    who = Respondent(wave_id, code, resume_key or new_resume_key())
    survey = open_survey(session, who, today)
    target = service.first_module_with_errors(survey.questionnaire, survey.remaining(session))
    response = redirect(module_link(target, lang))
    remember(response, request, survey.who)
    return response


# --- module pages -----------------------------------------------------------------------


@router.get(MODULE.format("{module_id}"))
def module_page(
    module_id: str,
    request: Request,
    session: SessionDep,
    today: TodayDep,
    lang: LangDep,
    wijzigen: str = "",
) -> Response:
    try:
        survey = load_survey(request, session, today)
    except NoSurvey as reason:
        return restart(request, lang, reason)
    module = service.find_module(survey.questionnaire, module_id)
    if module is None:
        return _not_found(lang, survey.questionnaire)
    routing = service.Routing.of(survey.questionnaire, survey.answers)
    if not any(map(routing.displayed, module.questions)):
        following = service.module_after(survey.questionnaire, routing, module)
        return redirect(module_link(following, lang))
    return _module(lang, survey, module, routing, survey.answers, changing=wijzigen == "1")


@router.post(MODULE.format("{module_id}"), dependencies=SameOrigin)
def save_module(
    module_id: str,
    request: Request,
    form: FormDep,
    session: SessionDep,
    today: TodayDep,
    lang: LangDep,
) -> Response:
    try:
        survey = load_survey(request, session, today)
    except NoSurvey as reason:
        return restart(request, lang, reason)
    questionnaire = survey.questionnaire
    module = service.find_module(questionnaire, module_id)
    if module is None:
        return _not_found(lang, questionnaire)
    shown, values = service.read_page(module, form)
    result = service.submit_page(
        questionnaire, module, survey.answers, shown, values, survey.cells(session)
    )
    changing = form.get(service.CHANGING_FIELD) == ["1"]
    if form.get(service.ACTION_FIELD) == ["stop"]:
        _save(session, survey, result.answers, today)
        # The key is shown once, as the answer to this POST: no later page can show it.
        response = _saved(session, lang, survey.wave, resume_key=survey.who.resume_key)
        forget(response, request)
        return response
    routing = service.Routing.of(questionnaire, result.answers)
    if result.errors:
        # Nothing is saved until the page is right; it comes back with what was typed.
        typed = {service.question_of(e): values.get(service.question_of(e)) for e in result.errors}
        return _module(
            lang,
            survey,
            module,
            routing,
            {**result.answers, **typed},
            changing=changing,
            errors=result.errors,
            typed=values,
            status=422,
        )
    _save(session, survey, result.answers, today)
    if result.added:
        return _module(
            lang, survey, module, routing, result.answers, changing=changing, added=result.added
        )
    if changing:
        # Back to the review, unless the change asks for answers elsewhere.
        target = service.first_module_with_errors(questionnaire, result.remaining)
        return redirect(module_link(target, lang, wijzigen="1" if target else ""))
    return redirect(module_link(service.module_after(questionnaire, routing, module), lang))


def _module(
    lang: str,
    survey: Survey,
    module: Module,
    routing: service.Routing,
    values: dict[str, Any],
    *,
    changing: bool,
    errors: list[FieldError] | None = None,
    typed: dict[str, Any] | None = None,
    added: list[Question] | None = None,
    status: int = 200,
) -> HTMLResponse:
    questionnaire = survey.questionnaire
    messages = {
        question.id: message
        for question, message in service.error_messages(
            questionnaire, errors or [], lang, typed or {}
        )
    }
    fields = service.page_fields(questionnaire, module, routing, values, messages)
    targets = {field.question.id: f"#{field.input_id}" for field in fields}
    number = questionnaire.modules.index(module) + 1
    progress = TEXTS[lang]["progress"].format(number=number, total=len(questionnaire.modules))
    previous = service.module_before(questionnaire, routing, module)
    path = MODULE.format(module.id)
    return render(
        "module.html",
        lang,
        switch=link(path, other_language(lang), wijzigen="1" if changing else ""),
        status=status,
        title=questionnaire.title[lang],
        page_title=f"{progress}: {module.title[lang]}",
        module=module,
        progress=progress,
        fields=fields,
        summary=[
            (f.question.text[lang], f.error, targets[f.question.id]) for f in fields if f.error
        ],
        added=[(q, targets[q.id]) for q in added or [] if q.id in targets],
        back=module_link(previous, lang) if previous else None,
        action=link(path, lang),
        changing=changing,
        names={
            "shown": service.SHOWN_FIELD,
            "action": service.ACTION_FIELD,
            "changing": service.CHANGING_FIELD,
        },
    )


# --- review and submission --------------------------------------------------------------


@router.get(REVIEW)
def review_page(request: Request, session: SessionDep, today: TodayDep, lang: LangDep) -> Response:
    try:
        survey = load_survey(request, session, today)
    except NoSurvey as reason:
        return restart(request, lang, reason)
    return _review(lang, survey, survey.remaining(session))


def _review(lang: str, survey: Survey, errors: list[FieldError], status: int = 200) -> Response:
    questionnaire = survey.questionnaire
    module_of = {q.id: m for m in questionnaire.modules for q in m.questions}

    def change_link(question: Question) -> str:
        return module_link(module_of[question.id], lang, wijzigen="1") + f"#vraag-{question.id}"

    routing = service.Routing.of(questionnaire, survey.answers)
    messages = service.error_messages(questionnaire, errors, lang, survey.answers)
    applies = service.support_applies(questionnaire, survey.answers)
    return render(
        "review.html",
        lang,
        switch=link(REVIEW, other_language(lang)),
        status=status,
        title=questionnaire.title[lang],
        sections=service.review_sections(questionnaire, survey.answers, lang),
        summary=[(q.text[lang], message, change_link(q)) for q, message in messages],
        change_link=change_link,
        support=questionnaire.support if applies else None,
        back=module_link(service.module_before(questionnaire, routing, None), lang),
        action=link(SEND, lang),
    )


@router.post(SEND, dependencies=SameOrigin)
async def submit_answers(request: Request, today: TodayDep, lang: LangDep) -> Response:
    """Submit through the one intake of POST /api/v1/waves/{id}/responses: the same
    validation, the code spent and the saved answers deleted with it."""
    try:
        survey = await run_in_threadpool(_survey_to_send, request, today)
    except NoSurvey as reason:
        return restart(request, lang, reason)
    questionnaire = survey.questionnaire
    # Decided before submitting: afterwards the saved answers no longer exist.
    applies = service.support_applies(questionnaire, survey.answers)
    intake: Intake = request.app.state.intake
    try:
        await intake.submit(Submission(survey.wave.id, survey.who.code, survey.answers))
    except InvalidInput as exc:
        return _review(lang, survey, exc.errors, status=422)
    except ProblemError:  # closed or spent in the meantime
        return restart(request, lang, NoSurvey())
    response = render(
        "thanks.html",
        lang,
        switch=None,  # nothing left to show again in the other language
        title=questionnaire.title[lang],
        questionnaire=questionnaire,
        support=questionnaire.support if applies else None,
    )
    forget(response, request)
    return response


def _survey_to_send(request: Request, today: date) -> Survey:
    # A session of its own, ended before the intake writes (SQLite has one connection).
    with session_scope(request.app.state.sessionmaker) as session:
        return load_survey(request, session, today)


# --- leaving ----------------------------------------------------------------------------


@router.get(SAVED)
def saved_page(session: SessionDep, lang: LangDep, wave: str = "") -> HTMLResponse:
    try:
        found = get_wave(session, wave)
    except NotFound:
        found = None
    return _saved(session, lang, found)


def _saved(session: Session, lang: str, wave: Wave | None, resume_key: str = "") -> HTMLResponse:
    return render(
        "saved.html",
        lang,
        switch=link(SAVED, other_language(lang), wave=wave.id if wave else ""),
        title=get_version(session, wave.questionnaire_id).title[lang] if wave else None,
        closes=long_date(wave.closes_at, lang) if wave else None,
        resume_key=resume_key,
        start=link(START, lang),
    )


def _save(session: Session, survey: Survey, answers: dict[str, Any], today: date) -> None:
    who = survey.who
    save_progress(session, survey.wave.id, who.code, who.resume_key, answers, today)


@router.get("/snel-weg")
def quick_exit(request: Request, settings: SettingsDep) -> RedirectResponse:
    """Leave at once (to MONITOR_QUICK_EXIT_URL). The survey cookie is removed explicitly
    and the site's storage cleared. Not Clear-Site-Data "cookies": that covers the whole
    registrable domain and would sign the browser out of other intranet sites too. Not
    "cache": no page of ours is ever cached, and clearing it can hold up the navigation.
    """
    response = redirect(settings.quick_exit_url)
    response.headers["Clear-Site-Data"] = '"storage"'
    forget(response, request)
    return response


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound(f"no static file {name}")
    return FileResponse(
        STATIC[name], headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )


def _not_found(lang: str, questionnaire: Questionnaire) -> HTMLResponse:
    return render(
        "not_found.html",
        lang,
        switch=None,
        status=404,
        title=questionnaire.title[lang],
        start=link(START, lang),
    )
