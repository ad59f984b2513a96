"""The server killed (SIGKILL) in the middle of a burst of submissions: no acknowledged
response is lost, no half response is stored, every spent code has exactly one response."""

from __future__ import annotations

import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from subprocess import DEVNULL

import httpx
from sqlalchemy import func, select

from app.questionnaires.service import get_version
from app.responses.validation import validate_answers
from app.waves.codes import code_hash
from app.waves.models import InvitationCode
from app.waves.service import frame_cells
from tests.support import answers, open_mini_wave, start_monitor, stored_answers

CODES = 200
KILL_AFTER_ACKNOWLEDGED = 40


def test_sigkill_mid_burst_loses_nothing_acknowledged(db_url, factory):
    wave = open_mini_wave(factory, codes=CODES)
    server, port = start_monitor(
        db_url, env={"MONITOR_RATE_LIMIT": "0"}, stdout=DEVNULL, stderr=DEVNULL
    )
    acknowledged: list[str] = []
    lock = threading.Lock()

    def submit(i: int) -> None:
        code = wave.codes[i]
        body = {"code": code, "answers": answers(threat="once", threat_count=1 + i % 99)}
        try:
            reply = httpx.post(
                f"http://127.0.0.1:{port}/api/v1/waves/{wave.id}/responses", json=body, timeout=10
            )
        except httpx.TransportError:
            return  # the server died under this request: not acknowledged
        if reply.status_code == 201:
            with lock:
                acknowledged.append(code)
                if len(acknowledged) == KILL_AFTER_ACKNOWLEDGED:
                    server.send_signal(signal.SIGKILL)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(submit, range(CODES)))
    server.wait(timeout=10)
    assert server.returncode == -signal.SIGKILL
    assert KILL_AFTER_ACKNOWLEDGED <= len(acknowledged) < CODES  # killed mid-burst

    with factory() as session:
        remaining = set(session.scalars(select(InvitationCode.code_hash)))
        stored = stored_answers(session)
        spent = CODES - session.scalar(select(func.count()).select_from(InvitationCode))
        questionnaire = get_version(session, "mini-2026.1")
        cells = {(c.organisation, c.unit, c.function_group) for c in frame_cells(session, wave.id)}
    assert not {code_hash(c) for c in acknowledged} & remaining  # every acknowledged code spent
    assert len(stored) == spent >= len(acknowledged)  # one response per spent code, no more
    for raw in stored:  # no half response: each is whole and valid
        kept, errors = validate_answers(questionnaire, raw, cells)
        assert not errors and kept["threat"] == "once"
