"""The `monitor` command as an operator uses it: messages on stderr, data on stdout,
exit 1 with a clear message on every mistake."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from app.closing.models import Estimate
from app.config import get_settings
from app.waves.codes import ALPHABET, ENTROPY_BITS, code_hash
from app.waves.models import FrameCell, InvitationCode, Wave
from tests.builders import CELLS, random_answers, submit_all
from tests.support import FIXTURES, MINI_FRAME, OpenWave, load_fixture


@pytest.fixture
def monitor(db_url, tmp_path, monkeypatch):
    defs = tmp_path / "defs"
    shutil.copytree(FIXTURES / "defs", defs)
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(defs))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args), catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.stderr
        else:
            assert result.exit_code == 1, (result.stdout, result.stderr)
            assert "Traceback" not in result.stderr
        return result

    run.defs = defs  # type: ignore[attr-defined]
    yield run
    get_settings.cache_clear()


def create_args(
    wave: str = "2026",
    questionnaire: str = "mini-2026.1",
    opens: str = "2026-01-01",
    closes: str = "2099-12-31",
) -> tuple[str, ...]:
    return (
        "wave", "create", wave, "--questionnaire", questionnaire, "--opens", opens,
        "--closes", closes,
    )  # fmt: skip


def created(monitor) -> None:
    """The mini questionnaire published and wave 2026 created on it (a draft, no frame)."""
    monitor("survey", "publish")
    monitor(*create_args())


def prepared(monitor, tmp_path: Path, frame: str = MINI_FRAME) -> None:
    created(monitor)
    (tmp_path / "frame.csv").write_text(frame, encoding="utf-8")
    monitor("frame", "load", "2026", str(tmp_path / "frame.csv"))


def test_publish_is_idempotent_and_refuses_a_changed_version(monitor):
    assert "mini-2026.1: published" in monitor("survey", "publish").stderr
    assert "mini-2026.1: unchanged" in monitor("survey", "publish").stderr
    path = monitor.defs / "mini.yaml"
    path.write_text(path.read_text().replace("Hoe vaak?", "Hoe vaak ongeveer?"))
    result = monitor("survey", "publish", ok=False)
    assert "mini-2026.1" in result.stderr
    assert "threat_count: text" in result.stderr


def test_validate_lists_problems_and_exits_1(monitor):
    path = monitor.defs / "mini.yaml"
    path.write_text(path.read_text().replace("max: 99", "max: 0"))
    result = monitor("survey", "validate", ok=False)
    assert "mini.yaml: threat_count: [min_greater_than_max]" in result.stderr


def test_diff(monitor):
    new = monitor.defs / "mini2.yaml"
    new.write_text(
        (monitor.defs / "mini.yaml")
        .read_text()
        .replace("mini-2026.1", "mini-2027.1")
        .replace("Hoe vaak?", "Hoe vaak precies?")
    )
    assert (
        monitor("survey", "diff", "mini-2026.1", "mini-2027.1").stdout == "~ threat_count: text\n"
    )


def test_wave_lifecycle_and_codes(monitor, tmp_path, factory):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    result = monitor("codes", "issue", "2026", "--count", "25")
    codes = result.stdout.splitlines()
    assert len(codes) == len(set(codes)) == 25
    pattern = re.compile(f"^[{ALPHABET}]{{6}}-[{ALPHABET}]{{6}}-[{ALPHABET}]{{6}}$")
    assert all(pattern.match(code) for code in codes)
    assert ENTROPY_BITS >= 80
    assert not set("01OIL") & set(ALPHABET)
    with factory() as session:
        hashes = set(session.scalars(select(InvitationCode.code_hash)))
    assert hashes == {code_hash(code) for code in codes}  # only hashes are stored
    closed = monitor("wave", "close", "2026").stderr
    with factory() as session:
        assert session.get(Wave, "2026").status == "closed"
        figures = session.scalar(select(func.count()).select_from(Estimate))
    # Nobody answered: every figure is over staff no respondent stands for.
    assert closed == (
        f"wave 2026 is closed: 0 respondents of 290 staff (0.0%); "
        f"0 figures published, {figures} suppressed (coverage {figures})\n"
    )
    assert "closed" in monitor("wave", "open", "2026", ok=False).stderr


def test_close_reports_figures_by_reason(monitor, tmp_path, factory):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    codes = monitor("codes", "issue", "2026", "--count", "90").stdout.split()
    wave = OpenWave("2026", load_fixture(), codes)
    rng = np.random.default_rng(5)
    submit_all(
        factory,
        wave,
        [
            random_answers(rng, c)
            for c, n in zip(CELLS, [30, 12, 25, 8, 6], strict=True)
            for _ in range(n)
        ],
    )
    closed = monitor("wave", "close", "2026").stderr
    with factory() as session:
        reasons = dict(
            session.execute(select(Estimate.reason, func.count()).group_by(Estimate.reason)).all()
        )
    published = reasons.pop(None)
    assert closed.startswith(
        f"wave 2026 is closed: 81 respondents of 290 staff (27.9%); {published} figures "
        f"published, {sum(reasons.values())} suppressed ("
    )
    assert "min_cell" in reasons
    for reason, n in reasons.items():
        assert f"{reason} {n}" in closed


def test_opening_needs_a_frame(monitor):
    created(monitor)
    assert "no frame" in monitor("wave", "open", "2026", ok=False).stderr


def test_frame_errors_are_listed_per_line_and_nothing_is_loaded(monitor, tmp_path, factory):
    created(monitor)
    bad = (
        "organisation,unit,function_group,headcount\n"
        "pol,pol-ams,pol-basis,100\n"
        "pol,om-ams,pol-basis,10\n"
        "kmar,pol-ams,pol-basis,10\n"
        "pol,pol-ams,pol-basis,5\n"
        "pol,pol-rot,pol-ops,-3\n"
        "pol,pol-rot\n"
    )
    (tmp_path / "bad.csv").write_text(bad)
    err = monitor("frame", "load", "2026", str(tmp_path / "bad.csv"), ok=False).stderr
    for expected in (
        "line 3: unit 'om-ams' does not belong to 'pol'",
        "line 4: unknown organisation 'kmar'",
        "line 5: the same cell is on line 2",
        "line 6: headcount '-3'",
        "line 7: expected 4 fields",
    ):
        assert expected in err
    (tmp_path / "header.csv").write_text("org,unit,fg,n\npol,pol-ams,pol-basis,1\n")
    assert (
        "first line must be exactly"
        in monitor("frame", "load", "2026", str(tmp_path / "header.csv"), ok=False).stderr
    )
    assert (
        "cannot read"
        in monitor("frame", "load", "2026", str(tmp_path / "missing.csv"), ok=False).stderr
    )
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(FrameCell)) == 0


@pytest.mark.parametrize(
    "args",
    [
        create_args(questionnaire="nope-2026.1"),
        create_args(opens="01-01-2026"),
        create_args(opens="2026-03-01", closes="2026-02-01"),
        ("wave", "open", "nope"),
        ("wave", "close", "nope"),
        ("codes", "issue", "nope", "--count", "3"),
    ],
)
def test_mistakes_exit_1_with_a_message(monitor, args):
    monitor("survey", "publish")
    result = monitor(*args, ok=False)
    assert result.stderr.startswith("error: ")
    assert result.stdout == ""


def test_closing_a_draft_wave_is_refused(monitor, tmp_path):
    prepared(monitor, tmp_path)
    assert "only an open wave" in monitor("wave", "close", "2026", ok=False).stderr


def test_unreachable_database_is_a_message(monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["wave", "open", "2026"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "cannot use the database" in result.stderr


def test_bad_configuration_is_a_message(monkeypatch):
    monkeypatch.setenv("MONITOR_MIN_CELL", "3")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["wave", "open", "2026"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "MONITOR_MIN_CELL" in result.stderr


def test_retention_deletes_unspent_codes_of_closed_waves_only(monitor, tmp_path, factory):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    monitor("codes", "issue", "2026", "--count", "4")
    monitor(*create_args("2027"))
    monitor("frame", "load", "2027", str(tmp_path / "frame.csv"))
    monitor("codes", "issue", "2027", "--count", "2")
    assert "deleted 0 unspent codes" in monitor("retention", "apply").stderr
    monitor("wave", "close", "2026")
    assert "deleted 4 unspent codes" in monitor("retention", "apply").stderr
    with factory() as session:
        assert set(session.scalars(select(InvitationCode.wave_id))) == {"2027"}


def test_wave_audit_prints_a_band_per_suppressed_figure(monitor, factory):
    from tests.builders import filled_wave

    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=4)
    result = CliRunner().invoke(app, ["wave", "audit", "2026"], catch_exceptions=False)
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split("\t")[:6] == ["indicator", "breakdown", "group", "low", "high", "width"]
    assert rows and all(row.split("\t")[-1] in ("yes", "NO") for row in rows)
    broken = sum(row.endswith("\tNO") for row in rows)
    assert f"{len(rows)} suppressed figures attacked; {broken} narrower" in result.stderr
    monitor("wave", "audit", "nope", ok=False)  # no such wave: a message, exit 1


def test_wave_audit_refuses_an_open_wave(monitor, tmp_path):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    assert "only a closed wave" in monitor("wave", "audit", "2026", ok=False).stderr
