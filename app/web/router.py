"""The survey pages at `/`: plain server-rendered forms, POST-redirect-GET, one page per
module, all of them at one address. How the pages keep the respondent's place is in
app/web/session.py.

  GET  /                   the code (and the wave, if several are open)
  POST /vragenlijst/start  checks the code, sets the session cookie
  GET  /vragenlijst        the respondent's current page: a module (routing applied) or
                           the review of every answer
  POST /vragenlijst        that page's form, with `_action`: next, back (saves what is valid
                           first), stop (save and continue later), change:<module> and send
                           (on the review page)
  GET  /snel-weg           quick exit: clears what the browser holds, leaves

Which page /vragenlijst shows is kept in the sealed session cookie, never in the address:
a browser history, a proxy log or the access log must not tell someone who reported an
incident from someone who did not (CONTRACT section 4). For the same reason every page has
one title, that of the questionnaire, and every page that is accepted answers its POST
with 303 to /vragenlijst, also when its own answers added questions to it (they are
announced on the page that follows). Texts are Dutch; `?lang=en` gives English, and every
link and form keeps it (the language is not an answer).

A page sent with errors comes back as the response to its POST (as GOV.UK forms do;
errors happen to everyone). The thank-you page is the response to the submitting POST
too: whether it shows the support information depends on the answers, which are deleted
at submission, and keeping that fact anywhere for a later GET would keep something about
the answers after they are gone. So is the page after "Save and continue later", which
shows the resume key once. A reload cannot submit twice: the code is spent and the session
replaced by a marker (no code) with which /vragenlijst says that the answers arrived.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from sqlalchemy.orm import Session

from app.db import session_scope
from app.dependencies import PRINTABLE, SessionDep, SettingsDep, TodayDep, TransactionalRoute
from app.problems import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    ProblemError,
    TooManyRequests,
)
from app.questionnaires.conditions import dump_condition
from app.questionnaires.schema import DEFAULT_LANGUAGE, Module, Question, Questionnaire
from app.questionnaires.service import get_version
from app.ratelimit import FailureLimit
from app.responses.credentials import Credential, Token
from app.responses.drafts import new_resume_key
from app.responses.intake import Intake
from app.responses.service import (
    Submission,
    check_code,
    find_progress,
    open_wave_for,
    require_credential,
    save_progress,
)
from app.responses.validation import Cell, validate_answers
from app.waves import answer_keys
from app.waves.models import Wave
from app.waves.service import WAVE_ID_MAX, frame_cell_set, open_waves
from app.web import service
from app.web.assets import asset
from app.web.session import (
    Respondent,
    Step,
    forget,
    remember,
    remember_sent,
    renew,
    respondent,
    sent,
)
from app.web.texts import TEXTS, language, long_date, other_language

HERE = Path(__file__).parent
START = "/"
BEGIN = "/vragenlijst/start"
SURVEY = "/vragenlijst"  # every page after the code page
WHOLE_FORM = "/vragenlijst/formulier"  # the whole questionnaire, for the page script
TOKEN_FIELDS = ("token_msg", "token_sig")  # filled in by the page script (token.js)
NOTICES = ("session", "closed")  # why the code page is shown again
SENT = "sent"  # no survey, because this browser sent its answers a short while ago


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
TEMPLATES.globals["asset"] = asset


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


def render(
    template: str,
    lang: str,
    *,
    switch: str | None,
    status: int = 200,
    title: str | None = None,
    step: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page. `switch` is the page to offer in the other language; `title` the site's,
    which is also the page's: one title for every page, so that no window title, history
    or bookmark says which page it was. `step` names the survey page in the HTML (for the
    tests; HTML is neither a history nor a log)."""
    other = other_language(lang)
    html = TEMPLATES.get_template(template).render(
        lang=lang,
        t=TEXTS[lang],
        other_lang=other,
        other_language_name=TEXTS[other]["language_name"],
        switch_url=switch,
        site_title=title or TEXTS[lang]["default_title"],
        step=step,
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
    require_credential(session, wave, who.code)
    answers = find_progress(session, wave, who.code, who.resume_key) or {}
    return Survey(wave, get_version(session, wave.questionnaire_id), who, answers)


def load_survey(request: Request, session: Session, today: date) -> Survey:
    who = respondent(request)
    if who is None:
        raise NoSurvey(SENT if sent(request) else "session")
    try:
        return open_survey(session, who, today)
    except (Conflict, NotFound) as exc:
        raise NoSurvey("closed") from exc
    except Forbidden as exc:  # spent meanwhile, e.g. submitted in another tab
        raise NoSurvey() from exc


def restart(request: Request, lang: str, reason: NoSurvey) -> RedirectResponse:
    if reason.notice == SENT:  # the one address says that the answers arrived
        return redirect(link(SURVEY, lang))
    response = redirect(link(START, lang, melding=reason.notice))
    forget(response, request)
    return response


# --- start ------------------------------------------------------------------------------


@router.get(START)
def start_page(
    session: SessionDep, today: TodayDep, lang: LangDep, settings: SettingsDep, melding: str = ""
) -> Response:
    return _start(
        session,
        today,
        lang,
        notice=melding if melding in NOTICES else "",
        identity_url=settings.identity_token_url,
    )


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
    identity_url: str | None = None,
    token_refused: bool = False,
) -> HTMLResponse:
    """The start page. With `identity_url` (the intranet's sign-in endpoint) and an open
    token wave, it offers to start with the intranet account instead of a code (token.js);
    `token_refused` tells the page script that its token was refused."""
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
        whole_form=link(WHOLE_FORM, lang),
        sealed_waves=" ".join(w.id for w, _ in waves if answer_keys.find(session, w.id)),
        token_wave=next((w for w, _ in waves if w.tokens), None) if identity_url else None,
        identity_url=identity_url,
        token_refused=token_refused,
        token_fields=TOKEN_FIELDS,
    )


