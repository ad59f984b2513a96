"""The API documentation, offline: /docs (Swagger UI) and /redoc (ReDoc), both drawn from
/openapi.json. FastAPI's own pages load their scripts from a CDN and are blank on an
intranet without internet; create_app turns them off (docs_url=None, redoc_url=None) and
these pages load the same scripts from the app (vendored in app/web/vendor, versions and
origin in its README).

Each page brings its own Content-Security-Policy (the security headers keep a response's
own): nothing from elsewhere, and of inline script only the page's own starter, named by
its hash. The pages are for analysts and operators; no respondent page links to them."""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from app.web.assets import asset

router = APIRouter(include_in_schema=False)

# Swagger UI and ReDoc set style attributes and style elements as they draw, and ReDoc
# runs its search in a worker made from a blob; everything else is this server's own.
POLICY = (
    "default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _own_policy(page: HTMLResponse) -> HTMLResponse:
    """The page with a policy that allows its own inline scripts, and only those."""
    scripts = INLINE_SCRIPT.findall(bytes(page.body).decode())
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
        for s in scripts
    ]
    page.headers["content-security-policy"] = POLICY.format(scripts=" ".join(["'self'", *hashes]))
    return page


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    return _own_policy(
        get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} – API (Swagger UI)",
            swagger_js_url=asset("swagger-ui-bundle.js"),
            swagger_css_url=asset("swagger-ui.css"),
            swagger_favicon_url=asset("favicon-32x32.png"),
            oauth2_redirect_url=None,
            # No online validator: it would send the schema to validator.swagger.io.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    return _own_policy(
        get_redoc_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} – API (ReDoc)",
            redoc_js_url=asset("redoc.standalone.js"),
            redoc_favicon_url=asset("favicon-32x32.png"),
            with_google_fonts=False,
        )
    )
