"""`monitor serve --workers N`: every worker on a socket of its own, sharing new
connections; a dead worker replaced; SIGTERM stops them all; a taken port is reported."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import start_monitor

WORKERS = 2


def children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def wait_for(condition, seconds: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def answers_health(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def workers_of(supervisor: subprocess.Popen[bytes]) -> set[int]:
    """The worker processes (multiprocessing's spawn also starts a resource tracker); a
    process that ends while it is looked at is not one."""
    workers = set()
    for pid in children(supervisor.pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        except (FileNotFoundError, ProcessLookupError):
            continue
        if "resource_tracker" not in command:
            workers.add(pid)
    return workers


@pytest.fixture
def supervisor(db_url: str) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    if not db_url.startswith("sqlite"):
        pytest.skip("process handling: one backend is enough")
    process, port = start_monitor(db_url, "--workers", str(WORKERS), stderr=subprocess.PIPE)
    try:
        wait_for(lambda: len(workers_of(process)) == WORKERS)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")
def test_a_burst_of_connections_is_shared_by_the_workers(supervisor):
    process, port = supervisor
    workers = workers_of(process)

    def per_worker() -> list[int]:
        listing = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"sport = :{port}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return [len(re.findall(rf"pid={pid},", listing)) for pid in workers]

    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
    try:
        # A busy machine may take a while to let every worker accept its share.
        wait_for(lambda: sum(per_worker()) == 60)
        shared = per_worker()
    finally:
        for connection in connections:
            connection.close()
    assert min(shared) >= 10, shared  # uvicorn's shared socket gave one worker all


def test_a_dead_worker_is_replaced_and_sigterm_stops_every_worker(supervisor):
    process, port = supervisor
    first = workers_of(process)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(workers_of(process)) == WORKERS and victim not in workers_of(process))
    wait_for(lambda: answers_health(port))  # the new worker may still be starting
    workers = workers_of(process)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not answers_health(port)
    assert b"Traceback" not in process.stderr.read()  # type: ignore[union-attr]


def test_a_taken_port_is_reported_without_a_traceback(db_url):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            env={**os.environ, "MONITOR_DATABASE_URL": db_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