@router.post(BEGIN, dependencies=SameOrigin)
def start(
    request: Request, form: FormDep, session: SessionDep, today: TodayDep, lang: LangDep
) -> Response:
    """Check the code (or the token the page script got with the staff member's sign-in)
    with the service behind POST /api/v1/waves/{id}/codes/check, then continue where the
    respondent was: the first page with a question still to answer."""
    t = TEXTS[lang]
    code = (form.get("code") or [""])[0].strip()
    wave_id = (form.get("wave") or [""])[0]
    resume_key = (form.get("resume_key") or [""])[0].strip()
    token_msg, token_sig = ((form.get(name) or [""])[0] for name in TOKEN_FIELDS)
    identity_url = request.app.state.settings.identity_token_url
    credential: Credential = code
    refused = t["code_refused"]
    if token_msg and token_sig and not code:
        credential, refused = Token.parse(token_msg, token_sig), t["token_refused"]
    errors = {}
    if not wave_id:
        errors["wave"] = t["wave_missing"]
    if not credential:
        errors["code"] = t["code_missing"]
    if not errors:
        # Counted with the API's code checks: one client, one budget (app.ratelimit).
        # A wrong resume key is a failed attempt too: guessing keys is limited as well.
        failures: FailureLimit = request.app.state.code_failures
        code_accepted = False
        try:
            with failures.attempt(request.scope):
                check_code(session, wave_id, credential, today)
                code_accepted = True
                wave = open_wave_for(session, wave_id, today)
                if resume_key and find_progress(session, wave, credential, resume_key) is None:
                    raise Forbidden("no draft for this code and resume key")
        except TooManyRequests as refusal:
            errors["code"] = t["code_too_many"]
            page = _start(
                session,
                today,
                lang,
                status=429,
                errors=errors,
                chosen=wave_id,
                identity_url=identity_url,
            )
            page.headers.update(refusal.headers or {})
            return page
        except Forbidden:
            if code_accepted:
                errors["resume_key"] = t["resume_key_refused"]
            else:
                errors["code"] = refused
        except (Conflict, NotFound):
            errors["code"] = t["wave_closed"]
    if errors:
        return _start(
            session,
            today,
            lang,
            status=422,
            errors=errors,
            code=code,
            chosen=wave_id,
            identity_url=identity_url,
            token_refused=isinstance(credential, Token) and "code" in errors,
        )
    who = Respondent(wave_id, credential, resume_key or new_resume_key())
    survey = open_survey(session, who, today)
    target = service.first_module_with_errors(survey.questionnaire, survey.remaining(session))
    return go(request, lang, survey, Step(target.id if target else None))


