"""Figures, trends, response rates and the analysis file (CONTRACT section 8)."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.dependencies import AdminKey, AnalystKey
from app.dependencies import SessionDep, SettingsDep, TodayDep, TransactionalRoute
from app.indicators.definitions import Indicator, IndicatorSet, indicator_set
from app.problems import NotFound, problem_responses
from app.questionnaires.schema import text_in
from app.questionnaires.service import get_version
from app.stats import service, spss
from app.stats.export import Table, analysis_table, estimates_table, group_names, to_csv
from app.stats.rates import response_rates, snapshot_day_counts
from app.stats.schemas import (
    By,
    ChangeOut,
    IndicatorOut,
    Lang,
    Preview,
    ResponseRate,
    Trend,
    TrendPoint,
)
from app.waves.schemas import WaveId, WaveIdQuery
from app.waves.service import get_wave

router = APIRouter(prefix="/api/v1", route_class=TransactionalRoute)
T = TypeVar("T", bound=Trend)


def get_indicators(settings: SettingsDep) -> IndicatorSet:
    return indicator_set(settings.survey_defs)


IndicatorsDep = Annotated[IndicatorSet, Depends(get_indicators)]


@router.get("/public/indicators", tags=["public"], responses=problem_responses(422, 503))
def list_public_indicators(defs: IndicatorsDep, lang: Lang = "nl") -> list[IndicatorOut]:
    """The indicators published on the dashboard."""
    return [_indicator_out(i, lang) for i in defs.indicators if i.public]


@router.get(
    "/public/trends/{indicator}", tags=["public"], responses=problem_responses(404, 422, 503)
)
def read_public_trend(
    indicator: str,
    session: SessionDep,
    settings: SettingsDep,
    defs: IndicatorsDep,
    by: By = "none",
    lang: Lang = "nl",
) -> Trend:
    """A public indicator's figures per closed wave, in date order, with change."""
    found = defs.get(indicator)
    if found is None or not found.public:
        raise NotFound(f"there is no public indicator '{indicator}'")
    return _trend(session, found, by, lang, settings.min_cell)


@router.get("/indicators", tags=["analysis"], responses=problem_responses(401, 403, 422, 503))
def list_indicators(_key: AnalystKey, defs: IndicatorsDep, lang: Lang = "nl") -> list[IndicatorOut]:
    """Every indicator, public or not."""
    return [_indicator_out(i, lang) for i in defs.indicators]


@router.get(
    "/trends/{indicator}", tags=["analysis"], responses=problem_responses(401, 403, 404, 422, 503)
)
def read_trend(
    indicator: str,
    _key: AnalystKey,
    session: SessionDep,
    settings: SettingsDep,
    defs: IndicatorsDep,
    by: By = "none",
    lang: Lang = "nl",
) -> Trend:
    """Any indicator's figures per closed wave, in date order, with change."""
    return _trend(session, _find(defs, indicator), by, lang, settings.min_cell)


@router.get(
    "/waves/{wave_id}/response-rates",
    tags=["analysis"],
    responses=problem_responses(401, 403, 404, 422),
)
def read_response_rates(
    wave_id: WaveId,
    _key: AnalystKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    today: TodayDep,
    by: By = "none",
) -> list[ResponseRate]:
    """Respondents, headcount and rate per group. For an open wave the counts are those at
    the start of the day (UTC), so that no one can time a single submission."""
    snapshot_day_counts(request.app.state.sessionmaker, wave_id, today)
    wave = get_wave(session, wave_id)
    return [
        ResponseRate.model_validate(rate, from_attributes=True)
        for rate in response_rates(session, wave, by, settings.min_cell)
    ]


@router.get(
    "/waves/{wave_id}/preview/{indicator}",
    tags=["admin"],
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def read_preview(
    wave_id: WaveId,
    indicator: str,
    _key: AdminKey,
    session: SessionDep,
    settings: SettingsDep,
    defs: IndicatorsDep,
    by: By = "none",
    lang: Lang = "nl",
) -> Preview:
    """An open wave's figures so far, computed now with the same weighting and
    suppression as at close; nothing is stored. Closed waves: see the trends."""
    found = _find(defs, indicator)
    wave = get_wave(session, wave_id)
    figures = service.preview(session, wave, found, by, defs, settings.min_cell)
    points = [
        TrendPoint(
            wave=wave.id,
            wave_title=wave.title,
            group=None if by == "none" else f.group_code,
            estimate=f.estimate,
            ci_low=f.ci_low,
            ci_high=f.ci_high,
            se=f.se,
            n=f.n,
            suppressed=f.suppressed,
            series_break=False,
            change=None,
        )
        for f in figures
    ]
    return _body(Preview, found, by, lang, points, wave=wave.id)


CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FileFormat = Literal["csv", "sav"]


def _download(table: Table, file_format: FileFormat, name: str) -> Response:
    if file_format == "sav":
        content: str | bytes = spss.to_sav(table)
        media_type = spss.MEDIA_TYPE
    else:
        content, media_type = to_csv(table), CSV_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )


