"""`monitor keys …` and `monitor audit`: keys to stdout once, messages to stderr."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer

from app.auth.service import audit_log, create_key, list_keys, revoke_key
from app.console import handles_problems, say, unit_of_work

keys_app = typer.Typer(help="API keys for analysts and admins.", no_args_is_help=True)


class Role(StrEnum):
    analyst = "analyst"
    admin = "admin"


@keys_app.command("create")
@handles_problems
def keys_create(
    role: Annotated[
        Role, typer.Option(help="analyst: figures and trends; admin: also the analysis file")
    ],
    name: Annotated[str, typer.Option(help="Who holds the key (shown in the audit log)")],
) -> None:
    """Print a new API key alone on stdout; it is shown only this once."""
    with unit_of_work() as session:
        key = create_key(session, name, role.value)
    typer.echo(key)
    say(f"key '{name}' ({role.value}) created; only its hash is kept, so store it now")


@keys_app.command("list")
@handles_problems
def keys_list() -> None:
    """List the keys: name, role, created, last used and revoked (never the key)."""
    with unit_of_work() as session:
        keys = list_keys(session)
        lines = [
            "\t".join(
                (
                    k.name,
                    k.role,
                    _utc(k.created_at),
                    str(k.last_used_on or "never"),
                    _utc(k.revoked_at) if k.revoked_at else "",
                )
            )
            for k in keys
        ]
    typer.echo("\t".join(("name", "role", "created", "last used", "revoked")))
    for line in lines:
        typer.echo(line)


@keys_app.command("revoke")
@handles_problems
def keys_revoke(name: Annotated[str, typer.Argument(metavar="NAME")]) -> None:
    """Revoke a key: it stops working at once."""
    with unit_of_work() as session:
        revoke_key(session, name)
    say(f"key '{name}' is revoked")


@handles_problems
def audit() -> None:
    """Print the audit log of analyst and admin requests (time UTC, key, action, detail)."""
    with unit_of_work() as session:
        lines = [f"{_utc(e.at)}\t{e.actor}\t{e.action}\t{e.detail}" for e in audit_log(session)]
    for line in lines:
        typer.echo(line)


def _utc(moment: datetime) -> str:
    # SQLite gives back naive UTC datetimes; PostgreSQL aware ones in its own time zone.
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return f"{aware:%Y-%m-%dT%H:%M:%SZ}"
