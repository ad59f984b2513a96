"""API keys: created once, only hashed, checked on every request, revoked at once; every
analyst and admin request in the audit log."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.auth.models import ApiKey, AuditEvent
from app.auth.service import UNKNOWN_KEY, create_key, revoke_key
from app.cli import app
from app.config import get_settings
from app.db import session_scope
from app.dependencies import utc_date
from app.problems import Conflict, InvalidInput, NotFound
from tests.builders import bearer
from tests.support import FIXTURES

TRENDS = "/api/v1/trends/threat"
ANALYSIS = "/api/v1/waves/2026/analysis-file"


@pytest.fixture
def monitor(db_url, tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "defs", tmp_path / "defs")
    monkeypatch.setenv("MONITOR_DATABASE_URL", db_url)
    monkeypatch.setenv("MONITOR_SURVEY_DEFS", str(tmp_path / "defs"))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args), catch_exceptions=False)
    get_settings.cache_clear()


def test_keys_through_the_cli(monitor, factory):
    created = monitor("keys", "create", "--role", "analyst", "--name", "hr-anna")
    assert created.exit_code == 0, created.stderr
    key = created.stdout.strip()
    assert created.stdout == key + "\n" and len(key) >= 43  # 256 random bits, alone on stdout
    assert "only its hash" in created.stderr
    with factory() as session:
        stored = session.get(ApiKey, "hr-anna")
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.role == "analyst" and stored.last_used_on is None
    assert monitor("keys", "create", "--role", "admin", "--name", "hr-anna").exit_code == 1
    assert monitor("keys", "create", "--role", "boss", "--name", "x").exit_code == 2  # not a role
    listed = monitor("keys", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split("\t") == ["name", "role", "created", "last used", "revoked"]
    assert lines[1].split("\t")[:2] == ["hr-anna", "analyst"] and lines[1].split("\t")[3] == "never"
    assert key not in listed.stdout and stored.key_hash not in listed.stdout
    assert monitor("keys", "revoke", "hr-anna").exit_code == 0
    assert monitor("keys", "list").stdout.splitlines()[1].split("\t")[4] != ""
    again = monitor("keys", "revoke", "hr-anna")
    assert again.exit_code == 1 and "already revoked" in again.stderr
    assert "no key named" in monitor("keys", "revoke", "nobody").stderr


def test_key_rules(session):
    with pytest.raises(InvalidInput):
        create_key(session, "x", "boss")
    with pytest.raises(InvalidInput):
        create_key(session, "two words", "analyst")
    create_key(session, "a", "analyst")
    with pytest.raises(Conflict):
        create_key(session, "a", "admin")
    with pytest.raises(NotFound):
        revoke_key(session, "b")


def test_without_a_valid_key_401(client, factory):
    for headers in (
        {},
        {"Authorization": "Bearer nonsense-key"},
        {"Authorization": "Basic dXNlcjpwdw=="},
    ):
        reply = client.get(TRENDS, headers=headers)
        assert reply.status_code == 401
        assert reply.headers["www-authenticate"] == "Bearer"
        assert reply.headers["content-type"] == "application/problem+json"
        assert reply.json()["status"] == 401
    # A key nobody issued is recorded as a failure, without the key or its hash; a request
    # that presents no bearer credentials attempted nothing.
    assert events(factory) == [
        (UNKNOWN_KEY, "GET /api/v1/trends/{indicator}", f"{TRENDS} (refused: unknown key)")
    ]
    digest = hashlib.sha256(b"nonsense-key").hexdigest()
    assert not any("nonsense" in v or digest[:12] in v for row in events(factory) for v in row)


def events(factory) -> list[tuple[str, str, str]]:
    with factory() as session:
        return [
            (e.actor, e.action, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def test_roles(client, factory):
    analyst, admin = bearer(factory, "analyst"), bearer(factory, "admin")
    assert client.get(TRENDS, headers=analyst).status_code == 200
    assert client.get(TRENDS, headers=admin).status_code == 200  # admins may do what analysts may
    refused = client.get(ANALYSIS, headers=analyst)
    assert (
        refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    )
    assert client.get(ANALYSIS, headers=admin).status_code == 404  # allowed; no such wave


def test_a_revoked_key_stops_at_once(client, factory):
    headers = bearer(factory, "analyst", "leaver")
    assert client.get(TRENDS, headers=headers).status_code == 200
    with session_scope(factory) as session:
        revoke_key(session, "leaver")
    assert client.get(TRENDS, headers=headers).status_code == 401
    assert events(factory)[-1] == (
        "leaver",
        "GET /api/v1/trends/{indicator}",
        f"{TRENDS} (refused: revoked key)",
    )


def test_the_audit_command_prints_failures(client, factory, monitor):
    assert client.get(TRENDS, headers={"Authorization": "Bearer made-up"}).status_code == 401
    printed = monitor("audit").stdout.splitlines()
    assert [line.split("\t")[1:] for line in printed] == [
        [UNKNOWN_KEY, "GET /api/v1/trends/{indicator}", f"{TRENDS} (refused: unknown key)"]
    ]
    assert "made-up" not in monitor("audit").stdout


def test_last_used_is_a_day_and_every_request_is_audited(client, factory, monitor):
    headers = bearer(factory, "analyst", "anna")
    admin = bearer(factory, "admin", "root")
    assert client.get(TRENDS + "?by=unit", headers=headers).status_code == 200
    assert client.get(ANALYSIS, headers=headers).status_code == 403
    assert client.get(ANALYSIS, headers=admin).status_code == 404  # recorded though it failed
    with factory() as session:
        assert session.get(ApiKey, "anna").last_used_on == utc_date()
        events = [
            (e.actor, e.action, e.detail)
            for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
    assert events == [
        ("anna", "GET /api/v1/trends/{indicator}", "/api/v1/trends/threat?by=unit"),
        ("anna", "GET /api/v1/waves/{wave_id}/analysis-file", f"{ANALYSIS} (refused: admin only)"),
        ("root", "GET /api/v1/waves/{wave_id}/analysis-file", ANALYSIS),
    ]
    printed = monitor("audit").stdout.splitlines()
    assert len(printed) == 3
    assert printed[0].split("\t")[1:] == [
        "anna",
        "GET /api/v1/trends/{indicator}",
        "/api/v1/trends/threat?by=unit",
    ]
    assert printed[0].split("\t")[0].endswith("Z")
