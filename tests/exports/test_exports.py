"""Exports for analysts: the published figures as CSV and SPSS, and the admin analysis
file as SPSS with the same rows and values as its CSV. Read back with pyreadstat."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.auth.models import AuditEvent
from app.config import Settings
from app.db import session_scope
from app.exports.spss_file import spss_names
from app.indicators.definitions import indicator_set
from app.main import create_app
from app.method.groups import BREAKDOWNS
from app.waves.models import Wave
from tests.builders import bearer, filled_wave, waves_with_a_series_break
from tests.exports.readers import csv_rows, number, read_sav, same
from tests.support import (
    FIXTURES,
    MIN_CELL,
    close_mini_wave,
    load_fixture,
    open_mini_wave,
)

ESTIMATES = "/api/v1/exports/estimates.{}"
ANALYSIS = "/api/v1/waves/{}/analysis-file"
HEADER = [
    "wave", "wave_title", "indicator", "indicator_label", "kind", "denominator",
    "breakdown", "group", "group_label",
    "estimate", "ci_low", "ci_high", "se", "n", "suppressed", "reason", "series_break",
    "change_vs_wave", "change_difference", "change_se", "change_ci_low", "change_ci_high",
    "change_p_value", "change_significant", "response_rate", "break_note",
    "family", "category", "category_order",
]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURES = ("estimate", "ci_low", "ci_high", "se", "n")
INDICATORS = [i.id for i in indicator_set(FIXTURES / "defs").indicators]
# The answers of the mini questionnaire that are option codes: SPSS numbers them.
OPTIONS = {
    q.id: [o.code for o in q.choices()]
    for q in load_fixture().questions()
    if q.offers_options and not q.answer_is_set
}


def decimals(spss_format: str) -> int:
    return int(spss_format.split(".")[1])


def shows(spss_format: str, value: float) -> bool:
    """Whether SPSS shows the value in this F format: within the width, and to three
    significant digits (whole numbers exactly)."""
    if math.isnan(value):
        return True
    width, places = map(int, re.fullmatch(r"F(\d+)\.(\d+)", spss_format).groups())  # type: ignore[union-attr]
    text = f"{value:.{places}f}"
    return len(text) <= width and abs(float(text) - value) <= 0.005 * abs(value)


# --- the published figures ---------------------------------------------------------------------


def test_estimates_csv_holds_every_published_figure(client, factory, two_waves):
    analyst = bearer(factory, "analyst")
    reply = client.get(ESTIMATES.format("csv"), headers=analyst)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.headers["content-disposition"] == 'attachment; filename="estimates.csv"'
    header, body = csv_rows(reply.text)
    assert header == HEADER
    rows = [dict(zip(header, row, strict=True)) for row in body]
    # Waves in date order, then indicator (definition order), breakdown and group.
    assert [r["wave"] for r in rows] == sorted((r["wave"] for r in rows), key=["w1", "w2"].index)
    assert list(dict.fromkeys(r["indicator"] for r in rows)) == INDICATORS
    # 1 total + 2 organisations + 3 units + 3 function groups, per indicator and wave.
    assert len(rows) == 2 * len(INDICATORS) * 9
    compared = suppressed = rates = 0
    for indicator in ("threat_intimidation", "escalation", "sick_leave_days"):
        for by in BREAKDOWNS:
            points = client.get(f"/api/v1/trends/{indicator}?by={by}", headers=analyst).json()
            mine = [r for r in rows if r["indicator"] == indicator and r["breakdown"] == by]
            assert [(r["wave"], r["group"] or None) for r in mine] == [
                (p["wave"], p["group"]) for p in points["points"]
            ]
            for row, point in zip(mine, points["points"], strict=True):
                assert row["suppressed"] == str(int(point["suppressed"]))
                assert row["reason"] == (point["reason"] or "")
                assert (row["reason"] != "") == point["suppressed"]
                assert row["series_break"] == str(int(point["series_break"]))
                assert row["wave_title"] == point["wave_title"]
                assert row["group_label"] == (point["group_label"] or "")
                assert number(row["response_rate"]) == pytest.approx(
                    point["response_rate"] if point["response_rate"] is not None else math.nan,
                    nan_ok=True,
                )
                assert row["break_note"] == ""  # the same questions in both waves
                rates += point["response_rate"] is not None
                for field in FIGURES:
                    if point[field] is None:
                        assert row[field] == ""
                    else:
                        assert float(row[field]) == point[field]  # full precision
                change = point["change"]
                if change is None:
                    assert [row[f"change_{f}"] for f in ("vs_wave", "difference", "se")] == [""] * 3
                else:
                    assert row["change_vs_wave"] == change["vs_wave"]
                    assert float(row["change_difference"]) == change["difference"]
                    assert float(row["change_p_value"]) == change["p_value"]
                    assert float(row["change_ci_low"]) == change["ci_low"]
                    assert float(row["change_ci_high"]) == change["ci_high"]
                    assert row["change_significant"] == str(int(change["significant"]))
                suppressed += point["suppressed"]
                compared += 1
    assert compared > 0 and suppressed > 0 and rates > 0
    # The response rate of a group is the one the response-rates route gives.
    w1_units = {
        r["group"]: r["rate"]
        for r in client.get("/api/v1/waves/w1/response-rates?by=unit", headers=analyst).json()
    }
    for row in rows:
        if row["wave"] == "w1" and row["breakdown"] == "unit":
            assert number(row["response_rate"]) == pytest.approx(w1_units[row["group"]])
    for row in rows:
        if row["suppressed"] == "1":  # suppressed stays empty, change included
            assert all(row[f] == "" for f in (*FIGURES, "change_difference", "change_se"))
    total = next(r for r in rows if r["indicator"] == "threat" and r["wave"] == "w1")
    assert total["group"] == "" and total["group_label"] == ""
    assert total["indicator_label"] == "Bedreiging" and total["kind"] == "proportion"
    pol = next(r for r in rows if r["group"] == "pol-ams")
    assert pol["group_label"] == "Eenheid Amsterdam" and pol["breakdown"] == "unit"


def test_estimates_carry_the_break_note_and_the_titles_in_the_language_asked(
    factory, db_url, tmp_path
):
    waves_with_a_series_break(factory, tmp_path)
    settings = Settings(database_url=db_url, survey_defs=tmp_path, min_cell=MIN_CELL)
    with TestClient(create_app(settings)) as client:
        analyst = bearer(factory, "analyst")
        files = {
            lang: csv_rows(
                client.get(f"{ESTIMATES.format('csv')}?lang={lang}", headers=analyst).text
            )
            for lang in ("nl", "en")
        }
        sav, meta = read_sav(
            client.get(ESTIMATES.format("sav") + "?lang=en", headers=analyst).content, tmp_path
        )
    for lang, (header, body) in files.items():
        rows = [dict(zip(header, row, strict=True)) for row in body]
        broken = [r for r in rows if r["break_note"]]
        assert {(r["wave"], r["indicator"], r["series_break"]) for r in broken} == {
            ("2027", "threat_intimidation", "1")
        }
        assert len(broken) == 9  # every group of every breakdown
        assert {r["break_note"] for r in broken} == {
            {"nl": "Nieuwe vraag.", "en": "New question."}[lang]
        }
        assert all(r["change_vs_wave"] == "" for r in broken)
        # Waves created without a title get the questionnaire's title in the language asked.
        title = {"nl": "Mini-monitor", "en": "Mini monitor"}[lang]
        assert {(r["wave"], r["wave_title"]) for r in rows} == {
            ("2026", f"{title} 2026"),
            ("2027", f"{title} 2027"),
        }
    assert meta.variable_value_labels["wave"] == {
        "2026": "Mini monitor 2026",
        "2027": "Mini monitor 2027",
    }
    assert meta.variable_value_labels["change_vs_wave"] == {"2026": "Mini monitor 2026"}
    assert "New question." in sav["break_note"]


def test_a_title_the_operator_gave_stays_as_it_was(client, factory, two_waves):
    with session_scope(factory) as session:
        session.execute(update(Wave).where(Wave.id == "w1").values(title="Monitor voorjaar"))
    analyst = bearer(factory, "analyst")
    header, body = csv_rows(client.get(ESTIMATES.format("csv") + "?lang=en", headers=analyst).text)
    titles = {(row[header.index("wave")], row[header.index("wave_title")]) for row in body}
    assert titles == {("w1", "Monitor voorjaar"), ("w2", "Mini monitor w2")}


def test_estimates_sav_has_the_csv_values_labels_and_missing_suppressed_figures(
    client, factory, two_waves, tmp_path
):
    analyst = bearer(factory, "analyst")
    text = client.get(ESTIMATES.format("csv"), headers=analyst).text
    reply = client.get(ESTIMATES.format("sav"), headers=analyst)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/x-spss-sav"
    assert reply.headers["content-disposition"] == 'attachment; filename="estimates.sav"'
    data, meta = read_sav(reply.content, tmp_path)
    header, body = csv_rows(text)
    assert meta.column_names == header and meta.number_rows == len(body)
    for i, name in enumerate(header):
        column = data[name]
        if meta.readstat_variable_types[name] == "double":
            assert all(same(number(row[i]), v) for row, v in zip(body, column, strict=True)), name
        else:
            assert [row[i] for row in body] == list(column), name
    # Suppressed figures are system missing, never a number.
    hidden = [j for j, s in enumerate(data["suppressed"]) if s == 1]
    assert hidden
    for j in hidden:
        assert all(math.isnan(data[f][j]) for f in FIGURES)
    labels = meta.column_names_to_labels
    assert labels["estimate"] == "Schatting (gewogen)"
    assert labels["ci_low"] == (
        "Ondergrens 95%-betrouwbaarheidsinterval (aandeel van minder dan 200 respondenten: "
        "op 1 decimaal)"
    )
    values = meta.variable_value_labels
    assert values["suppressed"] == {0: "Nee", 1: "Ja"}
    assert values["indicator"]["threat_intimidation"] == "Bedreigd"
    assert values["group"]["om"] == "Openbaar Ministerie"
    assert values["breakdown"]["function_group"] == "Functiegroep"
    assert values["wave"] == {"w1": "Mini-monitor w1", "w2": "Mini-monitor w2"}
    assert meta.variable_measure["estimate"] == "scale"
    assert meta.variable_measure["suppressed"] == "nominal"
    assert meta.original_variable_types["n"] == "F8.0"
    formats = meta.original_variable_types
    assert all(decimals(formats[f]) >= 6 for f in ("se", "change_se", "change_p_value"))
    for name, kind in meta.readstat_variable_types.items():
        if kind == "double":
            for value in data[name]:
                assert shows(formats[name], value), (name, formats[name], value)
    assert meta.file_label == "Gepubliceerde cijfers per meting, indicator en groep"
    english = read_sav(
        client.get(ESTIMATES.format("sav") + "?lang=en", headers=analyst).content, tmp_path
    )[1]
    assert english.column_names_to_labels["estimate"] == "Estimate (weighted)"
    assert english.variable_value_labels["indicator"]["threat_intimidation"] == "Threatened"


def test_one_wave_with_its_changes_against_the_waves_before(client, factory, two_waves, tmp_path):
    analyst = bearer(factory, "analyst")
    reply = client.get(ESTIMATES.format("csv") + "?wave=w2", headers=analyst)
    assert reply.headers["content-disposition"] == 'attachment; filename="estimates-w2.csv"'
    header, body = csv_rows(reply.text)
    rows = [dict(zip(header, row, strict=True)) for row in body]
    assert {r["wave"] for r in rows} == {"w2"} and len(rows) == len(INDICATORS) * 9
    assert any(r["change_vs_wave"] == "w1" for r in rows)
    data, _ = read_sav(
        client.get(ESTIMATES.format("sav") + "?wave=w2", headers=analyst).content, tmp_path
    )
    assert set(data["wave"]) == {"w2"} and len(data["wave"]) == len(rows)


def test_estimates_refusals(client, factory, two_waves):
    analyst = bearer(factory, "analyst")
    open_mini_wave(factory, "w3", codes=1, questionnaire=load_fixture())
    for suffix in ("csv", "sav", "xlsx"):
        url = ESTIMATES.format(suffix)
        assert client.get(url).status_code == 401
        missing = client.get(url + "?wave=nope", headers=analyst)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        still_open = client.get(url + "?wave=w3", headers=analyst)
        assert (
            still_open.status_code == 409 and "stored when it closes" in still_open.json()["detail"]
        )
        assert client.get(url + "?lang=fr", headers=analyst).status_code == 422


def test_exports_are_audited(client, factory, two_waves):
    analyst = bearer(factory, "analyst", "anna")
    admin = bearer(factory, "admin", "root")
    client.get(ESTIMATES.format("sav") + "?wave=w1", headers=analyst)
    client.get(ANALYSIS.format("w1") + "?format=sav", headers=admin)
    client.get(ANALYSIS.format("w1") + "?format=sav", headers=analyst)
    with factory() as session:
        events = [(e.actor, e.action, e.detail) for e in session.scalars(select(AuditEvent))]
    assert events == [
        ("anna", "GET /api/v1/exports/estimates.sav", "/api/v1/exports/estimates.sav?wave=w1"),
        (
            "root",
            "GET /api/v1/waves/{wave_id}/analysis-file",
            f"{ANALYSIS.format('w1')}?format=sav",
        ),
        (
            "anna",
            "GET /api/v1/waves/{wave_id}/analysis-file",
            f"{ANALYSIS.format('w1')}?format=sav (refused: admin only)",
        ),
    ]


def test_without_closed_waves_the_files_are_empty_but_well_formed(client, factory, tmp_path):
    analyst = bearer(factory, "analyst")
    assert client.get(ESTIMATES.format("csv"), headers=analyst).text == ",".join(HEADER) + "\n"
    _, meta = read_sav(client.get(ESTIMATES.format("sav"), headers=analyst).content, tmp_path)
    assert meta.column_names == HEADER and meta.number_rows == 0


# --- the analysis file as SPSS -------------------------------------------------------------------


def test_the_analysis_file_as_sav_has_exactly_the_csv_rows(client, factory, tmp_path):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=33)
    admin = bearer(factory, "admin")
    text = client.get(ANALYSIS.format("2026"), headers=admin).text
    assert (
        client.get(ANALYSIS.format("2026") + "?format=csv", headers=admin).text.split("\n")[0]
        == (text.split("\n")[0])
    )
    reply = client.get(ANALYSIS.format("2026") + "?format=sav", headers=admin)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/x-spss-sav"
    assert reply.headers["content-disposition"] == 'attachment; filename="analysis-2026.sav"'
    assert b"Jansen" not in reply.content  # no free text
    data, meta = read_sav(reply.content, tmp_path)
    header, body = csv_rows(text)
    assert meta.column_names == header  # no comment, no ids, no times
    # Every column is numeric: an answer code is its option's position (1 = the first).
    assert set(meta.readstat_variable_types.values()) == {"double"}

    def sav_cell(name: str, value: float) -> str:
        question = name.removeprefix("q_")
        if question in OPTIONS and not math.isnan(value):
            return OPTIONS[question][int(value) - 1]
        return written(value)

    from_sav = sorted(
        tuple(sav_cell(name, data[name][j]) for name in header) for j in range(meta.number_rows)
    )
    from_csv = sorted(
        tuple(value if name.removeprefix("q_") in OPTIONS else written(number(value))
              for name, value in zip(header, row, strict=True))
        for row in body
    )  # fmt: skip
    assert from_sav == from_csv  # the same rows, value for value (order is random in each)
    assert {data["q_threat"][j] for j in range(meta.number_rows)} == {1.0, 2.0, 3.0}


def written(value: float) -> str:
    """A number as text, the same whether it came from a CSV or an SPSS file."""
    return "" if math.isnan(value) else str(int(value)) if value.is_integer() else repr(value)


def test_the_analysis_file_labels(client, factory, tmp_path):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=34)
    reply = client.get(ANALYSIS.format("2026") + "?format=sav", headers=bearer(factory, "admin"))
    data, meta = read_sav(reply.content, tmp_path)
    labels = meta.column_names_to_labels
    assert labels["q_threat"] == "Bent u bedreigd?"
    assert labels["organisation"] == "Bij welke organisatie werkt u?"
    assert labels["q_reasons__minor"] == "Waarom niet gemeld?: Niet ernstig genoeg"
    assert labels["ind_threat_intimidation"] == "Bedreigd"
    assert labels["ind_sick_leave_days"] == "Aantal keer (gemiddeld)"
    assert labels["weight"].startswith("Weegfactor")
    assert labels["stratum_headcount"] == "Populatieomvang van het stratum (N_h)"
    values = meta.variable_value_labels
    # Answer codes numbered in the option order, labelled.
    assert values["q_threat"] == {1: "Nee", 2: "Eén keer", 3: "Meerdere keren"}
    assert values["unit"] == {
        1: "Eenheid Amsterdam",
        2: "Eenheid Rotterdam",
        3: "Parket Amsterdam",
    }
    assert values["ind_escalation"] == {0: "Nee", 1: "Ja"}
    assert values["q_reasons__none"] == {0: "Niet gekozen", 1: "Gekozen"}
    assert "ind_sick_leave_days" not in values  # a mean has no categories
    assert "q_threat_count" not in values and "weight" not in values
    measures = meta.variable_measure
    assert {n: measures[n] for n in ("weight", "q_threat_count", "ind_sick_leave_days")} == {
        "weight": "scale",
        "q_threat_count": "scale",
        "ind_sick_leave_days": "scale",
    }
    nominal = ("q_threat", "unit", "q_reasons__job", "ind_escalation", "stratum")
    assert {measures[n] for n in nominal} == {"nominal"}
    assert measures["stratum_headcount"] == "scale"
    formats = meta.original_variable_types
    assert formats["q_threat"] == formats["q_threat_count"] == formats["stratum"] == "F8.0"
    assert decimals(formats["weight"]) >= 6 and decimals(formats["ind_sick_leave_days"]) >= 6
    assert sum(data["weight"]) == pytest.approx(290)
    # Outside the denominator or not asked: system missing, as empty in the CSV.
    assert any(math.isnan(v) for v in data["ind_escalation"])
    assert any(math.isnan(v) for v in data["q_threat_count"])
    assert meta.file_label.startswith("Analysebestand 2026")
    english = read_sav(
        client.get(
            ANALYSIS.format("2026") + "?format=sav&lang=en", headers=bearer(factory, "admin", "x")
        ).content,
        tmp_path,
    )[1]
    assert english.column_names_to_labels["q_threat"] == "Have you been threatened?"
    assert english.variable_value_labels["q_threat"] == {1: "No", 2: "Once", 3: "Several times"}


def test_the_analysis_file_format_is_checked(client, factory):
    filled_wave(factory, "2026", [12, 0, 0, 0, 12], seed=35)
    admin = bearer(factory, "admin")
    reply = client.get(ANALYSIS.format("2026") + "?format=pdf", headers=admin)
    assert reply.status_code == 422 and reply.json()["errors"][0]["loc"] == "query.format"
    assert client.get(ANALYSIS.format("nope") + "?format=sav", headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("file_format", "media_type"),
    [("csv", "text/csv; charset=utf-8"), ("sav", "application/x-spss-sav"), ("xlsx", XLSX)],
)
def test_row_level_data_only_for_admins_and_only_of_a_closed_wave(
    client, factory, file_format, media_type
):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=38, close=False)
    admin = bearer(factory, "admin")
    url = ANALYSIS.format("2026") + f"?format={file_format}"
    refusals = [
        (client.get(url), 401),
        (client.get(url, headers=bearer(factory, "analyst")), 403),
        (client.get(ANALYSIS.format("nope") + f"?format={file_format}", headers=admin), 404),
        (client.get(url, headers=admin), 409),
    ]
    for reply, status in refusals:
        assert reply.status_code == status
        assert reply.headers["content-type"] == "application/problem+json"
    assert "once the wave is closed" in refusals[-1][0].json()["detail"]
    with session_scope(factory) as session:
        close_mini_wave(session, "2026")
    served = client.get(url, headers=admin)
    assert served.status_code == 200 and served.headers["content-type"] == media_type


def test_spss_names_are_valid_and_unique():
    names = ["q_a__b-c", "q_a__b_c", "Q_A__B_C", "and", "1x", "x" * 70, "x" * 71, "a.", "ok"]
    assert spss_names(names) == [
        "q_a__b_c_1",  # the name as it is goes to the column that has it
        "q_a__b_c",
        "Q_A__B_C_2",  # SPSS ignores case
        "and_",
        "v_1x",
        "x" * 64,
        "x" * 62 + "_1",
        "a",
        "ok",
    ]
    assert len({n.upper() for n in spss_names(names)}) == len(names)


def test_empty_analysis_file_as_sav(client, factory, tmp_path):
    open_mini_wave(factory, "2026", codes=1)
    with session_scope(factory) as session:
        close_mini_wave(session, "2026")
    reply = client.get(ANALYSIS.format("2026") + "?format=sav", headers=bearer(factory, "admin"))
    assert reply.status_code == 200
    data, meta = read_sav(reply.content, tmp_path)
    assert meta.number_rows == 0 and "weight" in meta.column_names
    assert np.asarray(data["weight"]).size == 0


def test_the_exports_are_described_in_openapi(client):
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path, media in (
        ("/api/v1/exports/estimates.csv", {"text/csv"}),
        ("/api/v1/exports/estimates.sav", {"application/x-spss-sav"}),
        ("/api/v1/exports/estimates.xlsx", {XLSX}),
        ("/api/v1/waves/{wave_id}/analysis-file", {"text/csv", "application/x-spss-sav", XLSX}),
    ):
        responses = paths[path]["get"]["responses"]
        assert set(responses["200"]["content"]) == media
        assert {"401", "403", "404", "422"} <= set(responses)
    # Every error of every route is described as the problem body it is.
    for operations in paths.values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                if status >= "400":
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }
    assert "HTTPValidationError" not in schema["components"]["schemas"]