def _file_responses(description: str, *formats: str) -> dict[int | str, dict[str, object]]:
    media = {"csv": "text/csv", "sav": spss.MEDIA_TYPE}
    return {
        200: {"content": {media[f]: {} for f in formats}, "description": description},
        **problem_responses(401, 403, 404, 409, 422, 503),
    }


@router.get(
    "/waves/{wave_id}/analysis-file",
    tags=["admin"],
    response_class=Response,
    responses=_file_responses("One row per response, random order", "csv", "sav"),
)
def download_analysis_file(
    wave_id: WaveId,
    _key: AdminKey,
    session: SessionDep,
    defs: IndicatorsDep,
    file_format: Annotated[
        FileFormat, Query(alias="format", description="csv (default) or sav (SPSS)")
    ] = "csv",
    lang: Lang = "nl",
) -> Response:
    """For analysts' own tools: cell, weight, indicator values and coded answers of every
    response, in random order; no ids, no times, no free text. As CSV, or as an SPSS file
    with the question texts as variable labels and the option labels as value labels
    (`lang` chooses their language)."""
    wave = get_wave(session, wave_id)
    return _download(analysis_table(session, wave, defs, lang), file_format, f"analysis-{wave.id}")


_ESTIMATES_DOC = """Every published figure: one row per closed wave x indicator x breakdown x
group, with estimate, interval, se, n, suppression, series break and the change against
an earlier wave (suppressed figures empty). `wave` limits it to one closed wave (changes
still compare with the waves before it); `lang` chooses the labels."""


@router.get(
    "/exports/estimates.csv",
    tags=["analysis"],
    response_class=Response,
    responses=_file_responses("Published figures", "csv"),
    description=_ESTIMATES_DOC,
)
def export_estimates_csv(
    _key: AnalystKey,
    session: SessionDep,
    defs: IndicatorsDep,
    wave: WaveIdQuery = None,
    lang: Lang = "nl",
) -> Response:
    table = estimates_table(session, defs, wave, lang)
    return _download(table, "csv", f"estimates-{wave}" if wave else "estimates")


@router.get(
    "/exports/estimates.sav",
    tags=["analysis"],
    response_class=Response,
    responses=_file_responses("Published figures", "sav"),
    description=_ESTIMATES_DOC + " As an SPSS file with variable and value labels.",
)
def export_estimates_sav(
    _key: AnalystKey,
    session: SessionDep,
    defs: IndicatorsDep,
    wave: WaveIdQuery = None,
    lang: Lang = "nl",
) -> Response:
    table = estimates_table(session, defs, wave, lang)
    return _download(table, "sav", f"estimates-{wave}" if wave else "estimates")


def _find(defs: IndicatorSet, indicator_id: str) -> Indicator:
    found = defs.get(indicator_id)
    if found is None:
        raise NotFound(f"there is no indicator '{indicator_id}'")
    return found


def _indicator_out(indicator: Indicator, lang: str) -> IndicatorOut:
    return IndicatorOut(
        id=indicator.id,
        label=text_in(indicator.label, lang),
        description=text_in(indicator.description, lang),
        kind=indicator.kind,
        denominator=indicator.denominator,
        public=indicator.public,
    )


def _body(
    cls: type[T], indicator: Indicator, by: By, lang: str, points: list[TrendPoint], **extra: str
) -> T:
    return cls(
        indicator=indicator.id,
        by=by,
        points=points,
        label=text_in(indicator.label, lang),
        description=text_in(indicator.description, lang),
        kind=indicator.kind,
        denominator=indicator.denominator,
        **extra,
    )


def _trend(session: Session, indicator: Indicator, by: By, lang: str, min_cell: int) -> Trend:
    rates: dict[str, dict[str | None, float | None]] = {}
    names: dict[str, dict[str, str]] = {}
    points = []
    for point in service.trend(session, indicator.id, by):
        wave, figure = point.wave, point.figure
        if wave.id not in rates:
            rates[wave.id] = service.group_rates(session, wave, by, min_cell)
        if wave.questionnaire_id not in names:
            names[wave.questionnaire_id] = group_names(
                get_version(session, wave.questionnaire_id), lang
            )
        group = None if by == "none" else figure.group_code
        rule = indicator.versions.get(wave.questionnaire_id)
        note = rule.break_note if point.series_break and rule is not None else None
        change = None
        if point.change is not None:
            vs_wave, c = point.change
            change = ChangeOut(
                vs_wave=vs_wave,
                difference=c.difference,
                se=c.se,
                p_value=c.p_value,
                significant=c.significant,
            )
        points.append(
            TrendPoint(
                wave=wave.id,
                wave_title=wave.title,
                group=group,
                estimate=figure.estimate,
                ci_low=figure.ci_low,
                ci_high=figure.ci_high,
                se=figure.se,
                n=figure.n,
                suppressed=figure.suppressed,
                series_break=point.series_break,
                change=change,
                break_note=text_in(note, lang) if note else None,
                response_rate=rates[wave.id].get(group),
                group_label=names[wave.questionnaire_id].get(group) if group else None,
            )
        )
    return _body(Trend, indicator, by, lang, points)
