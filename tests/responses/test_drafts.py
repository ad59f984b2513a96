"""Save and resume behind two secrets (CONTRACT section 3), attacked as the person who
handed out the codes would: with the code, but without the respondent's resume key."""

from __future__ import annotations

from sqlalchemy import func, select

from app.responses.models import ResumeState
from tests.support import answers, open_mini_wave

KEY = "mijn-eigen-sleutel"
PARTIAL = {"organisation": "pol", "unit": "pol-ams", "comment": "Mijn teamleider heet Jansen"}


def paths(wave_id: str) -> tuple[str, str, str]:
    base = f"/api/v1/waves/{wave_id}"
    return f"{base}/progress", f"{base}/progress/load", f"{base}/responses"


def drafts(factory) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(ResumeState))


def test_a_draft_round_trips_with_code_and_key(client, factory):
    wave = open_mini_wave(factory, codes=1)
    save, load, _ = paths(wave.id)
    saved = client.put(save, json={"code": wave.codes[0], "resume_key": KEY, "answers": PARTIAL})
    assert saved.status_code == 204 and saved.content == b""
    code = wave.codes[0].lower().replace("-", " ")  # as typed: case and dashes do not matter
    reply = client.post(load, json={"code": code, "resume_key": KEY})
    assert reply.status_code == 200 and reply.json() == {"answers": PARTIAL}


def test_the_code_holder_can_neither_read_nor_replace_a_draft(client, factory):
    wave = open_mini_wave(factory, codes=2)
    save, load, _ = paths(wave.id)
    code = wave.codes[0]
    client.put(save, json={"code": code, "resume_key": KEY, "answers": PARTIAL})
    refused = {"code": "AAAAAA-BBBBBB-CCCCCC", "resume_key": KEY}
    unknown_code = client.post(load, json=refused)
    for attempt in ({"code": code}, {"code": code, "resume_key": "raden-raden"}):
        reply = client.post(load, json=attempt)
        # The same answer as for an unknown code: nothing says whether a draft exists.
        assert reply.status_code == 403 and reply.json() == unknown_code.json()
        assert "Jansen" not in reply.text
    no_draft = client.post(load, json={"code": wave.codes[1], "resume_key": KEY})
    assert no_draft.status_code == 403 and no_draft.json() == unknown_code.json()
    # Writing with another key makes another draft; the respondent's is untouched.
    overwrite = {"code": code, "resume_key": "andere-sleutel", "answers": {"organisation": "om"}}
    assert client.put(save, json=overwrite).status_code == 204
    assert client.put(save, json={"code": code, "answers": {}}).status_code == 403
    assert client.post(load, json={"code": code, "resume_key": KEY}).json() == {"answers": PARTIAL}


def test_drafts_are_judged_like_submissions_except_for_missing_answers(client, factory):
    wave = open_mini_wave(factory, codes=1)
    save, _, _ = paths(wave.id)
    code = wave.codes[0]
    for bad in (
        {"organisation": {"nested": ["object"]}},
        {"organisation": "made-up-value"},
        {"nope": 1},
        {"organisation": "pol", "threat_count": 3},  # not shown: threat not answered
    ):
        reply = client.put(save, json={"code": code, "resume_key": KEY, "answers": bad})
        assert reply.status_code == 422, bad
    assert drafts(factory) == 0
    short = client.put(save, json={"code": code, "resume_key": "kort", "answers": {}})
    assert short.status_code == 422 and short.json()["errors"][0]["loc"] == "resume_key"
    # Required questions may still be missing.
    assert (
        client.put(save, json={"code": code, "resume_key": KEY, "answers": {}}).status_code == 204
    )


def test_a_forgotten_key_loses_the_draft_not_the_code(client, factory):
    wave = open_mini_wave(factory, codes=1)
    save, load, submit = paths(wave.id)
    code = wave.codes[0]
    client.put(save, json={"code": code, "resume_key": KEY, "answers": PARTIAL})
    client.put(save, json={"code": code, "resume_key": "tweede-sleutel", "answers": {}})
    assert drafts(factory) == 2
    assert client.post(submit, json={"code": code, "answers": answers()}).status_code == 201
    assert drafts(factory) == 0  # every draft of a spent code is deleted with it
    assert client.post(load, json={"code": code, "resume_key": KEY}).status_code == 403
