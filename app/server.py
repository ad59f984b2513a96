"""`monitor serve`: uvicorn, in one process or in several worker processes.

uvicorn's own workers share one listening socket, and the first to wake accepts every
connection that is waiting: when 200 respondents (or a reverse proxy's connection pool)
connect at once, one worker gets all 200 and the others idle (measured with
`bench/load.py`). Here each worker listens on a socket of its own on the same address
(SO_REUSEPORT), and the kernel spreads new connections over them.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

MONITOR = "app.main:create_app"


def config(host: str, port: int, app: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=port,
        access_log=False,  # our own access log leaves out client addresses (app.middleware)
        proxy_headers=False,
    )


def serve(host: str, port: int, workers: int, app: str = MONITOR) -> None:
    """Serve the app that the factory `app` makes (an import string; the benchmarks serve
    a bare ASGI app the same way)."""
    if workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.Server(config(host, port, app)).run()
        return
    # Bound here, before any worker starts: a taken port is reported once, and a worker
    # that dies is replaced on the same socket.
    sockets = [listening_socket(host, port) for _ in range(workers)]
    Supervisor(host, port, app, sockets).run()


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise SystemExit(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def run_worker(host: str, port: int, app: str, sock: socket.socket) -> None:
    uvicorn.Server(config(host, port, app)).run(sockets=[sock])


class Supervisor:
    """Starts one worker per socket, replaces a worker that dies, and on SIGTERM or
    SIGINT stops them all, each finishing the requests it has (uvicorn's graceful stop)."""

    def __init__(self, host: str, port: int, app: str, sockets: list[socket.socket]):
        self.host, self.port, self.app, self.sockets = host, port, app, sockets
        self.context = multiprocessing.get_context("spawn")
        self.workers: list[BaseProcess] = []
        self.stopping = False

    def start(self, sock: socket.socket) -> BaseProcess:
        worker = self.context.Process(
            target=run_worker, args=(self.host, self.port, self.app, sock), name="monitor-worker"
        )
        worker.start()
        return worker

    def stop(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        self.workers = [self.start(sock) for sock in self.sockets]
        print(
            f"serving on http://{self.host}:{self.port} with {len(self.workers)} workers",
            file=sys.stderr,
        )
        while not self.stopping:
            for i, worker in enumerate(self.workers):
                if not worker.is_alive() and not self.stopping:
                    print(
                        f"worker {worker.pid} stopped (exit {worker.exitcode}); starting another",
                        file=sys.stderr,
                    )
                    self.workers[i] = self.start(self.sockets[i])
            time.sleep(0.5)
        for worker in self.workers:
            worker.join()
        for sock in self.sockets:
            sock.close()
