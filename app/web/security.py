"""Security headers on every response of the app (a pure ASGI middleware).

The survey pages load nothing from elsewhere and carry no inline script or style, so the
policy is strict. A response that brings its own policy keeps it: only the API
documentation does (app/web/docs.py), which loads nothing from elsewhere either.

Responses are not stored by browsers or proxies (`Cache-Control: no-store`): survey
pages are used on shared computers. A response that sets its own header keeps it, and
the survey pages' own static files are cached (their URLs change with their content).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware import HttpMiddleware

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
CACHED_PREFIX = "/static/"

COMMON_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (
        b"permissions-policy",
        b"accelerometer=(), browsing-topics=(), camera=(), display-capture=(), "
        b"geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
)


class SecurityHeaders(HttpMiddleware):
    """`connect_to`: origins besides our own that page scripts may call (the intranet's
    sign-in endpoint, for tokens: MONITOR_IDENTITY_TOKEN_URL)."""

    def __init__(self, app: ASGIApp, connect_to: tuple[str, ...] = ()):
        super().__init__(app)
        policy = STRICT_CSP
        if connect_to:
            policy += "; connect-src 'self' " + " ".join(connect_to)
        self.policy = policy.encode()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        defaults = [*COMMON_HEADERS, (b"content-security-policy", self.policy)]
        if not path.startswith(CACHED_PREFIX):
            defaults.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in defaults if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
