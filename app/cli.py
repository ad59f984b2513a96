"""The `monitor` command. Messages go to stderr, data to stdout; exit 1 on any problem."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from app.auth.cli import audit, keys_app
from app.console import (
    configured_engine,
    ensure_sqlite_folder,
    fail,
    handles_problems,
    parse_date,
    print_table,
    progress,
    say,
    settings,
    unit_of_work,
)

app = typer.Typer(
    help="Staff victimisation monitor: questionnaires, waves, codes, keys and the server.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
survey_app = typer.Typer(help="Questionnaire definitions.", no_args_is_help=True)
wave_app = typer.Typer(help="Waves: create, open, close, publish, list.", no_args_is_help=True)
frame_app = typer.Typer(help="A wave's population frame.", no_args_is_help=True)
codes_app = typer.Typer(help="Invitation codes.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(survey_app, name="survey")
app.add_typer(wave_app, name="wave")
app.add_typer(frame_app, name="frame")
app.add_typer(codes_app, name="codes")
app.add_typer(keys_app, name="keys")
app.command("audit")(audit)

# --- db ------------------------------------------------------------------------------


@db_app.command("upgrade")
@handles_problems
def db_upgrade() -> None:
    """Apply all migrations to the configured database (MONITOR_DATABASE_URL)."""
    from app.migrate import upgrade

    url = settings().database_url
    ensure_sqlite_folder(url)
    upgrade(url)
    say("database is up to date")


@db_app.command("scrub")
@handles_problems
def db_scrub() -> None:
    """Clear the traces of submissions from the database files, as 'monitor wave close'
    does after a close: run it when a close was interrupted while it waited to do so."""
    from app.closing.seal import scrub_dead_rows

    with configured_engine() as engine:
        scrub_dead_rows(engine, say)
    say("no page of the database holds a row as a submission wrote it")


# --- survey ----------------------------------------------------------------------------

DirArgument = Annotated[
    Path | None, typer.Argument(help="Folder of definition files [MONITOR_SURVEY_DEFS]")
]


def _load_definitions(directory: Path | None, with_indicators: bool = True) -> Any:
    from app.indicators.definitions import load_indicators
    from app.questionnaires.loader import INDICATORS_FILE, load_directory

    folder = directory or settings().survey_defs
    result = load_directory(folder)
    # Indicators are checked against sound questionnaires only, so that one mistake in a
    # questionnaire is not reported again for every indicator that uses it.
    if with_indicators and not result.problems and (folder / INDICATORS_FILE).exists():
        questionnaires = {q.id: q for q in result.questionnaires}
        result.problems += load_indicators(folder, questionnaires)[1]
    if result.problems:
        for problem in result.problems:
            say(str(problem))
        raise fail(f"{len(result.problems)} problem(s) in {folder}")
    return result


@survey_app.command("validate")
@handles_problems
def survey_validate(directory: DirArgument = None) -> None:
    """Check every definition file; list each problem with file, question and code."""
    result = _load_definitions(directory)
    say(f"ok: {', '.join(q.id for q in result.questionnaires) or 'no questionnaires'}")


@survey_app.command("publish")
@handles_problems
def survey_publish(directory: DirArgument = None) -> None:
    """Register new questionnaire versions; unchanged ones are left alone."""
    from app.questionnaires.service import publish

    result = _load_definitions(directory)
    with unit_of_work() as session:
        for questionnaire in result.questionnaires:
            outcome = publish(session, questionnaire)
            say(f"{outcome.id}: {outcome.status}")


@survey_app.command("diff")
@handles_problems
def survey_diff(
    old: Annotated[str, typer.Argument(help="Version id, e.g. mm-2026.1")],
    new: Annotated[str, typer.Argument(help="Version id, e.g. mm-2027.1")],
    directory: Annotated[Path | None, typer.Option("--dir", help="Definitions folder")] = None,
) -> None:
    """List questions added, removed and changed between two versions (to stdout)."""
    from app.questionnaires.loader import diff

    # indicators.yaml may not know a new version yet: the diff is what decides its series breaks.
    versions = {q.id: q for q in _load_definitions(directory, with_indicators=False).questionnaires}
    missing = [v for v in (old, new) if v not in versions]
    if missing:
        raise fail(
            f"unknown version(s): {', '.join(missing)}; known: {', '.join(sorted(versions))}"
        )
    result = diff(versions[old], versions[new])
    for line in result.lines():
        typer.echo(line)
    if result.is_empty():
        say("no differences in questions")


# --- waves, frames, codes ---------------------------------------------------------------


@wave_app.command("create")
@handles_problems
def wave_create(
    wave_id: Annotated[str, typer.Argument(metavar="ID", help="Wave id, e.g. 2026")],
    questionnaire: Annotated[str, typer.Option(help="Published questionnaire version")],
    opens: Annotated[str, typer.Option(help="Opening date, YYYY-MM-DD")],
    closes: Annotated[str, typer.Option(help="Closing date, YYYY-MM-DD")],
    title: Annotated[str | None, typer.Option(help="Title shown to respondents")] = None,
    pilot: Annotated[
        bool,
        typer.Option(
            "--pilot", help="A trial run: never published, never the reference for a change"
        ),
    ] = False,
    tokens: Annotated[
        bool,
        typer.Option(
            "--tokens",
            help="Staff may also take part with a blind-signed token from their intranet "
            "sign-in (besides codes); needs single sign-on (MONITOR_JWKS_FILE)",
        ),
    ] = False,
) -> None:
    """Create a wave (as a draft: load a frame, then open it)."""
    from app.waves.service import create_wave

    opens_at, closes_at = parse_date(opens, "--opens"), parse_date(closes, "--closes")
    with unit_of_work() as session:
        wave = create_wave(
            session, wave_id, questionnaire, opens_at, closes_at, title, pilot=pilot, tokens=tokens
        )
    if tokens and settings().jwks_file is None:
        say(
            "note: tokens are issued to staff signed in on the intranet; until single sign-on "
            "is configured (MONITOR_JWKS_FILE, see the README) only codes work"
        )
    say(
        f"{'pilot wave' if wave.pilot else 'wave'} {wave.id} created ({wave.questionnaire_id}, "
        f"{wave.opens_at} to {wave.closes_at}); next: 'monitor frame load {wave.id} FRAME.csv'"
    )


@wave_app.command("open")
@handles_problems
def wave_open(
    wave_id: Annotated[str, typer.Argument(metavar="ID")],
    early: Annotated[
        bool,
        typer.Option("--early", help="Open before the opening date (codes work at once)"),
    ] = False,
) -> None:
    """Start taking responses (the wave needs a frame). Before its opening date only
    with --early."""
    from app.dependencies import utc_date
    from app.files import secret_key
    from app.waves.service import open_wave
    from app.waves.token_keys import fingerprint, public_key

    config = settings()
    with unit_of_work() as session:
        wave = open_wave(
            session,
            wave_id,
            utc_date(),
            early=early,
            secret=secret_key(config.secret_key_file),
            token_secret=lambda: secret_key(config.token_secret_file),
        )
        key = public_key(session, wave_id)
    say(
        f"wave {wave_id} is open: it takes responses until {wave.closes_at} (UTC) or "
        f"'monitor wave close {wave_id}'; codes: 'monitor codes issue {wave_id} --count N'"
    )
    if key is not None:
        say(
            f"  staff may also take part with a token from their intranet sign-in; the "
            f"wave's token key is {fingerprint(key)} (publish it, so that staff can check "
            "that everyone's page uses the same key)"
        )


@wave_app.command("close")
@handles_problems
def wave_close(wave_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Stop taking responses, seal them and compute the wave's estimates; print what
    the close left: respondents, response rate, figures shown and suppressed."""
    from app.closing.seal import scrub_dead_rows
    from app.closing.service import close_summary, close_wave
    from app.indicators.definitions import indicator_set

    config = settings()
    indicators = indicator_set(config.survey_defs)
    with configured_engine() as engine:
        with unit_of_work(engine) as session:
            wave = close_wave(
                session, wave_id, config.min_cell, indicators, config.protection, step=say
            )
        say("clearing the traces of the submissions from the database files")
        scrub_dead_rows(engine, say)
        with unit_of_work(engine) as session:
            summary = close_summary(session, wave_id)
    suppressed = ", ".join(f"{reason} {n:,}" for reason, n in sorted(summary.suppressed.items()))
    say(f"wave {wave_id} is closed")
    say(
        f"  respondents: {summary.respondents:,} of {summary.headcount:,} staff "
        f"(response rate {summary.rate:.1%})"
    )
    say(
        f"  figures: {summary.figures:,}; shown {summary.figures - summary.hidden:,}, "
        f"suppressed {summary.hidden:,}" + (f" ({suppressed})" if suppressed else "")
    )
    if wave.pilot:
        say("  a pilot: its figures are for analysts and admins only, never published")
    else:
        say(
            "  the figures are not public yet: analysts and admins see them (trends, "
            f"preview; 'monitor wave audit {wave_id}'); 'monitor wave publish {wave_id}' "
            "puts them on the dashboard"
        )


