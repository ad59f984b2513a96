"""What every `monitor` command shares: messages to stderr, expected failures as a message
and exit 1 (never a traceback), the configuration, and a unit of work on the database."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, get_settings
from app.db import create_db_engine, session_scope
from app.problems import ProblemError

F = TypeVar("F", bound=Callable[..., Any])


def say(message: str) -> None:
    typer.echo(message, err=True)


def progress(label: str) -> Callable[[int, int], None]:
    """A reporter for long work, `progress(done, total)`: a line on stderr at every tenth
    done (`codes: 40% (26,000 of 65,000)`), short enough for a log; silent when the work
    is done in one step."""
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        tenth = 10 * done // total
        if shown == -1 and done == total:
            return
        if tenth > shown:
            shown = tenth
            say(f"{label}: {100 * done // total}% ({done:,} of {total:,})")

    return report


def print_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Rows as aligned columns on stdout, for people (two spaces between columns)."""
    lines = [[str(cell) for cell in row] for row in (header, *rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        typer.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )


def fail(message: str) -> typer.Exit:
    say(f"error: {message}")
    return typer.Exit(1)


def handles_problems(command: F) -> F:
    """Turn every expected failure into a message on stderr and exit 1 (no traceback)."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ProblemError as exc:
            say(f"error: {exc.detail}")
            for error in exc.errors:
                say(f"  {error.loc}: {error.message} [{error.code}]")
            raise typer.Exit(1) from None
        except OperationalError as exc:
            raise fail(f"cannot use the database: {type(exc.orig).__name__}: {exc.orig}") from None
        except ProgrammingError as exc:
            raise fail(
                f"the database is not ready ({type(exc.orig).__name__}); "
                "run 'monitor db upgrade' first"
            ) from None

    return wrapper  # type: ignore[return-value]


def settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"MONITOR_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"invalid configuration: {problems}") from None


@contextmanager
def configured_engine() -> Iterator[Engine]:
    url = settings().database_url
    ensure_sqlite_folder(url)
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session on the configured database that commits when the block succeeds."""
    if engine is not None:
        with session_scope(sessionmaker(engine, expire_on_commit=False)) as session:
            yield session
        return
    with configured_engine() as own_engine, unit_of_work(own_engine) as session:
        yield session


def ensure_sqlite_folder(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)


def parse_date(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} must be a date like 2026-03-01, not '{value}'") from None
