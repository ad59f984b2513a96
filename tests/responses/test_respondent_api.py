"""What the survey client calls before submitting: open waves, the questionnaire, the code
check and save-and-resume."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.db import session_scope
from app.waves.models import Wave
from app.waves.service import create_wave
from tests.support import TODAY, answers, close_mini_wave, open_mini_wave


def test_open_waves_lists_only_waves_taking_responses(client, factory):
    wave = open_mini_wave(factory, "2026")
    with session_scope(factory) as session:
        create_wave(session, "draft", "mini-2026.1", TODAY, TODAY + timedelta(days=9))
    open_mini_wave(factory, "old")
    with session_scope(factory) as session:
        close_mini_wave(session, "old")
    listed = client.get("/api/v1/waves/open").json()
    assert [w["id"] for w in listed] == [wave.id]
    # The contract's fields, and whether the wave takes tokens besides codes.
    assert set(listed[0]) == {"id", "title", "questionnaire_id", "opens_at", "closes_at", "tokens"}
    assert listed[0]["tokens"] is False


def test_questionnaire_in_dutch_and_english(client, factory):
    open_mini_wave(factory)
    nl = client.get("/api/v1/questionnaires/mini-2026.1").json()
    en = client.get("/api/v1/questionnaires/mini-2026.1?lang=en").json()
    assert nl["language"] == "nl" and nl["title"] == "Mini-monitor"
    assert en["language"] == "en" and en["title"] == "Mini monitor"
    assert nl["content_hash"].startswith("sha256:")
    assert client.get("/api/v1/questionnaires/nope-2026.1").status_code == 404
    assert client.get("/api/v1/questionnaires/mini-2026.1?lang=de").status_code == 422


def test_code_check_spends_nothing(client, factory):
    wave = open_mini_wave(factory, codes=1)
    check = f"/api/v1/waves/{wave.id}/codes/check"
    assert client.post(check, json={"code": wave.codes[0]}).json() == {"status": "valid"}
    assert client.post(check, json={"code": wave.codes[0]}).status_code == 200
    assert client.post(check, json={"code": "WRONG"}).status_code == 403
    assert (
        client.post("/api/v1/waves/nope/codes/check", json={"code": wave.codes[0]}).status_code
        == 404
    )
    reply = client.post(
        f"/api/v1/waves/{wave.id}/responses", json={"code": wave.codes[0], "answers": answers()}
    )
    assert reply.status_code == 201
    assert client.post(check, json={"code": wave.codes[0]}).status_code == 403


def test_closed_wave_refuses_with_409(client, factory):
    wave = open_mini_wave(factory, codes=1)
    with session_scope(factory) as session:
        close_mini_wave(session, wave.id)
    reply = client.post(
        f"/api/v1/waves/{wave.id}/responses", json={"code": wave.codes[0], "answers": answers()}
    )
    assert reply.status_code == 409
    assert (
        client.post(
            f"/api/v1/waves/{wave.id}/codes/check", json={"code": wave.codes[0]}
        ).status_code
        == 409
    )


def test_wave_past_its_closing_date_refuses_with_409(client, factory):
    wave = open_mini_wave(factory, codes=1)
    with session_scope(factory) as session:
        session.execute(
            update(Wave).values(
                opens_at=TODAY - timedelta(days=30), closes_at=TODAY - timedelta(days=1)
            )
        )
    reply = client.post(
        f"/api/v1/waves/{wave.id}/responses", json={"code": wave.codes[0], "answers": answers()}
    )
    assert reply.status_code == 409
    assert client.get("/api/v1/waves/open").json() == []


def test_draft_wave_refuses_with_409(client, factory):
    open_mini_wave(factory)
    with session_scope(factory) as session:
        create_wave(session, "draft", "mini-2026.1", TODAY, TODAY + timedelta(days=9))
    reply = client.post("/api/v1/waves/draft/responses", json={"code": "X", "answers": answers()})
    assert reply.status_code == 409