@wave_app.command("simulate")
@handles_problems
def wave_simulate(
    wave_id: Annotated[str, typer.Argument(metavar="ID")],
    responses: Annotated[int, typer.Option("--responses", help="How many responses", min=1)],
    seed: Annotated[int | None, typer.Option(help="Random seed, for a repeatable fill")] = None,
) -> None:
    """Fill an open pilot wave with synthetic, valid, routed responses spread over its
    frame (drills and benchmarks); refused for any other wave."""
    from app.demo.service import simulate_responses

    with unit_of_work() as session:
        filled = simulate_responses(
            session, wave_id, responses, seed, report=progress("simulated responses")
        )
    say(
        f"pilot wave {wave_id}: {filled.responses:,} simulated responses stored "
        f"({filled.validated:,} of them checked as real answers are)"
    )


@wave_app.command("publish")
@handles_problems
def wave_publish(wave_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Make a closed wave's figures public: the public trends and the dashboard."""
    from app.dependencies import utc_date
    from app.waves.service import publish_wave

    with unit_of_work() as session:
        wave, now = publish_wave(session, wave_id, utc_date())
    if now:
        say(
            f"wave {wave_id} is published: its figures are public from today "
            f"({wave.published_on}) on the dashboard and /api/v1/public/trends"
        )
    else:
        say(f"wave {wave_id} is already published (since {wave.published_on}); nothing changed")


@wave_app.command("list")
@handles_problems
def wave_list() -> None:
    """Every wave: id, questionnaire, dates, state, pilot, respondents (a table on stdout)."""
    from sqlalchemy.orm import sessionmaker

    from app.dependencies import utc_date
    from app.responses.day_counts import snapshot_day_counts, wave_counts
    from app.waves.service import all_waves

    today = utc_date()
    with configured_engine() as engine:
        with unit_of_work(engine) as session:
            waves = all_waves(session)
        # An open wave is counted at the start of the day, as its response rates are.
        factory = sessionmaker(engine, expire_on_commit=False)
        for wave in waves:
            if wave.status == "open":
                snapshot_day_counts(factory, wave.id, today)
        with unit_of_work(engine) as session:
            counts = wave_counts(session)

    def respondents(wave_id: str) -> str:
        count = counts.get(wave_id)
        if count is None:
            return "-"
        return f"{count.respondents:,}" + ("*" if count.as_of is not None else "")

    print_table(
        ("id", "questionnaire", "opens", "closes", "state", "pilot", "respondents", "published"),
        (
            (
                w.id,
                w.questionnaire_id,
                w.opens_at,
                w.closes_at,
                w.state,
                "yes" if w.pilot else "no",
                respondents(w.id),
                w.published_on or "-",
            )
            for w in waves
        ),
    )
    if not waves:
        say("no waves yet: 'monitor wave create ID --questionnaire QID --opens … --closes …'")
    elif any(w.status == "open" for w in waves):
        say(
            "* an open wave's respondents as counted at the start of today (UTC): responses "
            "of today count from tomorrow, so that no one can time a submission"
        )


@wave_app.command("audit")
@handles_problems
def wave_audit(
    wave_id: Annotated[str, typer.Argument(metavar="ID")],
    intervals: Annotated[
        bool,
        typer.Option(
            "--intervals/--estimates-only",
            help="Count only values of data sets that also reproduce every published "
            "interval and standard error, as closing does (the default); or attack the "
            "published estimates alone, as closing did before 2026-12 (faster)",
        ),
    ] = True,
) -> None:
    """Attack a closed wave's stored figures: per suppressed figure, the narrowest band
    the attack reached (tab-separated, to stdout); exit 1 if one breaks the promise."""
    from app.closing.audit import audit_wave
    from app.indicators.definitions import indicator_set

    config = settings()
    with unit_of_work() as session:
        rows = audit_wave(
            session,
            wave_id,
            indicator_set(config.survey_defs),
            config.min_cell,
            config.protection,
            intervals,
        )
    typer.echo("indicator\tbreakdown\tgroup\tlow\thigh\twidth\tcounts\tattack_low\tattack_high\tok")
    for r in rows:
        typer.echo(
            f"{r.indicator}\t{r.breakdown}\t{r.group}\t{r.low:.4f}\t{r.high:.4f}\t"
            f"{r.high - r.low:.4f}\t{r.counts}\t{r.attack_low:.4f}\t{r.attack_high:.4f}\t"
            f"{'yes' if r.ok else 'NO'}"
        )
    broken = [r for r in rows if not r.ok]
    say(f"{len(rows)} suppressed figures attacked; {len(broken)} narrower than the promise")
    if broken:
        raise fail(f"the promise does not hold for {len(broken)} figure(s) of wave {wave_id}")


@frame_app.command("load")
@handles_problems
def frame_load(
    wave_id: Annotated[str, typer.Argument(metavar="ID")],
    file: Annotated[
        Path, typer.Argument(metavar="FILE.csv", help="organisation,unit,function_group,headcount")
    ],
) -> None:
    """Load (or replace) the wave's population frame from a CSV file."""
    from app.waves.service import get_wave, load_frame

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {file}: {exc}") from None
    with unit_of_work() as session:
        rows = load_frame(session, wave_id, text)
        wave = get_wave(session, wave_id)
    next_step = (
        f"; next: 'monitor wave open {wave_id}' on {wave.opens_at}"
        if wave.status == "draft"
        else ""
    )
    say(
        f"frame of wave {wave_id}: {len(rows)} cells, {sum(r.headcount for r in rows)} staff"
        + next_step
    )


@codes_app.command("issue")
@handles_problems
def codes_issue(
    wave_id: Annotated[str, typer.Argument(metavar="ID")],
    count: Annotated[int, typer.Option("--count", help="How many codes", min=1, max=1_000_000)],
) -> None:
    """Print COUNT new single-use codes for the wave, one per line (only their hashes are kept)."""
    from app.waves.service import issue_codes

    with unit_of_work() as session:
        codes = issue_codes(session, wave_id, count, progress("codes"))
    sys.stdout.write("\n".join(codes) + "\n")
    say(f"{len(codes)} codes issued for wave {wave_id}")


# --- demo ------------------------------------------------------------------------------------


@app.command("demo")
@handles_problems
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same data")] = 2014,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="If the database already has waves, DELETE its SQLite file (all waves, "
            "responses, codes, keys, audit log) and build anew. Not for PostgreSQL: drop "
            "and recreate that database yourself.",
        ),
    ] = False,
    scale: Annotated[
        float, typer.Option(hidden=True, min=0.01, max=1.0, help="Shrink the frames (tests only)")
    ] = 1.0,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty",
            help="When the database already has waves, build nothing; if the demo built "
            "them, print new codes for its open wave (make run)",
        ),
    ] = False,
    url: Annotated[
        str, typer.Option(help="Where the server will be, for the message with the codes")
    ] = "http://127.0.0.1:8000/",
) -> None:
    """Build a demo database: 5 yearly waves (the first 4 closed and published, the last
    open), synthetic responses, codes.

    Uses MONITOR_DATABASE_URL (migrated first) and the definitions in MONITOR_SURVEY_DEFS.
    Refuses a database that already has waves, unless --replace or --if-empty. The
    responses are synthetic: their first wave reproduces the 2014 letter's figures.
    """
    from app.demo.service import build_demo, codes_for_existing_demo
    from app.dependencies import utc_date
    from app.files import secret_key

    config = settings()
    ensure_sqlite_folder(config.database_url)
    if if_empty and _has_waves():
        found = codes_for_existing_demo(config.database_url, utc_date())
        if found is None:
            say("the database already has waves the demo did not build: no demo, no codes")
            return
        wave, codes = found
        say("the demo is already built ('make clean' starts over)")
        if codes:
            _offer_codes(url, wave.id, codes)
        else:
            say(
                f"its wave {wave.id} took responses until {wave.closes_at}, so no code works "
                "now: 'make clean' and 'make run' build a new demo"
            )
        return
    result = build_demo(
        config.database_url,
        config.survey_defs,
        utc_date(),
        seed=seed,
        replace=replace,
        scale=scale,
        min_cell=config.min_cell,
        protection=config.protection,
        say=say,
        secret=secret_key(config.secret_key_file),
    )
    open_wave = result.waves[-1].plan
    say(
        f"demo ready in {result.seconds:.1f} s: {len(result.waves)} waves, "
        f"{sum(w.respondents for w in result.waves):,} responses; wave {open_wave.id} is open "
        f"until {open_wave.closes}"
    )
    if result.codes:
        _offer_codes(url, open_wave.id, result.codes)


