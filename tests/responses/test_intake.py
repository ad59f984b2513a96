"""The intake rules of CONTRACT section 3, through the HTTP API."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select

from app.responses.models import Response
from app.waves.models import InvitationCode
from tests.support import answers, open_mini_wave, stored_answers

URL = "/api/v1/waves/{}/responses"


def count(session_factory, model, **where) -> int:
    with session_factory() as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return session.scalar(query)


def test_valid_submission_is_recorded_and_spends_the_code(client, factory):
    wave = open_mini_wave(factory)
    reply = client.post(
        URL.format(wave.id),
        json={"code": wave.codes[0], "answers": answers(threat="once", threat_count=2)},
    )
    assert reply.status_code == 201
    assert reply.json() == {"status": "recorded"}
    assert count(factory, Response) == 1
    assert count(factory, InvitationCode) == len(wave.codes) - 1
    with factory() as session:
        stored = stored_answers(session)
    assert stored == [answers(threat="once", threat_count=2)]


def test_every_problem_is_listed_and_nothing_is_stored(client, factory):
    wave = open_mini_wave(factory)
    reply = client.post(
        URL.format(wave.id),
        json={
            "code": wave.codes[0],
            "answers": {
                "organisation": "pol",
                "unit": "om-ams",  # another organisation's unit
                "threat": "no",
                "threat_count": 3,  # hidden: threat is "no"
                "colour": "blue",  # unknown question
            },
        },
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert {(e["loc"], e["code"]) for e in body["errors"]} == {
        ("answers.colour", "unknown_question"),
        ("answers.unit", "invalid_option"),
        ("answers.function_group", "required"),
        ("answers.threat_count", "not_shown"),
    }
    assert count(factory, Response) == 0
    assert count(factory, InvitationCode) == len(wave.codes)  # the code stays unspent


@pytest.mark.parametrize(
    ("overrides", "loc", "code"),
    [
        ({"threat": "once", "threat_count": 0}, "answers.threat_count", "out_of_range"),
        ({"threat": "once", "threat_count": 100}, "answers.threat_count", "out_of_range"),
        ({"threat": "once", "threat_count": 2.5}, "answers.threat_count", "wrong_type"),
        ({"threat": "once", "threat_count": True}, "answers.threat_count", "wrong_type"),
        ({"threat": "once", "reasons": ["job", "job"]}, "answers.reasons", "duplicate_option"),
        ({"threat": "once", "reasons": ["job", "none"]}, "answers.reasons", "exclusive_option"),
        ({"threat": "once", "reasons": []}, "answers.reasons", "empty_choice"),
        ({"threat": "once", "reasons": "job"}, "answers.reasons", "wrong_type"),
        ({"threat": "sometimes"}, "answers.threat", "invalid_option"),
        ({"comment": "x" * 201}, "answers.comment", "too_long"),
        ({"comment": "a\x00b"}, "answers.comment", "invalid_text"),
        (
            {"unit": "pol-rot", "function_group": "pol-basis", "organisation": "om"},
            "answers.unit",
            "invalid_option",
        ),
    ],
)
def test_invalid_answers(client, factory, overrides, loc, code):
    wave = open_mini_wave(factory)
    reply = client.post(
        URL.format(wave.id), json={"code": wave.codes[0], "answers": answers(**overrides)}
    )
    assert reply.status_code == 422
    assert (loc, code) in {(e["loc"], e["code"]) for e in reply.json()["errors"]}
    assert count(factory, Response) == 0


def test_cell_must_exist_in_the_frame(client, factory):
    frame = (
        "organisation,unit,function_group,headcount\n"
        "pol,pol-ams,pol-basis,100\n"
        "om,om-ams,om-ovj,20\n"
    )
    wave = open_mini_wave(factory, frame=frame)
    reply = client.post(
        URL.format(wave.id),
        json={"code": wave.codes[0], "answers": answers(function_group="pol-ops")},
    )
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["code"] == "unknown_cell"


def test_unicode_text_is_kept_exactly(client, factory):
    wave = open_mini_wave(factory)
    text = "Één 👮‍♀️ — ‘quote’ \u200b ﷽"
    reply = client.post(
        URL.format(wave.id), json={"code": wave.codes[0], "answers": answers(comment=text)}
    )
    assert reply.status_code == 201
    with factory() as session:
        assert stored_answers(session)[0]["comment"] == text


def test_unknown_foreign_and_spent_codes_get_the_same_403(client, factory):
    wave = open_mini_wave(factory, "2026")
    other = open_mini_wave(factory, "2027")
    assert (
        client.post(
            URL.format(wave.id), json={"code": wave.codes[0], "answers": answers()}
        ).status_code
        == 201
    )
    replies = [
        client.post(URL.format(wave.id), json={"code": code, "answers": answers()})
        for code in ("AAAAAA-BBBBBB-CCCCCC", other.codes[0], wave.codes[0])
    ]
    assert {r.status_code for r in replies} == {403}
    assert len({json.dumps(r.json(), sort_keys=True) for r in replies}) == 1
    assert count(factory, InvitationCode, wave_id="2027") == len(other.codes)


def test_code_is_judged_before_answers_and_wave_before_code(client, factory):
    wave = open_mini_wave(factory)
    bad = {"threat": "??"}
    assert client.post(URL.format("nope"), json={"code": "x", "answers": bad}).status_code == 404
    assert client.post(URL.format(wave.id), json={"code": "x", "answers": bad}).status_code == 403


def test_codes_are_forgiving_about_case_spaces_and_dashes(client, factory):
    wave = open_mini_wave(factory)
    typed = " " + wave.codes[0].replace("-", " ").lower()
    assert (
        client.post(URL.format(wave.id), json={"code": typed, "answers": answers()}).status_code
        == 201
    )


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"code": 5, "answers": {}}',
        b'{"answers": {}}',
        b'{"code": "x", "answers": {}, "extra": 1}',
        b'{"code": "x", "answers": []}',
    ],
)
def test_malformed_bodies_are_problems(client, factory, body):
    wave = open_mini_wave(factory)
    reply = client.post(
        URL.format(wave.id), content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"
    assert set(reply.json()) >= {"type", "title", "status", "detail"}


def test_huge_body_gets_413(client, factory):
    wave = open_mini_wave(factory)
    body = json.dumps({"code": wave.codes[0], "answers": answers(comment="x" * (1024 * 1024))})
    reply = client.post(
        URL.format(wave.id), content=body, headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413
    assert reply.json()["status"] == 413
    assert count(factory, InvitationCode) == len(wave.codes)


def test_same_code_sent_concurrently_records_exactly_one(live_server, factory):
    wave = open_mini_wave(factory, codes=1)
    body = {"code": wave.codes[0], "answers": answers()}

    def send(_: int) -> int:
        with httpx.Client(base_url=live_server, timeout=60) as http:
            return http.post(URL.format(wave.id), json=body).status_code

    with ThreadPoolExecutor(max_workers=24) as pool:
        statuses = list(pool.map(send, range(24)))
    # The others are refused: the code is spent (403), or, past 20 failed attempts from
    # this address, the limit refuses them before the code is looked at (429).
    assert sorted(statuses)[:21] == [201] + [403] * 20
    assert set(sorted(statuses)[21:]) <= {403, 429}
    assert count(factory, Response) == 1


def test_invalid_answers_leave_the_code_unspent_even_if_the_caller_commits(factory):
    """The service undoes its own spending: a caller that catches the error and commits
    (as the survey pages do to show the form again) loses nothing."""
    from app.db import session_scope
    from app.problems import InvalidInput
    from tests.support import TODAY, submit

    wave = open_mini_wave(factory, codes=1)
    with session_scope(factory) as session, pytest.raises(InvalidInput):
        submit(session, wave.id, wave.codes[0], {"threat": "??"}, TODAY)
    assert count(factory, InvitationCode) == 1
    with session_scope(factory) as session:
        submit(session, wave.id, wave.codes[0], answers(), TODAY)
    assert count(factory, Response) == 1 and count(factory, InvitationCode) == 0
