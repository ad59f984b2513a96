"""The static files the app serves at /static/: the survey pages' own (app/web/static),
the base styles they share with the dashboard, and the vendored scripts and styles of the
API documentation (app/web/vendor, see its README).

Each is served under a URL that changes with its content (`?v=` and a hash), so browsers
may keep it for good; every other response is no-store (security.py)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from app.problems import NotFound
from app.web.dashboard import BASE_CSS

HERE = Path(__file__).parent
VENDOR = HERE / "vendor"
SWAGGER_UI = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
REDOC = ("redoc.standalone.js",)
FILES = {
    p.name: p
    for p in (
        *(HERE / "static").glob("*.*"),
        BASE_CSS,
        *(VENDOR / "swagger_ui" / name for name in SWAGGER_UI),
        *(VENDOR / "redoc" / name for name in REDOC),
    )
}
VERSIONS = {name: hashlib.sha256(p.read_bytes()).hexdigest()[:12] for name, p in FILES.items()}

router = APIRouter(include_in_schema=False)


def asset(name: str) -> str:
    """The URL of a static file, which changes with its content."""
    return f"/static/{name}?v={VERSIONS[name]}"


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    if name not in FILES:
        raise NotFound(f"no static file {name}")
    return FileResponse(
        FILES[name], headers={"Cache-Control": "public, max-age=31536000, immutable"}
    )
