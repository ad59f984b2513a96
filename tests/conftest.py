"""Every database test runs on SQLite and, when MONITOR_TEST_POSTGRES_URL is set, on
PostgreSQL. Each test gets a fresh database copied from a template that Alembic
migrated once per run (migrations are the only way the schema is made, here too)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings
from app.db import create_db_engine, session_scope
from app.main import create_app
from app.migrate import upgrade
from tests.support import FIXTURES

POSTGRES_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if POSTGRES_URL else [])


@pytest.fixture(autouse=True)
def _secret_key_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Commands run in-process (`monitor wave open`, `monitor demo`) make and read the
    server's secret key: in a folder of the test's, never in the checkout's var/."""
    folder = tmp_path_factory.mktemp("secret")
    monkeypatch.setenv("MONITOR_SECRET_KEY_FILE", str(folder / "secret.key"))


def _postgres_admin() -> object:
    assert POSTGRES_URL
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        message = f"PostgreSQL at MONITOR_TEST_POSTGRES_URL is unreachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return engine


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[tuple[object, str]]:
    admin = _postgres_admin()
    name = f"monitor_template_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    yield admin, name
    with admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()  # type: ignore[attr-defined]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, fully migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "monitor.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin, template = request.getfixturevalue("postgres_template")
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:  # type: ignore[attr-defined]
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        survey_defs=FIXTURES / "defs",
        min_cell=10,
        secret_key_file=tmp_path / "secret.key",
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[object]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: object) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)  # type: ignore[call-overload]


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work that commits at the end of the test's block, like the app's."""
    with session_scope(factory) as session:
        yield session


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The app served by a real uvicorn on a free local port; yields its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
