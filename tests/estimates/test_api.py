"""The statistics API (CONTRACT section 8): trends, suppression, response rates, the
analysis file, and svy reproducing the published figures from that file."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
import svy
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, text, update

from app.config import Settings
from app.db import session_scope
from app.dependencies import utc_date, utc_today
from app.indicators.definitions import indicator_set
from app.main import create_app
from app.method.disclosure import published_value
from app.responses.models import RespondentCount, Response
from app.waves.models import FrameCell, Wave
from app.waves.service import publish_wave
from tests.builders import (
    CELLS,
    bearer,
    filled_wave,
    random_answers,
    submit_all,
    waves_with_a_series_break,
)
from tests.support import FIXTURES, MIN_CELL, answers, close_mini_wave, open_mini_wave

TOL = 1e-6
POINT_FIELDS = {
    "wave",
    "group",
    "estimate",
    "ci_low",
    "ci_high",
    "se",
    "n",
    "suppressed",
    "reason",
    "series_break",
    "change",
}
HIDDEN = ("estimate", "ci_low", "ci_high", "se", "n")


@pytest.fixture
def two_waves(factory):
    """Two closed and published waves, the later one created first (ids are not dates)."""
    filled_wave(factory, "w2", [30, 12, 25, 8, 12], seed=11, opens=date(2027, 3, 1), published=True)
    filled_wave(
        factory, "w1", [28, 14, 22, 10, 13], seed=12, opens=date(2026, 3, 1), published=True
    )


def by_group(points, wave):
    return {p["group"]: p for p in points if p["wave"] == wave}


# --- indicators -----------------------------------------------------------------------------


def test_indicator_lists(client, factory):
    public = client.get("/api/v1/public/indicators").json()
    ids = [i["id"] for i in public]
    assert "threat_intimidation" in ids and "sick_leave_days" not in ids
    first = public[0]
    assert set(first) >= {"id", "label", "kind", "denominator", "public"}
    assert first["label"] == "Agressie meegemaakt"
    english = client.get("/api/v1/public/indicators?lang=en").json()
    assert english[0]["label"] == "Experienced aggression"
    every = client.get("/api/v1/indicators", headers=bearer(factory, "analyst")).json()
    mean = next(i for i in every if i["id"] == "sick_leave_days")
    assert mean == {
        "id": "sick_leave_days",
        "label": "Aantal keer (gemiddeld)",
        "kind": "mean",
        "denominator": "victims",
        "public": False,
        "description": "Van de slachtoffers, gemiddeld aantal keer.",
    }


def test_public_trends_only_for_public_indicators(client, factory):
    for indicator in ("sick_leave_days", "no_such_thing"):
        reply = client.get(f"/api/v1/public/trends/{indicator}")
        assert reply.status_code == 404
        assert reply.headers["content-type"] == "application/problem+json"
    analyst = bearer(factory, "analyst")
    assert client.get("/api/v1/trends/sick_leave_days", headers=analyst).status_code == 200
    assert client.get("/api/v1/trends/no_such_thing", headers=analyst).status_code == 404
    bad = client.get("/api/v1/public/trends/threat?by=region")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.by"


# --- trends ----------------------------------------------------------------------------------


def test_trend_in_date_order_with_change(client, two_waves):
    body = client.get("/api/v1/public/trends/threat_intimidation").json()
    assert {k: body[k] for k in ("indicator", "by", "kind", "denominator")} == {
        "indicator": "threat_intimidation",
        "by": "none",
        "kind": "proportion",
        "denominator": "all",
    }
    points = body["points"]
    assert [p["wave"] for p in points] == ["w1", "w2"]
    assert all(set(p) >= POINT_FIELDS and p["group"] is None for p in points)
    first, second = points
    assert first["change"] is None and not first["series_break"]
    change = second["change"]
    assert change["vs_wave"] == "w1"
    assert change["difference"] == pytest.approx(second["estimate"] - first["estimate"])
    # Fewer than 200 respondents: no standard errors, nor one of the change (README, rule 2).
    assert second["n"] < 200 and (first["se"], second["se"], change["se"]) == (None,) * 3
    assert change["significant"] == (change["p_value"] < 0.05)
    assert change["significant"] == (change["ci_low"] > 0 or change["ci_high"] < 0)
    assert change["ci_low"] < change["difference"] < change["ci_high"]
    assert first["reason"] is None and second["reason"] is None
    assert second["response_rate"] == pytest.approx(87 / 290)
    assert second["wave_title"]


def test_each_point_carries_its_wave_s_closing_date(client, two_waves, factory):
    """The dashboard's "last updated" is derived from it."""
    with factory() as session:
        closes = {w.id: w.closes_at.isoformat() for w in session.scalars(select(Wave))}
    for by in ("none", "organisation"):
        points = client.get(f"/api/v1/public/trends/threat_intimidation?by={by}").json()["points"]
        assert points and all(p["wave_closes_at"] == closes[p["wave"]] for p in points)


