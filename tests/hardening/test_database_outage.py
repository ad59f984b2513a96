"""A database that is briefly unreachable: 503 problem bodies, then recovery by itself."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from app.main import create_app
from tests.support import answers, open_mini_wave


class TcpRelay:
    """A local port that forwards to the database while `up`, and refuses when down."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = True
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self.connections.clear()

    def restore(self) -> None:
        self.up = True


def test_outage_gives_503_and_the_service_recovers(settings, db_url, factory):
    if db_url.startswith("sqlite"):
        pytest.skip("an unreachable server needs a database server")
    wave = open_mini_wave(factory, codes=3)
    url = make_url(db_url)
    relay = TcpRelay((url.host or "127.0.0.1", url.port or 5432))
    relayed = settings.model_copy(
        update={
            "database_url": url.set(host="127.0.0.1", port=relay.port).render_as_string(
                hide_password=False
            )
        }
    )
    post = f"/api/v1/waves/{wave.id}/responses"
    with TestClient(create_app(relayed), raise_server_exceptions=False) as client:
        assert (
            client.post(post, json={"code": wave.codes[0], "answers": answers()}).status_code == 201
        )
        relay.cut()
        down = client.post(post, json={"code": wave.codes[1], "answers": answers()})
        assert down.status_code == 503
        assert down.headers["content-type"] == "application/problem+json"
        relay.restore()
        assert (
            client.post(post, json={"code": wave.codes[1], "answers": answers()}).status_code == 201
        )
    relay.server.close()
