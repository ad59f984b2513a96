"""Rate limits on what respondents send, without keeping who they are.

A sliding window per client address, held in this process's memory only: the address is
keyed through a hash with a random per-process salt, and a key is forgotten as soon as its
window has passed. Nothing about it is logged or stored in the database.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque

from starlette.types import ASGIApp, Receive, Scope, Send

from app.middleware import HttpMiddleware
from app.problems import problem_response

LIMITED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class SlidingWindow:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def allow(self, key: str, now: float) -> float:
        """0 when allowed (and counted), else the seconds until the next event is allowed."""
        with self._lock:
            self._sweep(now)
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) >= self.limit:
                return events[0] + self.window - now
            events.append(now)
            return 0.0

    def _sweep(self, now: float) -> None:
        # Forget every key whose window has passed, so no address outlives its window.
        if now - self._last_sweep < self.window:
            return
        self._last_sweep = now
        cutoff = now - self.window
        stale = [k for k, events in self._events.items() if not events or events[-1] <= cutoff]
        for key in stale:
            del self._events[key]

    def keys(self) -> int:
        return len(self._events)


class RespondentRateLimit(HttpMiddleware):
    """429 for a client address that sends more than `limit` writes per minute without an
    API key (respondents; analysts and admins are identified by their keys instead)."""

    def __init__(
        self, app: ASGIApp, limit: int, window: float = 60.0, proxies: frozenset[str] = frozenset()
    ):
        super().__init__(app)
        self.window = SlidingWindow(limit, window)
        self.proxies = proxies
        self._salt = os.urandom(16)

    def _client_key(self, scope: Scope) -> str:
        address = (scope.get("client") or ("unknown", 0))[0]
        if address in self.proxies:
            # Behind our own reverse proxy: the last address it appended is the client's.
            forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
            if forwarded.strip():
                address = forwarded.split(",")[-1].strip()
        return hashlib.blake2b(address.encode(), key=self._salt, digest_size=16).hexdigest()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in LIMITED_METHODS or b"authorization" in dict(scope["headers"]):
            await self.app(scope, receive, send)
            return
        wait = self.window.allow(self._client_key(scope), time.monotonic())
        if wait:
            seconds = max(1, round(wait))
            response = problem_response(
                429,
                "Too many requests",
                "too-many-requests",
                f"Too many requests from this address; please try again in {seconds} seconds.",
                headers={"Retry-After": str(seconds)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
