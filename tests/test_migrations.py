"""Migrations are the schema: they match the models and build an empty database."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import app
from app.config import get_settings
from app.console import ensure_sqlite_folder
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


def test_waves_closed_before_publication_existed_stay_public(empty_db_url):
    """0007: a wave closed before `monitor wave publish` existed was public from its
    close; it stays so (published on its closing date), and no wave becomes a pilot."""
    ensure_sqlite_folder(empty_db_url)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0005")
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO questionnaire_version (id, content_hash, definition, published_at)"
                    " VALUES ('mini-2026.1', 'sha256:x', '{}', CURRENT_TIMESTAMP)"
                )
            )
            for wave, status in (("2025", "closed"), ("2026", "open"), ("2027", "draft")):
                connection.execute(
                    text(
                        "INSERT INTO wave (id, title, questionnaire_id, opens_at, closes_at,"
                        " status) VALUES (:id, 't', 'mini-2026.1', :opens, :closes, :status)"
                    ),
                    {
                        "id": wave,
                        "opens": f"{wave}-03-01",
                        "closes": f"{wave}-04-15",
                        "status": status,
                    },
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, pilot, published_on FROM wave ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [(wave, bool(pilot), str(day) if day else None) for wave, pilot, day in rows] == [
        ("2025", False, "2025-04-15"),
        ("2026", False, None),
        ("2027", False, None),
    ]


def test_responses_stored_as_json_are_coded_and_back(empty_db_url):
    """0011: responses stored as JSON become coded records that give back the same answers
    (free text included); downgrading gives back the JSON."""
    from app.questionnaires.loader import canonical_json
    from app.responses.coded import decode
    from tests.support import answers, load_fixture

    questionnaire = load_fixture()
    stored = [
        answers(),
        answers(threat="once", threat_count=7, comment="Één 👮 toelichting"),
        answers(organisation="om", unit="om-ams", function_group="om-ovj", threat="no"),
    ]
    ensure_sqlite_folder(empty_db_url)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0007")
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO questionnaire_version (id, content_hash, definition, published_at)"
                    " VALUES (:id, 'sha256:x', :definition, CURRENT_TIMESTAMP)"
                ),
                {"id": questionnaire.id, "definition": canonical_json(questionnaire)},
            )
            connection.execute(
                text(
                    "INSERT INTO wave (id, title, questionnaire_id, opens_at, closes_at, status)"
                    " VALUES ('2026', 't', :q, '2026-03-01', '2026-04-15', 'open')"
                ),
                {"q": questionnaire.id},
            )
            for i, given in enumerate(stored):
                connection.execute(
                    text("INSERT INTO response (id, wave_id, answers) VALUES (:id, '2026', :a)"),
                    {"id": f"{i:032x}", "a": json.dumps(given)},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, coded, free_text FROM response ORDER BY id")
            ).all()
        assert [row.id for row in rows] == [f"{i:032x}" for i in range(3)]
        assert decode(questionnaire, [(r.coded, r.free_text) for r in rows]) == stored
        command.downgrade(config, "0007")
        with engine.connect() as connection:
            back = connection.execute(text("SELECT answers FROM response ORDER BY id")).all()
        assert [json.loads(a) for (a,) in back] == stored
    finally:
        engine.dispose()


def test_responses_move_into_a_partition_per_wave_and_back(empty_db_url):
    """0012: on PostgreSQL the responses of every wave move into the wave's own partition
    of `response`, unchanged, and the old table goes; downgrading gives back one table.
    SQLite keeps its table as it was."""
    from app.waves.partitions import SCHEMA

    ensure_sqlite_folder(empty_db_url)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "0011")
    waves = {"2025": "closed", "2026": "open", "2027": "draft"}
    stored = [
        (wave, uuid.uuid4().hex, bytes([n, 255 - n, 0]), f"tekst {n}" if n % 2 else None)
        for n, wave in enumerate(["2025"] * 5 + ["2026"] * 3)
    ]
    engine = create_engine(empty_db_url)
    postgres = engine.dialect.name == "postgresql"
    everything = "SELECT wave_id, id, coded, free_text FROM response ORDER BY wave_id, id"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO questionnaire_version (id, content_hash, definition, published_at)"
                    " VALUES ('mini-2026.1', 'sha256:x', '{}', CURRENT_TIMESTAMP)"
                )
            )
            for wave, status in waves.items():
                connection.execute(
                    text(
                        "INSERT INTO wave (id, title, questionnaire_id, opens_at, closes_at,"
                        " status) VALUES (:id, 't', 'mini-2026.1', '2026-03-01', '2026-04-15',"
                        " :status)"
                    ),
                    {"id": wave, "status": status},
                )
            for wave, row_id, coded, free_text in stored:
                connection.execute(
                    text("INSERT INTO response VALUES (:w, :id, :c, :t)"),
                    {"w": wave, "id": row_id, "c": coded, "t": free_text},
                )
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert [tuple(r) for r in connection.execute(text(everything))] == sorted(stored)
            if postgres:
                tables = connection.execute(
                    text(
                        "SELECT wave_id, tableoid::regclass::text FROM response "
                        "GROUP BY wave_id, tableoid ORDER BY wave_id"
                    )
                ).all()
                assert [tuple(t) for t in tables] == [
                    (wave, f'{SCHEMA}."{wave}"') for wave in ("2025", "2026")
                ]
                partitions = connection.execute(
                    text("SELECT count(*) FROM pg_inherits WHERE inhparent = 'response'::regclass")
                ).scalar_one()
                assert partitions == len(waves)  # the draft's too, ready for its responses
            assert "response_old" not in inspect(connection).get_table_names()
        command.check(config)
        command.downgrade(config, "0011")
        with engine.connect() as connection:
            assert [tuple(r) for r in connection.execute(text(everything))] == sorted(stored)
            kind = connection.execute(
                text("SELECT relkind FROM pg_class WHERE oid = 'response'::regclass")
                if postgres
                else text("SELECT 'r'")
            ).scalar_one()
            assert kind == "r"
            assert SCHEMA not in inspect(connection).get_schema_names()
    finally:
        engine.dispose()
