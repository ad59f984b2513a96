"""Figures, trends and response rates (CONTRACT section 8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from fastapi import APIRouter, Depends, Request, Response

from app.auth.dependencies import AdminKey, AnalystKey, require_role
from app.dependencies import SessionDep, SettingsDep, TodayDep, TransactionalRoute
from app.estimates import service
from app.estimates.rates import rate_note, response_rates
from app.estimates.schemas import (
    BreakdownOut,
    ByQuery,
    IndicatorOut,
    Lang,
    Preview,
    ResponseRate,
    Trend,
)
from app.indicators.definitions import Indicator, IndicatorSet
from app.indicators.dependencies import IndicatorsDep
from app.problems import NotFound, problem_responses
from app.responses.day_counts import snapshot_day_counts
from app.waves.schemas import WaveId
from app.waves.service import get_wave

router = APIRouter(prefix="/api/v1", route_class=TransactionalRoute)


def find_indicator(defs: IndicatorSet, indicator_id: str) -> Indicator:
    found = defs.get(indicator_id)
    if found is None:
        raise NotFound(f"there is no indicator '{indicator_id}'")
    return found


# Fields of family members and scales are left out where they do not apply (CONTRACT
# section 8: "plus family, category, category_order for family members").
@router.get(
    "/public/indicators",
    tags=["public"],
    responses=problem_responses(422, 503),
    response_model_exclude_none=True,
)
def list_public_indicators(defs: IndicatorsDep, lang: Lang = "nl") -> list[IndicatorOut]:
    """The indicators published on the dashboard."""
    return [service.indicator_out(defs, i, lang) for i in defs.indicators if i.public]


@router.get("/public/breakdowns", tags=["public"], responses=problem_responses(422))
def list_breakdowns(session: SessionDep, lang: Lang = "nl") -> list[BreakdownOut]:
    """Added: the values `by` takes, named: the frame's breakdowns, and the background
    questions a published questionnaire version marks as breakdowns, with their groups."""
    return service.breakdowns(session, lang)


@router.get(
    "/indicators",
    tags=["analysis"],
    responses=problem_responses(401, 403, 422, 429, 503),
    response_model_exclude_none=True,
)
def list_indicators(_key: AnalystKey, defs: IndicatorsDep, lang: Lang = "nl") -> list[IndicatorOut]:
    """Every indicator, public or not."""
    return [service.indicator_out(defs, i, lang) for i in defs.indicators]


def _trend_endpoint(public: bool) -> Callable[..., Response]:
    def read_trend(
        indicator: str,
        session: SessionDep,
        settings: SettingsDep,
        defs: IndicatorsDep,
        by: ByQuery = "none",
        lang: Lang = "nl",
    ) -> Response:
        found = defs.get(indicator)
        if found is None or (public and not found.public):
            raise NotFound(f"there is no {'public ' if public else ''}indicator '{indicator}'")
        by = service.checked_breakdown(session, by)
        query = service.TrendQuery(found, by, lang, settings.min_cell, published_only=public)
        body = service.served_trend(session, defs, query)
        return Response(body, media_type="application/json")

    return read_trend


# One endpoint behind both addresses: the public one (the dashboard; public indicators
# and published waves only) and the analysts' (any indicator, every closed wave; a key,
# audited).
router.add_api_route(
    "/public/trends/{indicator}",
    _trend_endpoint(public=True),
    methods=["GET"],
    name="read_public_trend",
    response_model=Trend,
    tags=["public"],
    responses=problem_responses(404, 422, 503),
    description="A public indicator's figures per published wave (`monitor wave publish`), "
    "in date order, with change against the published waves.",
)
router.add_api_route(
    "/trends/{indicator}",
    _trend_endpoint(public=False),
    methods=["GET"],
    name="read_trend",
    response_model=Trend,
    tags=["analysis"],
    dependencies=[Depends(require_role("analyst"))],
    responses=problem_responses(401, 403, 404, 422, 429, 503),
    description="Any indicator's figures per closed wave, published or not, pilots "
    "included, in date order, with change (a pilot is never the reference).",
)


@router.get(
    "/waves/{wave_id}/response-rates",
    tags=["analysis"],
    responses=problem_responses(401, 403, 404, 422, 429),
)
def read_response_rates(
    wave_id: WaveId,
    _key: AnalystKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    by: ByQuery = "none",
    lang: Lang = "nl",
) -> list[ResponseRate]:
    """Respondents, headcount and rate per group, with a note where a figure is hidden.
    For an open wave the counts are those at the start of the day (UTC), so that no one
    can time a single submission. By a background answer (tenure, age, gender) only a
    closed wave has counts (409 before), and headcount and rate are null: the frame does
    not count staff by these answers."""
    snapshot_day_counts(request.app.state.sessionmaker, wave_id, today)
    wave = get_wave(session, wave_id)
    by = service.checked_breakdown(session, by)
    return [
        ResponseRate(**asdict(rate), note=rate_note(rate, settings.min_cell, lang))
        for rate in response_rates(session, wave, by, settings.min_cell)
    ]


@router.get(
    "/waves/{wave_id}/preview/{indicator}",
    tags=["admin"],
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
def read_preview(
    wave_id: WaveId,
    indicator: str,
    _key: AdminKey,
    session: SessionDep,
    defs: IndicatorsDep,
    by: ByQuery = "none",
    lang: Lang = "nl",
) -> Preview:
    """One closed wave's stored figures, whether or not they are public yet. An open
    wave's figures are never served (409): comparing two reads around one submission
    would tell what it said."""
    found = find_indicator(defs, indicator)
    wave = get_wave(session, wave_id)
    by = service.checked_breakdown(session, by)
    return service.preview_trend(session, wave, found, by, lang)
