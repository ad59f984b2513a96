"""Nothing a respondent typed or chose reaches a log, tracebacks included (CONTRACT
section 4): a real `monitor serve` whose intake breaks with an answer in the exception's
message logs the exception's class, never its message or a traceback."""

from __future__ import annotations

import signal
import subprocess

import httpx

from tests.support import answers, open_mini_wave, start_monitor

MARKER = "Mijn-teamleider-heet-Jansen-7f3a9c"
SECRET = "K7M2QX-9FHT4P-RW3ZNB"

# The server, with the intake's writer broken so that it raises an exception that quotes
# an answer (as a KeyError on a made-up answer value would). Then `monitor serve` as usual.
BROKEN_INTAKE = """
import app.responses.intake as intake

def broken(session, submissions, today):
    raise KeyError(submissions[0].answers["comment"])

intake.record = broken
from app.cli import main
main()
"""


def test_no_answer_and_no_traceback_reaches_the_server_log(db_url, factory):
    wave = open_mini_wave(factory, codes=1)
    server, port = start_monitor(
        db_url, launch=("-c", BROKEN_INTAKE), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        reply = httpx.post(
            f"{base}/api/v1/waves/{wave.id}/responses",
            json={"code": wave.codes[0], "answers": answers(comment=MARKER)},
        )
        queried = httpx.get(f"{base}/api/v1/waves/open?code={SECRET}")
    finally:
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["detail"] == "Something went wrong on our side. Nothing was stored."
    assert MARKER not in reply.text
    assert queried.status_code == 200
    log = (out + err).decode("utf-8", "replace")
    assert "unexpected error: KeyError" in log  # the class, for the operator
    assert MARKER not in log
    assert "Traceback" not in log and "Exception in ASGI application" not in log
    # The access log line: method, path, status; never a query string.
    assert f"POST /api/v1/waves/{wave.id}/responses 500" in log
    assert "GET /api/v1/waves/open 200" in log
    assert SECRET not in log and "?code" not in log
