"""The application: routers, problem handlers, and the middleware every request passes."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.orm import sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings, get_settings
from app.db import create_db_engine
from app.estimates.router import router as estimates_router
from app.exports.router import router as exports_router
from app.problems import install_problem_handlers, problem_response
from app.questionnaires.router import router as questionnaires_router
from app.ratelimit import RespondentRateLimit
from app.responses.intake import Intake
from app.responses.router import router as responses_router
from app.waves.router import router as waves_router
from app.web.dashboard import mount_dashboard
from app.web.router import router as web_router
from app.web.security import SecurityHeaders

access_log = logging.getLogger("app.access")


class BodyLimit:
    """413 for a request body over the limit, whether it says its length or streams."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


class AccessLog:
    """One line per request: method, path, status, duration. Never the client's address,
    headers or body; the code travels in bodies only, so it is never in a path."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.database_url)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker(engine, expire_on_commit=False)
        app.state.intake = Intake(app.state.sessionmaker)
        try:
            yield
        finally:
            app.state.intake.close()
            engine.dispose()

    app = FastAPI(
        title="Staff victimisation monitor",
        version="1.0",
        summary="Anonymous periodic victimisation surveys of staff with a public task.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_problem_handlers(app)

    @app.get("/api/v1/health", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness for the reverse proxy and load balancers; touches no database."""
        return {"status": "ok"}

    for router in (
        questionnaires_router,
        waves_router,
        responses_router,
        estimates_router,
        exports_router,
        web_router,
    ):
        app.include_router(router)
    mount_dashboard(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limit:
        proxies = frozenset(settings.proxy_addresses)
        app.add_middleware(RespondentRateLimit, limit=settings.rate_limit, proxies=proxies)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AccessLog)
    app.add_middleware(SecurityHeaders)  # outermost: every response gets the headers
    _configure_logging(settings.log_level)
    return app


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