def test_the_public_sees_published_waves_only_and_never_a_pilot(client, factory):
    filled_wave(
        factory, "w1", [28, 14, 22, 10, 13], seed=12, opens=date(2026, 3, 1), published=True
    )
    filled_wave(factory, "pilot", [9, 8, 9, 8, 6], seed=16, opens=date(2026, 9, 1), pilot=True)
    filled_wave(factory, "w2", [30, 12, 25, 8, 12], seed=11, opens=date(2027, 3, 1))
    analyst = bearer(factory, "analyst")

    def waves(url: str, **headers: str) -> dict[str, dict]:
        points = client.get(url, headers=headers).json()["points"]
        return {p["wave"]: p for p in points if p["group"] in (None, "pol")}

    for by in ("none", "organisation"):
        public = f"/api/v1/public/trends/threat_intimidation?by={by}"
        assert list(waves(public)) == ["w1"]  # w2 is closed, not published
        every = waves(f"/api/v1/trends/threat_intimidation?by={by}", **analyst)
        assert list(every) == ["w1", "pilot", "w2"]
        assert every["w2"]["change"]["vs_wave"] == "w1"  # never the pilot
    with session_scope(factory) as session:
        publish_wave(session, "w2", utc_date())
    public = waves("/api/v1/public/trends/threat_intimidation")
    assert list(public) == ["w1", "w2"] and public["w2"]["change"]["vs_wave"] == "w1"


def test_a_series_break_shows_its_note_and_no_change(factory, db_url, tmp_path):
    waves_with_a_series_break(factory, tmp_path)
    settings = Settings(database_url=db_url, survey_defs=tmp_path, min_cell=MIN_CELL)
    with TestClient(create_app(settings)) as client:
        broken = client.get("/api/v1/public/trends/threat_intimidation?lang=en").json()["points"]
        kept = client.get("/api/v1/public/trends/threat?lang=en").json()["points"]
    assert [p["wave"] for p in broken] == ["2026", "2027"]
    assert broken[1]["series_break"] and broken[1]["change"] is None
    assert broken[1]["break_note"] == "New question."
    assert broken[0]["break_note"] is None
    assert not kept[1]["series_break"] and kept[1]["change"]["vs_wave"] == "2026"


def test_suppressed_figures_reveal_nothing(client, factory):
    filled_wave(factory, "2026", [30, 12, 25, 8, 6], seed=15, published=True)
    hidden = 0
    for indicator in ("threat_intimidation", "escalation", "reported_internally"):
        trend = {
            by: client.get(f"/api/v1/public/trends/{indicator}?by={by}").json()["points"]
            for by in ("none", "organisation", "unit", "function_group")
        }
        for points in trend.values():
            for p in points:
                if p["suppressed"]:
                    hidden += 1
                    assert all(p[field] is None for field in HIDDEN)
                    assert p["change"] is None
                    assert p["reason"] in ("min_cell", "complementary")
                else:
                    assert p["n"] >= MIN_CELL and p["estimate"] is not None
                    assert p["reason"] is None
        # Within a published parent, never exactly one hidden child.
        organisations = {p["group"]: p["suppressed"] for p in trend["organisation"]}
        if not trend["none"][0]["suppressed"]:
            assert sum(organisations.values()) != 1
        for by in ("unit", "function_group"):
            pol = [p["suppressed"] for p in trend[by] if p["group"].startswith("pol")]
            if not organisations["pol"]:
                assert sum(pol) != 1
            else:
                assert sum(pol) >= 1
    assert hidden > 0


