"""A stand-in for the SDK's simulator framework until it lands on main.

Mirrors the subset of ``channelhub.simulators.base.Simulator`` the Amazon simulator uses
(``app``, ``journal``, ``faults``, ``limit(op)`` dependency, throttled/error responders,
per-caller buckets, injected clock) so that adopting the framework is a one-line import
change. Faults are decided before the routes run, so an injected 429/5xx has no side effect.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.types import Message, Receive, Scope, Send

ThrottledResponder = Callable[[Request, str, float], Response]
ErrorResponder = Callable[[int], Response]
CallerKey = Callable[[Request], str]


@dataclass(frozen=True)
class SimLimit:
    """A published usage plan: ``rate`` requests per second, bucket of ``burst``."""

    rate: float
    burst: float


@dataclass(frozen=True)
class FaultConfig:
    """What to break: a seeded share of requests answered with one of ``error_statuses``."""

    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    fail_next: int = 0
    paths: tuple[str, ...] = ()  # path prefixes faulted; () = all


class FaultInjector:
    """Decides each request's fate from a seeded stream (same seed, same failures)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self.config = FaultConfig()
        self._fail_next = 0

    def update(self, **changes: Any) -> None:
        """Change some switches, e.g. ``sim.faults.update(error_rate=0.1)``."""
        self.config = replace(self.config, **changes)
        self._fail_next = self.config.fail_next

    def clear(self) -> None:
        self.config = FaultConfig()
        self._fail_next = 0

    def decide(self, path: str) -> int | None:
        """The status to inject for a request to ``path``, or None to serve it."""
        u_error, u_status = self._rng.random(), self._rng.random()
        config = self.config
        if config.paths and not any(path.startswith(p) for p in config.paths):
            return None
        status = config.error_statuses[int(u_status * len(config.error_statuses))]
        if self._fail_next > 0:
            self._fail_next -= 1
            return status
        return status if u_error < config.error_rate else None


@dataclass
class JournalEntry:
    """One request as received, and what was answered."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    fault: str | None = None

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class RequestJournal:
    entries: list[JournalEntry] = field(default_factory=list)

    def record(self, entry: JournalEntry) -> None:
        self.entries.append(entry)

    def clear(self) -> None:
        self.entries.clear()

    def matching(
        self, method: str | None = None, path: str | None = None
    ) -> Iterator[JournalEntry]:
        for entry in self.entries:
            if method is not None and entry.method != method.upper():
                continue
            if path is not None and not entry.path.startswith(path):
                continue
            yield entry

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(list(self.matching(method, path)))

    def __len__(self) -> int:
        return len(self.entries)


class Throttled(Exception):
    def __init__(self, operation: str, retry_after: float) -> None:
        super().__init__(f"{operation} throttled for {retry_after:.3f}s")
        self.operation = operation
        self.retry_after = retry_after


class RefusingBucket:
    """Grants a token now or says how long until one exists (a platform never queues)."""

    def __init__(self, limit: SimLimit, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._updated = clock()

    def take(self, n: float = 1.0) -> float:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.rate)
        self._updated = now
        if self._tokens >= n:
            self._tokens -= n
            return 0.0
        return (n - self._tokens) / self.limit.rate


class Simulator:
    """Routes on ``self.app``; journal, faults and refusing rate limits around them."""

    def __init__(
        self,
        *,
        platform: str,
        seed: int = 0,
        limits: Mapping[str, SimLimit] | None = None,
        throttled: ThrottledResponder,
        error_response: ErrorResponder,
        caller_key: CallerKey = lambda request: "-",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.platform = platform
        self.seed = seed
        self.faults = FaultInjector(seed)
        self.journal = RequestJournal()
        self.limits: dict[str, SimLimit] = dict(limits or {})
        self.limits_enabled = True
        self._throttled = throttled
        self._error_response = error_response
        self._caller_key = caller_key
        self._clock = clock
        self._buckets: dict[tuple[str, str], RefusingBucket] = {}
        self.app = FastAPI(title=f"{platform} simulator", docs_url=None, redoc_url=None)
        self.app.add_exception_handler(Throttled, self._on_throttled)  # type: ignore[arg-type]

    def limit(self, operation: str) -> Callable[[Request], Awaitable[None]]:
        """A FastAPI dependency taking one token of ``operation`` or raising Throttled."""
        if operation not in self.limits:
            raise KeyError(f"{self.platform} simulator has no limit for {operation!r}")

        async def take_token(request: Request) -> None:
            if not self.limits_enabled:
                return
            key = (self._caller_key(request), operation)
            if key not in self._buckets:
                self._buckets[key] = RefusingBucket(self.limits[operation], self._clock)
            wait = self._buckets[key].take()
            if wait > 0:
                raise Throttled(operation, wait)

        return take_token

    async def _on_throttled(self, request: Request, exc: Throttled) -> Response:
        return self._throttled(request, exc.operation, exc.retry_after)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        entry = JournalEntry(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=b"".join(chunks),
        )
        self.journal.record(entry)
        status = self.faults.decide(scope["path"])
        if status is not None:
            entry.status, entry.fault = status, f"error:{status}"
            await self._error_response(status)(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": entry.body, "more_body": False}
            return await receive()

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
            await send(message)

        await self.app(scope, replay, record_status)
