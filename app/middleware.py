"""The middleware every request passes: a common shape for HTTP-only middleware, the body
limit, the access log, and the outermost layer that keeps tracebacks out of the logs."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.problems import internal_error, problem_response

access_log = logging.getLogger("app.access")


class HttpMiddleware:
    """ASGI middleware that acts on HTTP requests (`handle`) and passes anything else
    (lifespan, websockets) through untouched."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class NoTracebacks(HttpMiddleware):
    """The outermost layer (app.main `MonitorApp`). Starlette's ServerErrorMiddleware sends
    the 500 problem body (app.problems, which logs the exception's class and nothing else)
    and then raises the exception again, so that the server logs it with its traceback:
    "Exception in ASGI application". A traceback, and the message it ends with, may quote
    what a respondent sent (a KeyError on a made-up answer value), so the exception ends
    here. The request has been answered by then."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            if started:
                return  # answered, and logged by its class (app.problems)
            await internal_error(exc)(scope, receive, send)  # the 500 handler itself failed


class BodyLimit(HttpMiddleware):
    """413 for a request body over the limit, whether it says its length or streams."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        super().__init__(app)
        self.max_bytes = max_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            "Payload too large",
            "payload-too-large",
            f"The request body is larger than {self.max_bytes} bytes.",
        )
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class AccessLog(HttpMiddleware):
    """One line per request: method, path, status, duration. Never the client's address,
    headers or body; the code travels in bodies only, so it is never in a path."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            access_log.info(
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - started) * 1000,
            )