def _offer_codes(url: str, wave_id: str, codes: list[str]) -> None:
    say(f"try one of these codes on {url} (wave {wave_id}; each works once):")
    for code in codes:
        say(f"  {code}")


def _has_waves() -> bool:
    from sqlalchemy import func, select

    from app.migrate import upgrade
    from app.waves.models import Wave

    upgrade(settings().database_url)
    with unit_of_work() as session:
        return bool(session.scalar(select(func.count()).select_from(Wave)))


retention_app = typer.Typer(help="Deleting what is no longer needed.", no_args_is_help=True)
app.add_typer(retention_app, name="retention")


@retention_app.command("apply")
@handles_problems
def retention_apply() -> None:
    """Delete unspent codes and resume data of closed waves."""
    from app.closing.service import apply_retention

    with unit_of_work() as session:
        result = apply_retention(session)
    say(
        f"deleted {result.codes} unspent codes and {result.resume_states} saved answers "
        "of closed waves"
    )


# --- server --------------------------------------------------------------------------------


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes, each on a socket of its own (PostgreSQL)")
    ] = 1,
) -> None:
    """Serve the API, the survey pages and the dashboard."""
    from app.server import serve as run_server

    settings()  # fail early, with a message, on a bad configuration
    run_server(host, port, workers)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
