"""Waves with synthetic respondents, submitted through the intake's validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.db import session_scope
from app.waves.models import Wave
from app.waves.service import publish_wave
from tests.support import TODAY, OpenWave, answers, close_mini_wave, open_mini_wave, submit

# The cells of tests.support.MINI_FRAME, in its order.
CELLS = [
    ("pol", "pol-ams", "pol-basis"),
    ("pol", "pol-ams", "pol-ops"),
    ("pol", "pol-rot", "pol-basis"),
    ("pol", "pol-rot", "pol-ops"),
    ("om", "om-ams", "om-ovj"),
]


def random_answers(rng: np.random.Generator, cell: tuple[str, str, str]) -> dict[str, Any]:
    organisation, unit, function_group = cell
    threat = str(rng.choice(["no", "once", "several"], p=[0.45, 0.3, 0.25]))
    given = answers(
        organisation=organisation, unit=unit, function_group=function_group, threat=threat
    )
    if threat != "no":
        if rng.random() < 0.8:
            given["threat_count"] = int(rng.integers(1, 12))
        pick = rng.random()
        if pick < 0.25:
            given["reasons"] = ["none"]
        elif pick < 0.8:
            chosen = rng.choice(["minor", "job"], rng.integers(1, 3), replace=False)
            given["reasons"] = sorted(str(code) for code in chosen)
    if rng.random() < 0.2:
        given["comment"] = "Mijn teamleider heet Jansen"
    return given


def submit_all(factory: sessionmaker[Session], wave: OpenWave, batch: list[dict[str, Any]]) -> None:
    codes = iter(wave.codes)
    with session_scope(factory) as session:
        for given in batch:
            submit(session, wave.id, next(codes), given, TODAY)
    wave.codes = list(codes)


def filled_wave(
    factory: sessionmaker[Session],
    wave_id: str,
    per_cell: list[int],
    seed: int,
    opens: date | None = None,
    close: bool = True,
    published: bool = False,
    pilot: bool = False,
) -> list[dict[str, Any]]:
    """A mini wave with `per_cell` respondents in the frame's cells; closed by default
    (and `published`, for the public's routes; or a `pilot`), then dated to open on `opens` (so that
    waves can be put in any order)."""
    rng = np.random.default_rng(seed)
    wave = open_mini_wave(factory, wave_id, codes=sum(per_cell) + 5, pilot=pilot)
    batch = [
        random_answers(rng, cell) for cell, n in zip(CELLS, per_cell, strict=True) for _ in range(n)
    ]
    submit_all(factory, wave, batch)
    if close:
        with session_scope(factory) as session:
            close_mini_wave(session, wave_id)
            if published:
                publish_wave(session, wave_id, TODAY)
    if opens is not None:
        with session_scope(factory) as session:
            session.execute(
                update(Wave).where(Wave.id == wave_id).values(opens_at=opens, closes_at=opens)
            )
    return batch


def bearer(factory: sessionmaker[Session], role: str, name: str | None = None) -> dict[str, str]:
    with session_scope(factory) as session:
        key = create_key(session, name or role, role)
    return {"Authorization": f"Bearer {key}"}