def test_a_kept_trend_is_never_served_stale(factory, db_url, tmp_path):
    """A trend's JSON is kept as served (closed figures never change), and served again
    byte for byte; a wave closed and published since, a retitled wave or a changed
    indicators.yaml is read anew on the next request."""
    shutil.copytree(FIXTURES / "defs", tmp_path / "defs")
    filled_wave(
        factory, "w1", [28, 14, 22, 10, 13], seed=12, opens=date(2026, 3, 1), published=True
    )
    settings = Settings(database_url=db_url, survey_defs=tmp_path / "defs", min_cell=MIN_CELL)
    url = "/api/v1/public/trends/threat_intimidation?by=unit&lang=en"
    with TestClient(create_app(settings)) as client:
        first = client.get(url)
        assert first.status_code == 200 and client.get(url).content == first.content
        filled_wave(
            factory, "w2", [30, 12, 25, 8, 12], seed=11, opens=date(2027, 3, 1), published=True
        )
        assert {p["wave"] for p in client.get(url).json()["points"]} == {"w1", "w2"}
        with session_scope(factory) as session:
            session.execute(update(Wave).where(Wave.id == "w2").values(title="Monitor 2027"))
        assert {p["wave_title"] for p in client.get(url).json()["points"]} >= {"Monitor 2027"}
        defs = tmp_path / "defs" / "indicators.yaml"
        defs.write_text(defs.read_text().replace("en: Threatened}", "en: Threatened at work}"))
        assert client.get(url).json()["label"] == "Threatened at work"


def test_closed_figures_are_never_recomputed_on_read(client, factory, two_waves):
    analyst = bearer(factory, "analyst")
    urls = [
        f"/api/v1/trends/{i}?by={by}"
        for i in ("threat_intimidation", "sick_leave_days")
        for by in ("none", "unit")
    ]
    before = [client.get(url, headers=analyst).json() for url in urls]
    with session_scope(factory) as session:
        session.execute(update(FrameCell).values(headcount=FrameCell.headcount * 3))
        session.execute(delete(Response).where(Response.wave_id == "w1"))
    assert [client.get(url, headers=analyst).json() for url in urls] == before


# --- the analysis file and svy ----------------------------------------------------------------


def svy_figures(text: str, column: str, by: str | None, kind: str) -> dict:
    data = pl.read_csv(io.StringIO(text), infer_schema_length=None).with_columns(
        pl.col(column).cast(pl.Float64)
    )
    design = svy.Design(
        stratum="stratum", wgt="weight", pop_size="stratum_headcount", singleton="skip"
    )
    sample = svy.Sample(data, design)
    if kind == "mean":
        result = sample.estimation.mean(column, by=by, drop_nulls=True).to_polars()
        return {row[by] if by else None: row for row in result.iter_rows(named=True)}
    result = sample.estimation.prop(
        column, by=by, ci_method="korn-graubard", drop_nulls=True
    ).to_polars()
    figures = {}
    for row in result.iter_rows(named=True):
        group = row[by] if by else None
        if row[column] == 1.0:
            figures[group] = row
        elif group not in figures:  # svy has no row for a level that never occurs
            figures[group] = {
                **row,
                "est": 1 - row["est"],
                "lci": 1 - row["uci"],
                "uci": 1 - row["lci"],
            }
    return figures


