"""The dashboard's tests run against the demo: `build_demo` at a small scale, in the test's
own database. On SQLite the demo is built once per session and copied for every test (a
file copy instead of a build of some seconds); on PostgreSQL it is built in each test's
database.

The browser and its helpers are those of the survey tests (tests/web/conftest.py). Sync
Playwright runs only once per thread: when the survey tests' session browser is already
open, these tests use it; otherwise they start the same Chromium for this directory's
browser module and close it after, before the survey tests (later in the run) start theirs."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from app.config import Settings
from app.demo.service import build_demo
from tests.support import TODAY
from tests.web.conftest import (  # noqa: F401 (open_tab is a fixture)
    SCREENSHOTS,
    SHARED_BROWSER,
    Tab,
    launched_chromium,
    open_tab,
)

SURVEY_DEFS = Path(__file__).parents[2] / "survey_defs"
DEMO_SCALE = 0.1
MIN_CELL = 10


@pytest.fixture(scope="module")
def chromium(request: pytest.FixtureRequest) -> Iterator[Any]:
    running = getattr(request.session, SHARED_BROWSER, None)
    if running is not None and running.is_connected():
        yield running
        return
    yield from launched_chromium()


def _build(url: str) -> None:
    # Without the disclosure audit, which would hide most of a demo this small: the
    # dashboard draws what closing stored, hidden figures with their reasons.
    build_demo(url, SURVEY_DEFS, TODAY, scale=DEMO_SCALE, min_cell=MIN_CELL, protection=0, codes=0)


@pytest.fixture(scope="session")
def demo_sqlite(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    path = tmp_path_factory.mktemp("dashboard-demo") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    _build(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_url(db_url: str, request: pytest.FixtureRequest) -> str:
    """The test's database, holding the demo (five waves, the last one open)."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        shutil.copyfile(request.getfixturevalue("demo_sqlite"), url.database)
    else:
        _build(db_url)
    return db_url


@pytest.fixture
def settings(demo_url: str) -> Settings:
    return Settings(database_url=demo_url, survey_defs=SURVEY_DEFS, min_cell=MIN_CELL)
