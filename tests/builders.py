"""Waves with synthetic respondents, submitted through the intake's validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.auth.service import create_key
from app.closing.service import close_wave
from app.db import session_scope
from app.indicators.definitions import indicator_set
from app.waves.models import Wave
from app.waves.service import publish_wave
from tests.support import (
    FIXTURES,
    MIN_CELL,
    TODAY,
    OpenWave,
    answers,
    close_mini_wave,
    load_fixture,
    open_mini_wave,
    submit,
)

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


def waves_with_a_series_break(factory: sessionmaker[Session], folder: Path) -> None:
    """Closed, published waves 2026 (mini-2026.1) and 2027 (the same questions as
    mini-2027.1), and in `folder` the fixture's indicators, by which threat_intimidation
    breaks its series in 2027 with a note ("Nieuwe vraag." / "New question."): serve with
    survey_defs=folder."""
    data = yaml.safe_load((FIXTURES / "defs" / "indicators.yaml").read_text(encoding="utf-8"))
    data["denominators"]["mini-2027.1"] = data["denominators"]["mini-2026.1"]
    for indicator in data["indicators"]:
        indicator["versions"]["mini-2027.1"] = dict(indicator["versions"]["mini-2026.1"])
        if indicator["id"] == "threat_intimidation":
            indicator["versions"]["mini-2027.1"].update(
                series_break=True, break_note={"nl": "Nieuwe vraag.", "en": "New question."}
            )
    (folder / "indicators.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    filled_wave(
        factory, "2026", [30, 12, 25, 8, 12], seed=13, opens=date(2026, 3, 1), published=True
    )
    wave = open_mini_wave(
        factory,
        "2027",
        codes=90,
        questionnaire=load_fixture().model_copy(update={"id": "mini-2027.1"}),
    )
    rng = np.random.default_rng(14)
    submit_all(factory, wave, [random_answers(rng, c) for c in CELLS * 15])
    with session_scope(factory) as session:
        close_wave(session, "2027", MIN_CELL, indicator_set(folder))
        publish_wave(session, "2027", TODAY)


def bearer(factory: sessionmaker[Session], role: str, name: str | None = None) -> dict[str, str]:
    with session_scope(factory) as session:
        key = create_key(session, name or role, role)
    return {"Authorization": f"Bearer {key}"}
