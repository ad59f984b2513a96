"""The application: routers, problem handlers, and the middleware every request passes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.orm import sessionmaker
from starlette.types import ASGIApp

from app.config import Settings, get_settings
from app.db import create_db_engine
from app.estimates.router import router as estimates_router
from app.exports.router import router as exports_router
from app.files import secret_key
from app.middleware import AccessLog, BodyLimit, NoTracebacks
from app.problems import install_problem_handlers
from app.questionnaires.router import router as questionnaires_router
from app.ratelimit import ClientAddresses, FailureLimit, RespondentRateLimit
from app.responses.intake import Intake
from app.responses.router import keys_router as answer_keys_router
from app.responses.router import router as responses_router
from app.waves.router import router as waves_router
from app.web.assets import router as assets_router
from app.web.dashboard import mount_dashboard
from app.web.docs import router as docs_router
from app.web.router import router as web_router
from app.web.security import SecurityHeaders


class MonitorApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own outermost layer, which raises every unhandled exception
        # again for the server to log with its traceback (app.middleware.NoTracebacks).
        return NoTracebacks(super().build_middleware_stack())


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

    app = MonitorApp(
        title="Staff victimisation monitor",
        version="1.0",
        summary="Anonymous periodic victimisation surveys of staff with a public task.",
        lifespan=lifespan,
        # Served offline by app.web.docs instead: FastAPI's own pages load from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.secret_key = secret_key(settings.secret_key_file)
    addresses = ClientAddresses(frozenset(settings.proxy_addresses))
    limits = (settings.code_failures_per_address, settings.code_failures_total, addresses)
    # Failed codes, and failed keys and tokens, are counted apart with the same limits.
    app.state.code_failures = FailureLimit(*limits)
    app.state.key_failures = FailureLimit(*limits)
    install_problem_handlers(app)

    @app.get("/api/v1/health", tags=["operations"])
    def health() -> dict[str, str]:
        """Liveness for the reverse proxy and load balancers; touches no database."""
        return {"status": "ok"}

    for router in (
        questionnaires_router,
        waves_router,
        responses_router,
        answer_keys_router,
        estimates_router,
        exports_router,
        web_router,
        assets_router,
        docs_router,
    ):
        app.include_router(router)
    mount_dashboard(app, settings)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limit:
        app.add_middleware(RespondentRateLimit, limit=settings.rate_limit, addresses=addresses)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(AccessLog)
    # Outermost: every response gets the headers.
    app.add_middleware(SecurityHeaders, connect_to=settings.identity_origins())
    _configure_logging(settings.log_level)
    return app


def _configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
