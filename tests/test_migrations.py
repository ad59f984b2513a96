"""Migrations are the schema: they match the models and build an empty database."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.migrate import alembic_config
from app.models import Base
from tests.conftest import BACKENDS, POSTGRES_URL


def test_models_match_the_migrations(db_url):
    command.check(alembic_config(db_url))  # raises when autogenerate would find a difference


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sub' / 'empty.db'}"  # not even its folder exists
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"monitor_empty_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_monitor_db_upgrade_builds_an_empty_database(empty_db_url, monkeypatch):
    monkeypatch.setenv("MONITOR_DATABASE_URL", empty_db_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.stderr
    engine = create_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == set(Base.metadata.tables) | {
            "alembic_version"
        }
    finally:
        engine.dispose()
    command.check(alembic_config(empty_db_url))
    command.downgrade(alembic_config(empty_db_url), "base")
    command.upgrade(alembic_config(empty_db_url), "head")
