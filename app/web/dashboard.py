"""The public dashboard at `/dashboard/`: the static files of `dashboards/` (plain HTML,
CSS and ES modules; no build step), served as they are.

The dashboard reads the public trend API only (see dashboards/README.md). Its files get
`Cache-Control: no-cache`: browsers keep them but ask again every time, and the ETag and
Last-Modified that come with every file make the answer a cheap 304 when nothing changed
(the file names do not change with their content, so they cannot be cached for good as
the survey's are). Only the dashboard's own web files are served; anything else in the
folder (its README, dotfiles) is a 404, and so is every method but GET and HEAD. The
security headers and the strict CSP come from app/web/security.py like everywhere else.

`MONITOR_DASHBOARD_DIR` (Settings.dashboard_dir, default `dashboards`) says where the
files are; a relative path that does not exist from the working directory is looked up
in the project folder, so `monitor serve` works from anywhere in a source checkout.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

from app.config import Settings

PREFIX = "/dashboard"
PROJECT = Path(__file__).resolve().parents[2]
CACHE_CONTROL = "no-cache"
# The base styles the survey pages share with the dashboard. They live in the dashboard's
# folder, so that it can be hosted on its own; the survey pages are served this same file
# (at /static/base.css, router.py), from the project folder whatever MONITOR_DASHBOARD_DIR says.
BASE_CSS = PROJECT / "dashboards" / "base.css"
# The only files served, with their content types (not left to the system's mime table).
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}


def dashboard_dir(settings: Settings) -> Path:
    configured = Path(settings.dashboard_dir)
    if configured.is_absolute() or configured.is_dir():
        return configured
    return PROJECT / configured


class DashboardFiles(StaticFiles):
    """StaticFiles (index.html for `/dashboard/`, a redirect for `/dashboard`, ETag and
    304s, no way out of the folder) with fixed content types and a cache policy."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        name = PurePosixPath(path.replace(os.sep, "/"))
        if path not in ("", ".") and (
            name.suffix.lower() not in MEDIA_TYPES
            or any(part.startswith(".") for part in name.parts)
        ):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        media_type = MEDIA_TYPES.get(Path(full_path).suffix.lower(), "application/octet-stream")
        response = FileResponse(
            full_path,
            status_code=status_code,
            stat_result=stat_result,
            media_type=media_type,
            headers={"Cache-Control": CACHE_CONTROL},
        )
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response


def mount_dashboard(app: FastAPI, settings: Settings) -> None:
    """Serve the dashboard at /dashboard/ (a 404 for its files if the folder is missing)."""
    files = DashboardFiles(directory=dashboard_dir(settings), html=True, check_dir=False)
    app.mount(PREFIX, files, name="dashboard")
