"""Limits on failed attempts at a secret, and an optional limit on respondents' writes,
without keeping who anyone is.

Sliding windows held in this process's memory only: a client address is keyed through a
hash with a random per-process salt, and a key is forgotten as soon as its window has
passed. Nothing about it is logged or stored in the database.

What is limited (CONTRACT section 4):
- *Failed* code attempts: a respondent route refusing a code (unknown, of another wave, or
  spent; `Forbidden`), per client address and from all addresses together. Once either
  count is full, every further attempt is refused (429, Retry-After) until the window has
  passed, before its code is looked at: refusing only the failures would still tell a
  guesser which guess was right. Valid submissions are never counted, so by default a
  whole intranet behind one proxy address may submit as fast as it likes.
- Failed API keys and tokens, alike but counted apart (app.auth.dependencies): those are
  checked first, so a valid key is never refused, whatever its address did. A valid key
  is the only exemption; a made-up Authorization header exempts from nothing (the
  respondent routes never read it).
- Optionally (`MONITOR_RATE_LIMIT`, off by default), all writes per client address.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from starlette.types import ASGIApp, Receive, Scope, Send

from app.middleware import HttpMiddleware
from app.problems import Forbidden, TooManyRequests

LIMITED_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
FAILURE_WINDOW = 600.0  # seconds: failed attempts count for 10 minutes


class SlidingWindow:
    """At most `limit` events per `window` seconds per key."""

    def __init__(self, limit: int, window: float):
        self.limit = limit
        self.window = window
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self._last_sweep = 0.0

    def wait(self, key: str, now: float) -> float:
        """0 when `key` may have another event now, else the seconds until it may."""
        with self._lock:
            return self._wait(self._recent(key, now), now)

    def add(self, key: str, now: float) -> None:
        with self._lock:
            self._recent(key, now).append(now)

    def allow(self, key: str, now: float) -> float:
        """0 when allowed (and counted), else the seconds until the next event is allowed."""
        with self._lock:
            events = self._recent(key, now)
            wait = self._wait(events, now)
            if not wait:
                events.append(now)
            return wait

    def _wait(self, events: deque[float], now: float) -> float:
        return events[0] + self.window - now if len(events) >= self.limit else 0.0

    def _recent(self, key: str, now: float) -> deque[float]:
        self._sweep(now)
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

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


class ClientAddresses:
    """The client's address as a salted hash: behind our own reverse proxies (`proxies`)
    the last address they appended to X-Forwarded-For, else the connection's."""

    def __init__(self, proxies: frozenset[str] = frozenset()):
        self.proxies = proxies
        self._salt = os.urandom(16)

    def key(self, scope: Scope) -> str:
        address = (scope.get("client") or ("unknown", 0))[0]
        if address in self.proxies:
            forwarded = dict(scope["headers"]).get(b"x-forwarded-for", b"").decode("latin-1")
            if forwarded.strip():
                address = forwarded.split(",")[-1].strip()
        return hashlib.blake2b(address.encode(), key=self._salt, digest_size=16).hexdigest()


class FailureLimit:
    """At most `per_address` failed attempts per client address and `total` from all
    addresses together per `window` seconds (0 switches either off)."""

    def __init__(
        self,
        per_address: int,
        total: int,
        addresses: ClientAddresses,
        window: float = FAILURE_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.addresses = addresses
        self.clock = clock
        self._per_address = SlidingWindow(per_address, window) if per_address else None
        self._total = SlidingWindow(total, window) if total else None

    def _counts(self, scope: Scope) -> list[tuple[SlidingWindow, str]]:
        counts = []
        if self._per_address is not None:
            counts.append((self._per_address, self.addresses.key(scope)))
        if self._total is not None:
            counts.append((self._total, "all"))
        return counts

    def refuse_when_full(self, scope: Scope) -> None:
        """Raise TooManyRequests while this client may attempt nothing."""
        now = self.clock()
        wait = max((window.wait(key, now) for window, key in self._counts(scope)), default=0.0)
        if wait:
            raise TooManyRequests("Too many failed attempts", wait)

    def failed(self, scope: Scope) -> None:
        now = self.clock()
        for window, key in self._counts(scope):
            window.add(key, now)

    @contextmanager
    def attempt(self, scope: Scope) -> Iterator[None]:
        """Around checking a respondent's code: refused while the counts are full; a
        refused code (Forbidden) counts."""
        self.refuse_when_full(scope)
        try:
            yield
        except Forbidden:
            self.failed(scope)
            raise


class RespondentRateLimit(HttpMiddleware):
    """429 for a client address that sends more than `limit` writes per minute. Off by
    default; analysts and admins only read, so nothing is exempt (a header is no proof)."""

    def __init__(self, app: ASGIApp, limit: int, addresses: ClientAddresses, window: float = 60.0):
        super().__init__(app)
        self.window = SlidingWindow(limit, window)
        self.addresses = addresses

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in LIMITED_METHODS:
            wait = self.window.allow(self.addresses.key(scope), time.monotonic())
            if wait:
                refusal = TooManyRequests("Too many requests from this address", wait)
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)