# --- the questionnaire in the page (JavaScript on) -----------------------------------------

WaveInQuery = Annotated[str, Query(pattern=PRINTABLE, max_length=WAVE_ID_MAX)]

# The interface texts the page script writes itself (the rest is in the HTML it is sent).
PAGE_SCRIPT_TEXTS = (
    "error_summary_title",
    "error_prefix",
    "not_answered",
    "change",
    "change_hidden",
    "unknown_cell",
    "send_failed",
    "code_refused",
    "wave_closed",
)


@router.get(WHOLE_FORM)
def whole_questionnaire(
    session: SessionDep, today: TodayDep, lang: LangDep, golf: WaveInQuery = ""
) -> Response:
    """The whole questionnaire of an open wave (`golf`) as one piece of HTML, for the
    page script that runs it in the page (app/web/static/questionnaire.js): every module,
    question, option and condition, the review, thanks and saved pages. It is the same for
    every respondent of the wave and holds no answer, so fetching it tells nothing."""
    wave = open_wave_for(session, golf, today)
    questionnaire = get_version(session, wave.questionnaire_id)
    fields = service.whole_form(questionnaire, lang)
    by_module = [
        (module, [f for f in fields if f.question.id in {q.id for q in module.questions}])
        for module in questionnaire.modules
    ]
    support = questionnaire.support
    t = TEXTS[lang]
    return render(
        "questionnaire.html",
        lang,
        switch=None,
        modules=by_module,
        anchors={f.question.id: f"vraag-{n}" for n, f in enumerate(fields, 1)},
        names=FIELD_NAMES,
        questionnaire=questionnaire,
        support=support,
        support_condition=json.dumps(dump_condition(support.show_if)) if support else "",
        closes=long_date(wave.closes_at, lang),
        start=link(START, lang),
        texts=json.dumps({key: t[key] for key in PAGE_SCRIPT_TEXTS}, ensure_ascii=False),
    )


# --- the survey's one address -----------------------------------------------------------


def go(request: Request, lang: str, survey: Survey, step: Step) -> RedirectResponse:
    """On to `step`: 303 to the one address, with the step sealed in the session cookie."""
    response = redirect(link(SURVEY, lang))
    remember(response, request, survey.who.at(step))
    return response


def current(survey: Survey, session: Session, routing: service.Routing) -> Step:
    """The page the respondent is on: the step in the cookie, unless its module has no
    question for this respondent (any more), in which case the page after it."""
    questionnaire = survey.questionnaire
    step = survey.who.step
    if step.module is None:
        return step
    module = service.find_module(questionnaire, step.module)
    if module is None:  # not of this questionnaire: where the answers left off
        target = service.first_module_with_errors(questionnaire, survey.remaining(session))
        return Step(target.id if target else None)
    if any(map(routing.displayed, module.questions)):
        return step
    if step.changing:
        return Step(None)
    following = service.module_after(questionnaire, routing, module)
    return Step(following.id if following else None)


def page_of(step: Step) -> str:
    """The value of a page's PAGE_FIELD: which page its form belongs to."""
    return step.module if step.module is not None else service.REVIEW_PAGE


@router.get(SURVEY)
def survey_page(request: Request, session: SessionDep, today: TodayDep, lang: LangDep) -> Response:
    try:
        survey = load_survey(request, session, today)
    except NoSurvey as reason:
        if reason.notice == SENT:
            return _arrived(request, session, lang)
        return restart(request, lang, reason)
    questionnaire = survey.questionnaire
    routing = service.Routing.of(questionnaire, survey.answers)
    step = current(survey, session, routing)
    module = service.find_module(questionnaire, step.module) if step.module else None
    if module is None:
        response = _review(lang, survey, survey.remaining(session))
    else:
        added = [q for q in module.questions if q.id in step.added]
        response = _module(
            lang, survey, module, routing, survey.answers, changing=step.changing, added=added
        )
    # The added questions are announced once; a step moved on is kept.
    remember(response, request, survey.who.at(replace(step, added=())))
    return response