@pytest.mark.parametrize(
    ("indicator", "by", "kind"),
    [
        ("threat_intimidation", "unit", "proportion"),
        ("threat_intimidation", "none", "proportion"),
        ("threat_intimidation", "organisation", "proportion"),
        ("no_task_impact", "function_group", "proportion"),
        ("sick_leave_days", "none", "mean"),
        ("sick_leave_days", "organisation", "mean"),
    ],
)
def test_svy_reproduces_the_published_figures_from_the_analysis_file(
    client, factory, indicator, by, kind
):
    filled_wave(factory, "2026", [40, 20, 35, 15, 18], seed=16)
    admin = bearer(factory, "admin")
    text = client.get("/api/v1/waves/2026/analysis-file", headers=admin).text
    points = client.get(f"/api/v1/trends/{indicator}?by={by}", headers=admin).json()["points"]
    reference = svy_figures(text, f"ind_{indicator}", None if by == "none" else by, kind)
    compared = 0
    for point in points:
        if point["suppressed"]:
            continue
        ref = reference[point["group"]]
        for field, col in (
            ("estimate", "est"),
            ("se", "se"),
            ("ci_low", "lci"),
            ("ci_high", "uci"),
        ):
            # Published rounded (README, rule 2): svy's value, rounded the same way; a
            # small group's share without its standard error.
            expected = published_value(ref[col], kind, field, point["n"])
            if expected is None:
                assert point[field] is None, (point["group"], field)
            else:
                assert point[field] == pytest.approx(expected, abs=TOL), (point["group"], field)
        compared += 1
    assert compared >= 1


def test_the_analysis_file(client, factory):
    batch = filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=17)
    admin = bearer(factory, "admin")
    assert client.get("/api/v1/waves/2026/analysis-file").status_code == 401
    assert (
        client.get(
            "/api/v1/waves/2026/analysis-file", headers=bearer(factory, "analyst")
        ).status_code
        == 403
    )
    assert client.get("/api/v1/waves/nope/analysis-file", headers=admin).status_code == 404
    reply = client.get("/api/v1/waves/2026/analysis-file", headers=admin)
    assert reply.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(reply.text)))
    header, body = rows[0], rows[1:]
    indicators = [i.id for i in indicator_set(FIXTURES / "defs").indicators]
    assert header == [
        "organisation",
        "unit",
        "function_group",
        "weight",
        *(f"ind_{i}" for i in indicators),
        "q_organisation",
        "q_unit",
        "q_function_group",
        "q_threat",
        "q_threat_count",
        "q_reasons__minor",
        "q_reasons__job",
        "q_reasons__none",
        "stratum",
        "stratum_headcount",
    ]
    assert len(body) == len(batch)
    assert "Jansen" not in reply.text and "comment" not in reply.text
    column = {name: [row[i] for row in body] for i, name in enumerate(header)}
    assert sum(map(float, column["weight"])) == pytest.approx(290)
    assert set(column["q_reasons__job"]) == {"", "0", "1"}
    assert set(column["ind_escalation"]) == {"", "0", "1"}
    given = sorted((a["unit"], a["threat"], str(a.get("threat_count", ""))) for a in batch)
    assert (
        sorted(zip(column["unit"], column["q_threat"], column["q_threat_count"], strict=True))
        == given
    )
    # Random order, newly drawn for every download.
    again = client.get("/api/v1/waves/2026/analysis-file", headers=admin).text
    assert sorted(again.splitlines()) == sorted(reply.text.splitlines()) and again != reply.text


# --- response rates ------------------------------------------------------------------------------


def rates(client, headers, wave, by):
    reply = client.get(f"/api/v1/waves/{wave}/response-rates?by={by}", headers=headers)
    assert reply.status_code == 200, reply.text
    return {r["group"]: r for r in reply.json()}


