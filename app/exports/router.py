"""Downloads for analysts' own tools: each file is built once as a table and written in
the format asked for, by one route per file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from app.auth.dependencies import AdminKey, AnalystKey
from app.dependencies import SessionDep, SettingsDep, TransactionalRoute
from app.estimates.schemas import BY_DESCRIPTION, Lang
from app.exports import csv_file, spss_file, xlsx_file
from app.exports.analysis import analysis_table
from app.exports.figures import estimates_table
from app.exports.table import Table
from app.indicators.dependencies import IndicatorsDep
from app.problems import problem_responses
from app.waves.schemas import WaveId, WaveIdQuery
from app.waves.service import get_wave

router = APIRouter(prefix="/api/v1", route_class=TransactionalRoute)

FileFormat = Literal["csv", "sav", "xlsx"]
# One writer per format: what it makes of a table, and the media type of the result.
WRITERS: dict[str, tuple[Callable[[Table], str | bytes], str]] = {
    "csv": (csv_file.to_csv, csv_file.MEDIA_TYPE),
    "sav": (spss_file.to_sav, spss_file.MEDIA_TYPE),
    "xlsx": (xlsx_file.to_xlsx, xlsx_file.MEDIA_TYPE),
}


def _download(table: Table, file_format: str, name: str) -> Response:
    write, media_type = WRITERS[file_format]
    return Response(
        write(table),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{file_format}"'},
    )


def _file_responses(description: str, *formats: str) -> dict[int | str, dict[str, object]]:
    media = [WRITERS[f][1].split(";")[0] for f in formats or WRITERS]
    return {
        200: {"content": {m: {} for m in media}, "description": description},
        **problem_responses(401, 403, 404, 409, 422, 429, 503),
    }


@router.get(
    "/waves/{wave_id}/analysis-file",
    tags=["admin"],
    response_class=Response,
    responses=_file_responses("One row per response, random order"),
)
def download_analysis_file(
    wave_id: WaveId,
    _key: AdminKey,
    session: SessionDep,
    defs: IndicatorsDep,
    file_format: Annotated[
        FileFormat,
        Query(alias="format", description="csv (default), sav (SPSS) or xlsx (Excel)"),
    ] = "csv",
    lang: Lang = "nl",
) -> Response:
    """For analysts' own tools: cell, weight, indicator values and coded answers of every
    response, in random order; no ids, no times, no free text. As CSV; as an SPSS file
    with the question texts as variable labels, answers numbered in the option order and
    the option labels as value labels; or as an Excel workbook with the CSV's values and
    sheets that explain the columns and the codes (`lang` chooses the labels' language)."""
    wave = get_wave(session, wave_id)
    return _download(analysis_table(session, wave, defs, lang), file_format, f"analysis-{wave.id}")


def _estimates_endpoint(file_format: str) -> Callable[..., Response]:
    def export_estimates(
        _key: AnalystKey,
        session: SessionDep,
        settings: SettingsDep,
        defs: IndicatorsDep,
        wave: WaveIdQuery = None,
        lang: Lang = "nl",
        by: Annotated[str | None, Query(description=BY_DESCRIPTION, max_length=16)] = None,
    ) -> Response:
        table = estimates_table(session, defs, settings.min_cell, wave, lang, by)
        return _download(table, file_format, f"estimates-{wave}" if wave else "estimates")

    return export_estimates


# One route per format, each with its own address (`estimates.csv`, `estimates.sav`), so
# that the audit log and the OpenAPI name the file asked for.
for _format in WRITERS:
    router.add_api_route(
        f"/exports/estimates.{_format}",
        _estimates_endpoint(_format),
        methods=["GET"],
        name=f"export_estimates_{_format}",
        tags=["analysis"],
        response_class=Response,
        responses=_file_responses("Published figures", _format),
        description="""Every published figure: one row per closed wave x indicator x
breakdown x group, with estimate, interval, se, n, suppression, series break and the
change against an earlier wave (suppressed figures empty), the group's response rate and
the note on a series break, as the trends serve them. `wave` limits it to one closed wave
(changes still compare with the waves before it), `by` to one breakdown (all by default:
the frame's and those by background answers such as tenure, age and gender); `lang`
chooses the labels and the wave titles.""",
    )