@router.post(SURVEY, dependencies=SameOrigin)
async def send_page(request: Request, form: FormDep, today: TodayDep, lang: LangDep) -> Response:
    outcome = await run_in_threadpool(_take_page, request, form, today, lang)
    if isinstance(outcome, Survey):
        return await _submit(request, lang, outcome)
    return outcome


def _take_page(
    request: Request, form: dict[str, list[str]], today: date, lang: str
) -> Response | Survey:
    """What a sent page means: a response, or the survey to submit (which happens after
    this session has ended: SQLite has one connection, and the intake writes)."""
    with session_scope(request.app.state.sessionmaker) as session:
        try:
            survey = load_survey(request, session, today)
        except NoSurvey as reason:
            return restart(request, lang, reason)
        questionnaire = survey.questionnaire
        step = current(survey, session, service.Routing.of(questionnaire, survey.answers))
        action = (form.get(service.ACTION_FIELD) or ["next"])[0]
        if form.get(service.PAGE_FIELD) != [page_of(step)]:
            # A form of another page (an older tab, a form sent again from the history):
            # nothing is taken from it; the respondent sees where they are.
            return go(request, lang, survey, step)
        if step.module is None:
            return _take_review(request, lang, survey, action)
        module = service.find_module(questionnaire, step.module)
        assert module is not None  # current() gives modules of the questionnaire only
        return _take_module(request, session, lang, survey, module, step, action, form, today)


def _take_module(
    request: Request,
    session: Session,
    lang: str,
    survey: Survey,
    module: Module,
    step: Step,
    action: str,
    form: dict[str, list[str]],
    today: date,
) -> Response:
    questionnaire = survey.questionnaire
    shown, values = service.read_page(module, form)
    result = service.submit_page(
        questionnaire, module, survey.answers, shown, values, survey.cells(session)
    )
    routing = service.Routing.of(questionnaire, result.answers)
    if action in ("stop", "back"):
        # What is valid on the page is kept, errors or not: nothing typed is lost.
        _save(session, survey, result.answers, today)
        if action == "back":
            previous = service.module_before(questionnaire, routing, module)
            return go(request, lang, survey, Step((previous or module).id))
        # The key is shown once, as the answer to this POST: no later page can show it.
        response = _saved(
            session,
            lang,
            survey.wave,
            resume_key=survey.who.resume_key,
            by_token=isinstance(survey.who.code, Token),
        )
        forget(response, request)
        return response
    if result.errors:
        # Nothing is saved until the page is right; it comes back with what was typed.
        typed = {service.question_of(e): values.get(service.question_of(e)) for e in result.errors}
        return _module(
            lang,
            survey,
            module,
            routing,
            {**result.answers, **typed},
            changing=step.changing,
            errors=result.errors,
            typed=values,
            status=422,
        )
    _save(session, survey, result.answers, today)
    if result.added:
        # Shown on the page that follows the redirect, as any next page is: the status
        # of this answer must not say that the answers brought follow-up questions.
        added = tuple(q.id for q in result.added)
        return go(request, lang, survey, replace(step, added=added))
    if step.changing:
        # Back to the review, unless the change asks for answers elsewhere.
        target = service.first_module_with_errors(questionnaire, result.remaining)
        return go(request, lang, survey, Step(target.id if target else None, bool(target)))
    following = service.module_after(questionnaire, routing, module)
    return go(request, lang, survey, Step(following.id if following else None))


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
    # In-page links go to neutral ids, the question's place on the page: a link followed
    # without the page script leaves its fragment in the history.
    anchors = {field.question.id: f"vraag-{n}" for n, field in enumerate(fields, 1)}
    number = questionnaire.modules.index(module) + 1
    progress = TEXTS[lang]["progress"].format(number=number, total=len(questionnaire.modules))
    return render(
        "module.html",
        lang,
        switch=link(SURVEY, other_language(lang)),
        status=status,
        title=questionnaire.title[lang],
        step=module.id,
        module=module,
        progress=progress,
        fields=fields,
        anchors=anchors,
        summary=[
            (f.question.text[lang], f.error, f"#{anchors[f.question.id]}")
            for f in fields
            if f.error
        ],
        added=[(q, f"#{anchors[q.id]}") for q in added or [] if q.id in anchors],
        back=service.module_before(questionnaire, routing, module) is not None,
        action=link(SURVEY, lang),
        page=module.id,
        names=FIELD_NAMES,
    )