def test_response_rates_with_complementary_suppression(client, factory):
    filled_wave(factory, "2026", [30, 12, 25, 8, 6], seed=18)
    analyst = bearer(factory, "analyst")
    assert rates(client, analyst, "2026", "none") == {
        None: {
            "group": None,
            "respondents": 81,
            "headcount": 290,
            "rate": pytest.approx(81 / 290),
            "suppressed": False,
            "as_of": None,
            "note": None,
        }
    }
    # om has 6 respondents: hidden, and pol with it (the total is published) ...
    organisations = rates(client, analyst, "2026", "organisation")
    assert all(
        r["suppressed"] and r["respondents"] is None and r["rate"] is None
        for r in organisations.values()
    )
    assert organisations["pol"]["headcount"] == 270
    # ... so a police unit is hidden too, or the two units would give pol away.
    units = rates(client, analyst, "2026", "unit")
    assert units["pol-ams"] == {
        "group": "pol-ams",
        "respondents": 42,
        "headcount": 150,
        "rate": pytest.approx(42 / 150),
        "suppressed": False,
        "as_of": None,
        "note": None,
    }
    assert units["pol-rot"]["suppressed"] and units["om-ams"]["suppressed"]
    assert units["om-ams"]["note"].startswith("Verborgen: minder dan 10 respondenten")
    assert client.get("/api/v1/waves/2026/response-rates").status_code == 401
    assert client.get("/api/v1/waves/nope/response-rates", headers=analyst).status_code == 404


def test_open_wave_rates_are_those_at_the_start_of_the_day(client, factory):
    wave = open_mini_wave(factory, "2026", codes=20)
    rng = np.random.default_rng(19)
    # Spread over the cells: twelve in one cell would give every margin's count away
    # (the disclosure audit then hides the total as well).
    submit_all(factory, wave, [random_answers(rng, CELLS[i % 5]) for i in range(12)])
    analyst = bearer(factory, "analyst")
    # The first submission of the day first keeps the counts as they were.
    url = "/api/v1/waves/2026/responses"
    assert client.post(url, json={"code": wave.codes[0], "answers": answers()}).status_code == 201
    today = rates(client, analyst, "2026", "none")[None]
    assert today["respondents"] == 12 and today["as_of"] == utc_date().isoformat()
    assert client.post(url, json={"code": wave.codes[1], "answers": answers()}).status_code == 201
    assert rates(client, analyst, "2026", "none")[None]["respondents"] == 12
    # Tomorrow the day's first reader counts everything that came today.
    tomorrow = utc_date() + timedelta(days=1)
    client.app.dependency_overrides[utc_today] = lambda: tomorrow
    later = rates(client, analyst, "2026", "none")[None]
    assert later["respondents"] == 14 and later["as_of"] == tomorrow.isoformat()
    client.app.dependency_overrides.clear()
    # Closing replaces the snapshot with the final counts: no day is kept.
    with session_scope(factory) as session:
        close_mini_wave(session, "2026")
        assert set(session.scalars(select(RespondentCount.as_of))) == {None}
    assert rates(client, analyst, "2026", "none")[None]["respondents"] == 14


def test_on_the_first_day_every_rate_is_hidden_and_says_why(client, factory):
    wave = open_mini_wave(factory, "2026", codes=20)
    analyst = bearer(factory, "analyst")
    rates(client, analyst, "2026", "none")  # the day's first reader keeps the counts: none
    rng = np.random.default_rng(22)
    submit_all(factory, wave, [random_answers(rng, CELLS[i % 5]) for i in range(15)])
    today = utc_date().isoformat()
    dutch = rates(client, analyst, "2026", "none")[None]
    assert dutch["suppressed"] and dutch["respondents"] is None
    assert dutch["note"].startswith("Verborgen: minder dan 10 respondenten")
    assert f"Geteld aan het begin van {today} (UTC)" in dutch["note"]
    reply = client.get("/api/v1/waves/2026/response-rates?by=unit&lang=en", headers=analyst)
    assert all(
        r["note"].startswith("Hidden: fewer than 10 respondents")
        and f"Counted at the start of {today} (UTC)" in r["note"]
        for r in reply.json()
    )
    # Tomorrow the day's figures are shown, with when they were counted.
    client.app.dependency_overrides[utc_today] = lambda: utc_date() + timedelta(days=1)
    shown = rates(client, analyst, "2026", "none")[None]
    client.app.dependency_overrides.clear()
    assert shown["respondents"] == 15 and not shown["suppressed"]
    assert shown["note"].startswith("Geteld aan het begin van")


