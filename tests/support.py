"""Builders the tests share: a published questionnaire, an open wave with a frame and codes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.closing.service import close_wave
from app.db import session_scope
from app.indicators.definitions import indicator_set
from app.method.disclosure import DEFAULT_PROTECTION
from app.questionnaires.loader import parse_questionnaire, read_yaml
from app.questionnaires.schema import Questionnaire
from app.questionnaires.service import get_version, publish
from app.responses.coded import decode
from app.responses.models import Response
from app.responses.service import Submission, record
from app.waves.models import Wave
from app.waves.service import create_wave, get_wave, issue_codes, load_frame, open_wave

FIXTURES = Path(__file__).parent / "fixtures"
MINI_FRAME = """organisation,unit,function_group,headcount
pol,pol-ams,pol-basis,100
pol,pol-ams,pol-ops,50
pol,pol-rot,pol-basis,80
pol,pol-rot,pol-ops,40
om,om-ams,om-ovj,20
"""

TODAY = date.today()
MIN_CELL = 10  # as the settings fixture


def submit(session: Session, wave_id: str, code: str, answers: dict[str, Any], today: date) -> None:
    """One submission recorded at once, in the caller's transaction (the intake's batches,
    app.responses.intake, record many at a time): its problem raised, if any."""
    refused = record(session, [Submission(wave_id, code, answers)], today)[0]
    if refused is not None:
        raise refused


def stored_answers(session: Session, wave_id: str | None = None) -> list[dict[str, Any]]:
    """The answers of the stored responses (of one wave, or of all), in stored order, as
    their coded form gives them back (app.responses.coded)."""
    query = select(Response.wave_id, Response.coded, Response.free_text)
    if wave_id is not None:
        query = query.where(Response.wave_id == wave_id)
    found = []
    for row in session.execute(query):
        questionnaire = get_version(session, get_wave(session, row.wave_id).questionnaire_id)
        found += decode(questionnaire, [(row.coded, row.free_text)])
    return found


def close_mini_wave(session: Session, wave_id: str, protection: float = DEFAULT_PROTECTION) -> Wave:
    """Close a wave as `monitor wave close` does, with the fixture folder's indicators."""
    return close_wave(session, wave_id, MIN_CELL, indicator_set(FIXTURES / "defs"), protection)


def load_fixture(name: str = "mini.yaml") -> Questionnaire:
    data, problems = read_yaml(FIXTURES / "defs" / name)
    questionnaire, problems = parse_questionnaire(data, name)
    assert questionnaire is not None, problems
    return questionnaire


def answers(**overrides: Any) -> dict[str, Any]:
    """A valid set of answers to the mini questionnaire."""
    base: dict[str, Any] = {
        "organisation": "pol",
        "unit": "pol-ams",
        "function_group": "pol-basis",
        "threat": "no",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@dataclass
class OpenWave:
    id: str
    questionnaire: Questionnaire
    codes: list[str] = field(default_factory=list)


def open_mini_wave(
    factory: sessionmaker[Session],
    wave_id: str = "2026",
    codes: int = 5,
    frame: str = MINI_FRAME,
    questionnaire: Questionnaire | None = None,
    pilot: bool = False,
    secret: bytes | None = None,
    token_secret: bytes | None = None,
) -> OpenWave:
    """Publish the mini questionnaire and open a wave (or a pilot) on it, with a frame
    and codes; with the server's `secret`, with its answer key too; with `token_secret`,
    a token wave whose key is sealed under it."""
    questionnaire = questionnaire or load_fixture()
    with session_scope(factory) as session:
        publish(session, questionnaire)
        create_wave(
            session,
            wave_id,
            questionnaire.id,
            TODAY - timedelta(days=7),
            TODAY + timedelta(days=30),
            pilot=pilot,
            tokens=token_secret is not None,
        )
        load_frame(session, wave_id, frame)
        open_wave(session, wave_id, TODAY, secret=secret, token_secret=lambda: token_secret or b"")
        issued = issue_codes(session, wave_id, codes)
    return OpenWave(wave_id, questionnaire, issued)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_monitor(
    db_url: str,
    *args: str,
    env: dict[str, str] | None = None,
    launch: tuple[str, ...] = ("-m", "app.cli"),
    **popen: Any,
) -> tuple[subprocess.Popen[bytes], int]:
    """`monitor serve` (extra `args`, e.g. --workers 2) on a free port, once it answers
    from the database; the process and its port. The caller stops it. `launch` is how
    Python starts the CLI (a test may run it from a script that patches the app first)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *launch, "serve", "--port", str(port), *args],
        env={**os.environ, "MONITOR_DATABASE_URL": db_url, **(env or {})},
        **popen,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/waves/open", timeout=1)
            return process, port
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("the server did not start") from None
            time.sleep(0.05)
