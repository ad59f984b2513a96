"""What the benchmarks share: fresh databases, free ports and server processes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import free_port  # one helper for the tests and the benchmarks

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database(backend: str, workdir: Path, label: str) -> Iterator[str]:
    """A fresh, migrated database of the backend; dropped (or deleted) afterwards."""
    if backend == "sqlite":
        path = workdir / f"{label}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for leftover in (path, path.with_name(path.name + "-journal")):
                leftover.unlink(missing_ok=True)
        return
    admin_url = os.environ.get("MONITOR_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"monitor_bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def copy_of(backend: str, url: str, workdir: Path, label: str) -> Iterator[str]:
    """A copy of the database `url` as it is now (no connection may be open to it on
    PostgreSQL); dropped (or deleted) afterwards."""
    if backend == "sqlite":
        path = workdir / f"{label}.db"
        shutil.copyfile(make_url(url).database or "", path)
        try:
            yield f"sqlite:///{path}"
        finally:
            path.unlink(missing_ok=True)
        return
    source = make_url(url)
    admin = create_engine(source.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"monitor_bench_{label}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"'))
    try:
        yield source.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serving(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """The server process `command` on `port`, from the moment it answers until SIGTERM
    has stopped it; yields its base URL. Its output goes to `log`."""
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as sink:
        process = subprocess.Popen(
            command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/api/v1/health", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise SystemExit(f"server did not start:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def monitor_server(url: str, workers: int, log: Path) -> Iterator[str]:
    """`monitor serve` on the database `url`, without rate limits (one client address
    plays every respondent); yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "MONITOR_DATABASE_URL": url,
        "MONITOR_RATE_LIMIT": "0",
        "MONITOR_LOG_LEVEL": "warning",
    }
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    with serving([*command, "--workers", str(workers)], env, port, log) as base:
        yield base