FIELD_NAMES = {
    "shown": service.SHOWN_FIELD,
    "action": service.ACTION_FIELD,
    "page": service.PAGE_FIELD,
}


# --- review and submission --------------------------------------------------------------


def _take_review(request: Request, lang: str, survey: Survey, action: str) -> Response | Survey:
    questionnaire = survey.questionnaire
    if action == "send":
        return survey
    if action == "back":
        routing = service.Routing.of(questionnaire, survey.answers)
        previous = service.module_before(questionnaire, routing, None)
        return go(request, lang, survey, Step(previous.id if previous else None))
    if action.startswith(CHANGE):
        module = service.find_module(questionnaire, action.removeprefix(CHANGE))
        if module is not None:
            return go(request, lang, survey, Step(module.id, changing=True))
    return go(request, lang, survey, Step(None))


CHANGE = "change:"  # the review page's buttons: change:<module>


def _review(lang: str, survey: Survey, errors: list[FieldError], status: int = 200) -> Response:
    questionnaire = survey.questionnaire
    routing = service.Routing.of(questionnaire, survey.answers)
    sections = service.review_sections(questionnaire, survey.answers, lang)
    # Each answer's row has a neutral id (its place in the list) for the error summary.
    rows = [row.question.id for section in sections for row in section.rows]
    anchors = {qid: f"antwoord-{n}" for n, qid in enumerate(rows, 1)}
    messages = service.error_messages(questionnaire, errors, lang, survey.answers)
    applies = service.support_applies(questionnaire, survey.answers)
    return render(
        "review.html",
        lang,
        switch=link(SURVEY, other_language(lang)),
        status=status,
        title=questionnaire.title[lang],
        step="review",
        sections=sections,
        anchors=anchors,
        summary=[(q.text[lang], message, f"#{anchors[q.id]}") for q, message in messages],
        change=CHANGE,
        support=questionnaire.support if applies else None,
        back=service.module_before(questionnaire, routing, None) is not None,
        action=link(SURVEY, lang),
        page=service.REVIEW_PAGE,
        names=FIELD_NAMES,
    )


async def _submit(request: Request, lang: str, survey: Survey) -> Response:
    """Submit through the one intake of POST /api/v1/waves/{id}/responses: the same
    validation, the code spent and the saved answers deleted with it."""
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
        spent_wave=survey.wave.id,
    )
    remember_sent(response, request, survey.wave.id)
    return response


def _arrived(request: Request, session: Session, lang: str) -> HTMLResponse:
    """The survey's address after sending (Back from the thank-you page, say): the answers
    arrived, nothing more to do. Nothing on it depends on the answers, which are gone."""
    marker = sent(request)
    wave = session.get(Wave, marker.wave_id) if marker else None
    questionnaire = get_version(session, wave.questionnaire_id) if wave else None
    return render(
        "arrived.html",
        lang,
        switch=link(SURVEY, other_language(lang)),
        title=questionnaire.title[lang] if questionnaire else None,
        step=SENT,
    )


# --- leaving ----------------------------------------------------------------------------


def _saved(
    session: Session, lang: str, wave: Wave, resume_key: str, by_token: bool
) -> HTMLResponse:
    """`by_token`: the respondent started with a token, kept in this browser (token.js)."""
    return render(
        "saved.html",
        lang,
        switch=None,  # the key is shown once: no other page shows it again
        title=get_version(session, wave.questionnaire_id).title[lang],
        closes=long_date(wave.closes_at, lang),
        resume_key=resume_key,
        start=link(START, lang),
        by_token=by_token,
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
