"""The base every platform simulator builds on.

A :class:`Simulator` is an ASGI app: a FastAPI app for the platform's routes, wrapped by a
layer that journals every request and injects the configured faults before the routes see
it. Platform simulators add their routes to ``sim.app`` and guard each with
``Depends(sim.limit("operationName"))``; when the bucket is empty the platform's own
throttling answer (built by the ``throttled`` callback) goes back instead.

Pass the simulator itself to ``httpx.ASGITransport(app=sim)`` in process, or to
:func:`channelhub.simulators.serve.serve` for a loopback port. A timeout fault raises
``httpx.ReadTimeout`` in process (ASGITransport enforces no timeouts, and the client must see
exactly what a real timeout looks like) and hangs for ``hang_seconds`` when served.

Control API: ``sim.faults`` / ``sim.journal`` in Python, or over HTTP under ``/_sim``
(``GET|PUT /_sim/faults``, ``GET|DELETE /_sim/journal``). Control calls are neither journaled
nor faulted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send

from channelhub.simulators.faults import FaultConfig, FaultDecision, FaultInjector
from channelhub.simulators.journal import JournalEntry, RequestJournal
from channelhub.simulators.seeded import SeededData
from channelhub.simulators.throttle import RefusingBucket, SimLimit

CONTROL_PREFIX = "/_sim"

ThrottledResponder = Callable[[Request, str, float], Response]
"""(request, operation, seconds until a token) → the platform's throttling response."""

ErrorResponder = Callable[[int], Response]
"""(status) → the platform's error response for an injected 5xx."""

CallerKey = Callable[[Request], str]
"""Which caller a request belongs to (token, app key, shop), for per-caller buckets."""


def default_throttled(request: Request, operation: str, retry_after: float) -> Response:
    return JSONResponse(
        {"errors": [{"code": "TooManyRequests", "message": f"{operation} is throttled"}]},
        status_code=429,
        headers={"Retry-After": str(max(1, round(retry_after)))},
    )


def default_error(status: int) -> Response:
    return JSONResponse(
        {"errors": [{"code": "InternalFailure", "message": "injected fault"}]}, status_code=status
    )


class Throttled(Exception):
    """Raised by a ``limit`` dependency; turned into the platform's throttling answer."""

    def __init__(self, operation: str, retry_after: float) -> None:
        super().__init__(f"{operation} throttled for {retry_after:.3f}s")
        self.operation = operation
        self.retry_after = retry_after


class Simulator:
    """One platform's stand-in: routes on ``self.app``, journal, faults, limits, seeded data."""

    def __init__(
        self,
        *,
        platform: str,
        seed: int = 0,
        limits: Mapping[str, SimLimit] | None = None,
        throttled: ThrottledResponder = default_throttled,
        error_response: ErrorResponder = default_error,
        caller_key: CallerKey = lambda request: "-",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        in_process: bool = True,
        hang_seconds: float = 3600.0,
    ) -> None:
        self.platform = platform
        self.seed = seed
        self.data = SeededData(seed)
        self.faults = FaultInjector(seed)
        self.journal = RequestJournal()
        self.limits: dict[str, SimLimit] = dict(limits or {})
        self.in_process = in_process
        self.hang_seconds = hang_seconds
        self._throttled = throttled
        self._error_response = error_response
        self._caller_key = caller_key
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], RefusingBucket] = {}
        self.app = FastAPI(title=f"{platform} simulator", docs_url=None, redoc_url=None)
        self.app.add_exception_handler(Throttled, self._on_throttled)  # type: ignore[arg-type]
        self._add_control_routes()

    # --- rate limits ---------------------------------------------------------------------

    def bucket(self, caller: str, operation: str) -> RefusingBucket:
        key = (caller, operation)
        if key not in self._buckets:
            self._buckets[key] = RefusingBucket(self.limits[operation], self._clock)
        return self._buckets[key]

    def limit(self, operation: str, cost: float = 1.0) -> Callable[[Request], Awaitable[None]]:
        """A FastAPI dependency taking ``cost`` tokens of ``operation`` or raising Throttled."""
        if operation not in self.limits:
            raise KeyError(f"{self.platform} simulator has no limit for {operation!r}")

        async def take_token(request: Request) -> None:
            wait = self.bucket(self._caller_key(request), operation).take(cost)
            if wait > 0:
                raise Throttled(operation, wait)

        return take_token

    async def _on_throttled(self, request: Request, exc: Throttled) -> Response:
        return self._throttled(request, exc.operation, exc.retry_after)

    # --- webhooks ------------------------------------------------------------------------

    async def deliver_webhook(
        self,
        post: Callable[[str, bytes, Mapping[str, str]], Awaitable[Any]],
        url: str,
        body: bytes,
        headers: Mapping[str, str],
    ) -> int:
        """Send a webhook through ``post``, duplicated as the faults say; returns deliveries."""
        count = self.faults.deliveries()
        for _ in range(count):
            await post(url, body, headers)
        return count

    # --- ASGI ----------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        entry = JournalEntry(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
        )
        self.journal.record(entry)
        decision = self.faults.decide(scope["path"])
        entry.fault = decision.label
        await self._apply(decision, entry, scope, receive, send)

    async def _apply(
        self,
        decision: FaultDecision,
        entry: JournalEntry,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if decision.latency:
            await self._sleep(decision.latency)
        if decision.timeout:
            if self.in_process:
                raise httpx.ReadTimeout("simulated timeout: the platform never answered")
            await self._sleep(self.hang_seconds)
            entry.status = 504
            await Response(status_code=504)(scope, receive, send)
            return
        if decision.error_status is not None:
            entry.status = decision.error_status
            await self._error_response(decision.error_status)(scope, receive, send)
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

    # --- control API ---------------------------------------------------------------------

    def _add_control_routes(self) -> None:
        app = self.app

        @app.get(f"{CONTROL_PREFIX}/faults")
        async def get_faults() -> FaultConfig:
            return self.faults.config

        @app.put(f"{CONTROL_PREFIX}/faults")
        async def put_faults(config: FaultConfig) -> FaultConfig:
            self.faults.set(config)
            return config

        @app.get(f"{CONTROL_PREFIX}/journal")
        async def get_journal() -> list[dict[str, Any]]:
            return [entry.as_dict() for entry in self.journal.entries]

        @app.delete(f"{CONTROL_PREFIX}/journal", status_code=204)
        async def clear_journal() -> None:
            self.journal.clear()


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            return b"".join(chunks)
