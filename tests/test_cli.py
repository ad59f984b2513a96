"""The `monitor` command as an operator uses it: messages on stderr, data on stdout,
exit 1 with a clear message on every mistake."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import app
from app.closing.models import Estimate
from app.config import get_settings
from app.waves.codes import ALPHABET, ENTROPY_BITS, code_hash
from app.waves.models import AnswerKey, FrameCell, InvitationCode, TokenKey, Wave
from tests.builders import filled_wave, submit_all
from tests.support import FIXTURES, MINI_FRAME, answers, open_mini_wave


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
    assert "wave 2026 is closed\n  respondents: 0 of 290 staff (response rate 0.0%)" in closed
    assert f"figures: {figures}; shown 0, suppressed {figures} (coverage {figures})" in closed
    assert "closed" in monitor("wave", "open", "2026", ok=False).stderr


def test_opening_makes_the_answer_key_and_closing_destroys_it(monitor, tmp_path, factory):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    with factory() as session:
        key = session.get(AnswerKey, "2026")
        assert key is not None and key.public_key.startswith(b"\x30\x82")  # DER SPKI
    monitor("wave", "close", "2026")
    with factory() as session:
        assert session.get(AnswerKey, "2026") is None


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


# --- running a wave: pilot, close summary, publish, list -------------------------------------


def test_opening_before_the_opening_date_needs_early(monitor, tmp_path, factory):
    monitor("survey", "publish")
    monitor(*create_args(opens="2099-01-01"))
    (tmp_path / "frame.csv").write_text(MINI_FRAME, encoding="utf-8")
    loaded = monitor("frame", "load", "2026", str(tmp_path / "frame.csv")).stderr
    assert loaded == (
        "frame of wave 2026: 5 cells, 290 staff; next: 'monitor wave open 2026' on 2099-01-01\n"
    )
    refused = monitor("wave", "open", "2026", ok=False).stderr
    assert "opens on 2099-01-01" in refused and "--early" in refused
    with factory() as session:
        assert session.get(Wave, "2026").status == "draft"
    opened = monitor("wave", "open", "2026", "--early").stderr
    assert "wave 2026 is open" in opened and "until 2099-12-31" in opened
    assert "monitor codes issue 2026" in opened  # what to do next


def test_closing_prints_respondents_rate_and_figures(monitor, factory):
    filled_wave(factory, "2026", [30, 12, 25, 8, 12], seed=4, close=False)
    err = monitor("wave", "close", "2026").stderr
    with factory() as session:
        reasons = dict(
            session.execute(select(Estimate.reason, func.count()).group_by(Estimate.reason)).all()
        )
    shown = reasons.pop(None)
    hidden = sum(reasons.values())
    assert "min_cell" in reasons and "complementary" in reasons
    assert "sealing the responses" in err and "computing the figures" in err  # progress
    assert "respondents: 87 of 290 staff (response rate 30.0%)" in err
    by_reason = ", ".join(f"{reason} {n:,}" for reason, n in sorted(reasons.items()))
    assert (
        f"figures: {shown + hidden:,}; shown {shown:,}, suppressed {hidden:,} ({by_reason})" in err
    )
    assert "'monitor wave publish 2026'" in err


def test_publishing_a_closed_wave(monitor, factory, tmp_path):
    prepared(monitor, tmp_path)
    monitor("wave", "open", "2026")
    for refused in (
        monitor("wave", "publish", "2026", ok=False),
        monitor("wave", "publish", "nope", ok=False),
    ):
        assert refused.stderr.startswith("error: ")
    assert (
        "only a closed wave can be published" in monitor("wave", "publish", "2026", ok=False).stderr
    )
    monitor("wave", "close", "2026")
    with factory() as session:
        assert session.get(Wave, "2026").published_on is None  # closing publishes nothing
    first = monitor("wave", "publish", "2026")
    assert f"wave 2026 is published: its figures are public from today ({date.today()})" in (
        first.stderr
    )
    again = monitor("wave", "publish", "2026")  # not an error: nothing to do
    assert f"wave 2026 is already published (since {date.today()}); nothing changed" in again.stderr
    with factory() as session:
        assert session.get(Wave, "2026").published_on == date.today()


def test_a_pilot_is_never_published(monitor, factory, tmp_path):
    monitor("survey", "publish")
    assert "pilot wave pilot created" in monitor(*create_args("pilot"), "--pilot").stderr
    (tmp_path / "frame.csv").write_text(MINI_FRAME, encoding="utf-8")
    monitor("frame", "load", "pilot", str(tmp_path / "frame.csv"))
    monitor("wave", "open", "pilot")
    closed = monitor("wave", "close", "pilot").stderr
    assert "a pilot: its figures are for analysts and admins only, never published" in closed
    refused = monitor("wave", "publish", "pilot", ok=False).stderr
    assert "pilot" in refused and "never published" in refused
    with factory() as session:
        wave = session.get(Wave, "pilot")
        assert wave.pilot and wave.published_on is None


def test_wave_list_shows_every_wave_and_its_state(monitor, factory, tmp_path):
    monitor("survey", "publish")
    assert monitor("wave", "list").stdout.split() == [
        "id", "questionnaire", "opens", "closes", "state", "pilot", "respondents", "published"
    ]  # fmt: skip
    assert "no waves yet" in monitor("wave", "list").stderr
    filled_wave(factory, "w-pub", [10, 0, 0, 0, 2], seed=1, opens=date(2024, 3, 1), published=True)
    filled_wave(factory, "w-closed", [5, 0, 0, 0, 1], seed=2, opens=date(2025, 3, 1))
    filled_wave(factory, "w-pilot", [3, 0, 0, 0, 0], seed=3, opens=date(2025, 9, 1), pilot=True)
    opened = open_mini_wave(factory, "w-open", codes=4)
    monitor(*create_args("w-new", opens="2099-01-01"))
    assert "0*" in monitor("wave", "list").stdout  # the day's first reader keeps the counts
    submit_all(factory, opened, [answers()] * 4)
    result = monitor("wave", "list")
    header, *lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines}
    today = date.today().isoformat()
    assert list(rows) == ["w-pub", "w-closed", "w-pilot", "w-open", "w-new"]  # date order
    assert rows["w-pub"] == [
        "w-pub", "mini-2026.1", "2024-03-01", "2024-03-01", "published", "no", "12", today
    ]  # fmt: skip
    assert rows["w-closed"][4:] == ["closed", "no", "6", "-"]
    assert rows["w-pilot"][4:] == ["closed", "yes", "3", "-"]
    # An open wave is counted at the start of the day: today's four come tomorrow.
    assert rows["w-open"][4:] == ["open", "no", "0*", "-"]
    assert rows["w-new"][4:] == ["created", "no", "-", "-"]
    assert "* an open wave's respondents as counted at the start of today" in result.stderr
    assert header.index("state") == lines[0].index("published")  # aligned columns


def test_issuing_many_codes_shows_progress_on_stderr(monitor, tmp_path):
    prepared(monitor, tmp_path)
    few = monitor("codes", "issue", "2026", "--count", "3")
    assert few.stderr == "3 codes issued for wave 2026\n"  # one step: no progress lines
    many = monitor("codes", "issue", "2026", "--count", "25000")
    assert len(many.stdout.splitlines()) == 25_000  # stdout holds the codes alone
    assert many.stderr.splitlines() == [
        "codes: 40% (10,000 of 25,000)",
        "codes: 80% (20,000 of 25,000)",
        "codes: 100% (25,000 of 25,000)",
        "25000 codes issued for wave 2026",
    ]


def test_a_token_wave_gets_its_key_at_open_and_loses_it_at_close(
    monitor, tmp_path, factory, monkeypatch
):
    monkeypatch.setenv("MONITOR_TOKEN_SECRET_FILE", str(tmp_path / "token.key"))
    monitor("survey", "publish")
    created_now = monitor(*create_args(), "--tokens").stderr
    assert "until single sign-on is configured" in created_now
    (tmp_path / "frame.csv").write_text(MINI_FRAME, encoding="utf-8")
    monitor("frame", "load", "2026", str(tmp_path / "frame.csv"))
    with factory() as session:
        assert session.get(Wave, "2026").tokens
        assert session.scalar(select(func.count()).select_from(TokenKey)) == 0
    opened = monitor("wave", "open", "2026").stderr
    assert re.search(r"token key is sha256:[0-9a-f]{64}", opened)
    assert (tmp_path / "token.key").stat().st_mode & 0o777 == 0o600
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenKey)) == 1
    closed = monitor("wave", "close", "2026").stderr
    assert "destroying the token key" in closed
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(TokenKey)) == 0