def test_the_snapshot_is_never_written_with_a_response(client, factory, engine):
    wave = open_mini_wave(factory, "2026", codes=2)
    url = "/api/v1/waves/2026/responses"
    assert client.post(url, json={"code": wave.codes[0], "answers": answers()}).status_code == 201
    with factory() as session:
        assert session.scalar(select(RespondentCount.respondents)) == 0  # kept before it
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            snapshot = set(
                connection.execute(text("SELECT xmin::text FROM respondent_count")).scalars()
            )
            response = set(connection.execute(text("SELECT xmin::text FROM response")).scalars())
        assert snapshot and response and not snapshot & response


def test_the_first_reader_of_the_day_keeps_the_counts(client, factory):
    wave = open_mini_wave(factory, "2026", codes=20)
    rng = np.random.default_rng(20)
    submit_all(factory, wave, [random_answers(rng, CELLS[0]) for _ in range(11)])
    analyst = bearer(factory, "analyst")
    assert rates(client, analyst, "2026", "unit")["pol-ams"]["respondents"] == 11
    submit_all(factory, wave, [random_answers(rng, CELLS[0])])
    assert rates(client, analyst, "2026", "unit")["pol-ams"]["respondents"] == 11


# --- nothing of an open wave --------------------------------------------------------------------


def test_an_open_wave_serves_no_row_and_no_figure_to_diff(client, factory):
    """The admin's attack: download before and after one submission, and compare."""
    wave = filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=21, close=False)
    admin = bearer(factory, "admin")
    reads = (
        "/api/v1/waves/2026/analysis-file",
        "/api/v1/waves/2026/analysis-file?format=sav",
        "/api/v1/waves/2026/analysis-file?format=xlsx",
        "/api/v1/waves/2026/preview/escalation?by=unit",
        "/api/v1/waves/2026/preview/threat",
    )
    for url in reads:
        refused = client.get(url, headers=admin)
        assert refused.status_code == 409, url
        assert refused.headers["content-type"] == "application/problem+json"
    assert wave  # the wave has responses all the same
    with session_scope(factory) as session:
        close_mini_wave(session, "2026")
    url = "/api/v1/waves/2026/preview/threat_intimidation?by=unit"
    assert client.get(url, headers=bearer(factory, "analyst")).status_code == 403
    preview = client.get(url, headers=admin).json()
    assert preview["wave"] == "2026" and preview["indicator"] == "threat_intimidation"
    stored = client.get("/api/v1/trends/threat_intimidation?by=unit", headers=admin).json()[
        "points"
    ]
    fields = ("group", "estimate", "ci_low", "ci_high", "se", "n", "suppressed")
    assert [{f: p[f] for f in fields} for p in preview["points"]] == [
        {f: p[f] for f in fields} for p in stored
    ]
    assert any(not p["suppressed"] for p in stored)
    assert client.get("/api/v1/waves/2026/analysis-file", headers=admin).status_code == 200


def test_the_routes_are_described_in_openapi(client):
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/v1/public/indicators": ("503",),
        "/api/v1/public/trends/{indicator}": ("404", "422"),
        "/api/v1/indicators": ("401", "403"),
        "/api/v1/trends/{indicator}": ("401", "403", "404"),
        "/api/v1/waves/{wave_id}/response-rates": ("401", "403", "404"),
        "/api/v1/waves/{wave_id}/analysis-file": ("401", "403", "404"),
        "/api/v1/waves/{wave_id}/preview/{indicator}": ("401", "403", "404", "409"),
    }
    for path, statuses in expected.items():
        responses = paths[path]["get"]["responses"]
        assert set(statuses) <= set(responses), path
        assert all("application/problem+json" in responses[s]["content"] for s in statuses)
    assert (
        "text/csv"
        in paths["/api/v1/waves/{wave_id}/analysis-file"]["get"]["responses"]["200"]["content"]
    )


def test_a_wave_s_default_title_follows_the_language(client, two_waves):
    def titles(lang):
        points = client.get(f"/api/v1/public/trends/threat_intimidation?lang={lang}").json()
        return {p["wave"]: p["wave_title"] for p in points["points"]}

    dutch, english = titles("nl"), titles("en")
    assert set(dutch) == set(english) == {"w1", "w2"}
    assert all(dutch[w] != english[w] for w in dutch)  # the questionnaire's title in each
