"""``ConnectorHttpClient``: the one way a connector talks HTTP to a platform.

One instance per account: it owns that account's ``httpx.AsyncClient`` (base URL from
configuration, explicit timeouts), rate-limit buckets, auth hook and retry policy, so nothing
is shared across accounts. Every request goes: take tokens from the operation's bucket → apply
auth → send → correct the bucket from the response → map the status to an error class →
retry per policy. One redacted log line per attempt goes to the ``channelhub.http`` logger
(INFO), and one WARNING line per retry that a person can read as it happens ("retrying GET
http://127.0.0.1:9/orders in 2 s (attempt 2 of 4): connection refused"): with no logging
configured (the CLI) Python prints warnings to stderr, so a dead URL is never silent.

A dead or silent base URL fails within the retry policy's time budget (15 s by default):
connect and read timeouts are short, the last attempt's are cut to the time left, and the
error names the URL and says how many attempts were made.

Tests and the demo pass ``transport=httpx.ASGITransport(app=simulator)`` to talk to a
simulator in process; production passes nothing.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
import random
import socket
import time
from collections.abc import Callable, Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx

from channelhub.connectors.errors import (
    ConnectFailure,
    ConnectorError,
    ContractViolation,
    TransportFailure,
    Unauthorized,
    UnexpectedStatus,
    error_for_status,
)
from channelhub.connectors.http.auth import AuthHook, NoAuth
from channelhub.connectors.http.ratelimit import (
    BucketBackend,
    Clock,
    LimitUpdate,
    RateLimit,
    RateLimiterRegistry,
    Sleep,
    amazon_rate_limit_update,
)
from channelhub.connectors.http.redact import redact_body, redact_url
from channelhub.connectors.http.retry import (
    RetryBudget,
    RetryPolicy,
    call_with_retry,
    parse_retry_after,
)
from channelhub.connectors.observe import ConnectorObserver
from channelhub.core.redaction import SecretRedactor, active_redactor, redacting

logger = logging.getLogger("channelhub.http")

#: Per attempt; the retry budget (15 s) caps the whole request. A platform page that takes
#: longer than 10 s between two bytes is treated as silent.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

LimitFeedback = Callable[[str, httpx.Response], LimitUpdate | None]
"""(operation, response) → what the response says about the real limit, or None."""

ResponseInspector = Callable[[str, httpx.Response], ConnectorError | None]
"""(operation, response) → an error hidden in a 200 (Shopify ``THROTTLED``, Temu
``success: false``), or None to fall back to the HTTP status."""


def default_limit_feedback(operation: str, response: httpx.Response) -> LimitUpdate | None:
    """Reads ``x-amzn-RateLimit-Limit`` when present; other platforms pass their own hook."""
    return amazon_rate_limit_update(response.headers)


def _is_rate_limit_header(name: str) -> bool:
    lowered = name.lower()
    return (
        "ratelimit" in lowered
        or "rate-limit" in lowered
        or lowered in {"retry-after", "x-shopify-shop-api-call-limit"}
    )


@dataclass(frozen=True)
class ConnectorResponse:
    """A successful (or expected) answer, with what a connector needs to read it."""

    operation: str
    status: int
    headers: httpx.Headers
    content: bytes
    url: str  # redacted
    attempts: int
    rate_limit: Mapping[str, str] = field(default_factory=dict)
    redactor: SecretRedactor | None = field(default=None, repr=False)

    def json(self) -> Any:
        """The body parsed as JSON; a body that is not JSON breaks the contract."""
        try:
            return jsonlib.loads(self.content)
        except ValueError as exc:
            raise ContractViolation(
                "the response body is not JSON",
                status=self.status,
                operation=self.operation,
                request=self.url,
                body=redact_body(self.content, limit=300, redactor=self.redactor),
            ) from exc

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def excerpt(self, limit: int = 300) -> str:
        """The body as a message may quote it: names, patterns and the account's secret
        values redacted *before* it is cut to ``limit`` characters (an expected 4xx the
        connector reads itself never went through the client's error path)."""
        return redact_body(self.content, limit=limit, redactor=self.redactor) or ""


class ConnectorHttpClient:
    """The HTTP client of one account on one platform."""

    def __init__(
        self,
        *,
        platform: str,
        account: str,
        base_url: str,
        limits: Mapping[str, RateLimit],
        default_limit: RateLimit | None = None,
        auth: AuthHook | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        limit_feedback: LimitFeedback | None = default_limit_feedback,
        inspect_response: ResponseInspector | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
        redactor: SecretRedactor | None = None,
        observer: ConnectorObserver | None = None,
        buckets: BucketBackend | None = None,
    ) -> None:
        self.platform = platform
        #: told of every attempt (operation, status) and every refusal of the credentials
        self.observer = observer
        #: the account's secret values: every URL, body and message this client logs or puts
        #: in an error passes it (the one choke point for what a platform echoes back)
        self.redactor = redactor if redactor is not None else SecretRedactor(account)
        self.account = account
        #: ``buckets``: the account's budget shared with other processes (None: this client's own)
        self.limiter = RateLimiterRegistry(
            limits, default=default_limit, clock=clock, sleep=sleep, backend=buckets
        )
        self._auth: AuthHook = auth or NoAuth()
        self._retry = retry or RetryPolicy()
        self._timeout = timeout
        self._limit_feedback = limit_feedback
        self._inspect = inspect_response
        self._clock = clock
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._http = httpx.AsyncClient(
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            headers={"User-Agent": "channelhub/0.1", **(headers or {})},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ConnectorHttpClient(platform={self.platform!r}, account={self.account!r})"

    async def __aenter__(self) -> ConnectorHttpClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        expected: Collection[int] | None = None,
        idempotent: bool | None = None,
        cost: float = 1.0,
        retry: RetryPolicy | None = None,
        bucket: str | None = None,
    ) -> ConnectorResponse:
        """Send one logical request (retried per policy) and return the answer.

        ``operation`` names the rate-limit bucket and appears in logs and errors.
        ``expected`` lists the statuses that count as success (default: any 2xx); a 2xx outside
        it is a :class:`ContractViolation`, a listed 4xx (e.g. 404 for "does it exist?") is
        returned instead of raised. ``idempotent`` defaults from the method (POST/PATCH are
        not): a non-idempotent call is only repeated when the platform cannot have acted.
        ``cost`` is how many tokens the call takes (Shopify query cost; 1 elsewhere).
        ``bucket`` names the rate-limit bucket when it is not the operation's own (Temu meters
        every API type of an app key in one bucket); logs and errors still name ``operation``.
        """
        verb = method.upper()
        repeatable = idempotent if idempotent is not None else verb in IDEMPOTENT_METHODS
        policy = retry or self._retry
        budget = RetryBudget(policy.total_budget)
        tried = 0

        async def attempt(number: int) -> ConnectorResponse:
            nonlocal tried
            tried = number
            return await self._attempt(
                operation, verb, path, number,
                params=params, json=json, content=content, headers=headers,
                expected=expected, cost=cost, bucket=bucket or operation, budget=budget,
            )  # fmt: skip

        def on_retry(error: BaseException, number: int, wait: float) -> None:
            where = getattr(error, "request", None) or f"{verb} {path}"
            logger.warning(
                "%s",
                self.redactor.redact(
                    f"retrying {where} in {_seconds(wait)} s (attempt {number + 1} of "
                    f"{policy.max_attempts}): {_reason(error)}"
                ),
            )

        # Outside a job run (an API route, a script) this account's redactor is the active
        # one while the request runs, so httpx's own log lines pass it too.
        scope = redacting(self.redactor) if active_redactor() is None else nullcontext()
        try:
            with scope:
                return await call_with_retry(
                    policy,
                    attempt,
                    idempotent=repeatable,
                    sleep=self._sleep,
                    rng=self._rng,
                    on_retry=on_retry,
                    budget=budget,
                )
        except TransportFailure as exc:
            if tried > 1:
                exc.message += f"; gave up after {tried} attempts in {_seconds(budget.spent)} s"
            raise

    async def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        number: int,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None,
        json: Any,
        content: bytes | str | None,
        headers: Mapping[str, str] | None,
        expected: Collection[int] | None,
        cost: float,
        bucket: str,
        budget: RetryBudget,
    ) -> ConnectorResponse:
        refreshed = False
        while True:
            await self.limiter.acquire(self.account, bucket, cost)
            timeout = self._attempt_timeout(budget.remaining())
            request = self._http.build_request(
                method,
                path,
                params=params,
                json=json,
                content=content,
                headers=headers,
                timeout=timeout,
            )
            request = await self._auth.apply(request)
            summary = f"{method} {redact_url(str(request.url), self.redactor)}"
            started = self._clock()
            try:
                response = await self._http.send(request)
            except httpx.TransportError as exc:
                budget.spend(self._clock() - started)
                self._observe(operation, bucket, None, ok=False)
                if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
                    self.limiter.bucket(self.account, bucket).refund(cost)  # never reached it
                raise self._scrub(
                    self._transport_error(exc, operation, summary, number, started, timeout)
                ) from None
            budget.spend(self._clock() - started)
            elapsed_ms = (self._clock() - started) * 1000
            self._apply_feedback(operation, bucket, response, reserved=cost)
            if response.status_code == 401 and not refreshed:
                self._log(operation, summary, response.status_code, elapsed_ms, number, None)
                refreshed = True
                self._observe(operation, bucket, 401, ok=False)
                if await self._auth.on_unauthorized():
                    continue  # one more try with fresh credentials, outside the retry budget
            error = self._error_for(operation, summary, response, expected)
            self._observe(operation, bucket, response.status_code, ok=error is None)
            body = error.body if error is not None else None
            self._log(operation, summary, response.status_code, elapsed_ms, number, body)
            if error is not None:
                if isinstance(error, Unauthorized) and refreshed:
                    error.message = "the platform refused the credentials even after a refresh"
                if isinstance(error, Unauthorized) and self.observer is not None:
                    self.observer.on_refused("access", response.status_code)
                raise self._scrub(error)
            return ConnectorResponse(
                operation=operation,
                status=response.status_code,
                headers=response.headers,
                content=response.content,
                url=summary,
                attempts=number,
                rate_limit={k: v for k, v in response.headers.items() if _is_rate_limit_header(k)},
                redactor=self.redactor,
            )

    def _observe(self, operation: str, bucket: str, status: int | None, *, ok: bool) -> None:
        if self.observer is not None:
            rate = self.limiter.bucket(self.account, bucket).rate
            self.observer.on_call(operation, status, ok=ok, rate=rate)

    def _scrub(self, error: ConnectorError) -> ConnectorError:
        """The error with the account's secret values removed from every text it carries
        (an inspector may have quoted the platform's message, which may echo our request)."""
        redact = self.redactor.redact
        error.message = redact(error.message)
        error.args = (error.message,)
        if error.body is not None:
            error.body = redact(error.body)
        if error.request is not None:
            error.request = redact(error.request)
        return error

    def _attempt_timeout(self, remaining: float | None) -> httpx.Timeout:
        """The client's timeouts, each cut to the seconds the request has left."""
        if remaining is None:
            return self._timeout
        t = self._timeout

        def cut(value: float | None) -> float:
            return remaining if value is None else min(value, remaining)

        return httpx.Timeout(
            connect=cut(t.connect), read=cut(t.read), write=cut(t.write), pool=cut(t.pool)
        )

    def _apply_feedback(
        self, operation: str, bucket: str, response: httpx.Response, *, reserved: float
    ) -> None:
        if self._limit_feedback is None:
            return
        update = self._limit_feedback(operation, response)
        if update is not None:
            self.limiter.bucket(self.account, bucket).apply(update, reserved=reserved)

    def _error_for(
        self,
        operation: str,
        summary: str,
        response: httpx.Response,
        expected: Collection[int] | None,
    ) -> ConnectorError | None:
        status = response.status_code
        if self._inspect is not None:
            found = self._inspect(operation, response)
            if found is not None:
                found.add_context(operation=operation, request=summary, platform=self.platform)
                if found.body is None:
                    found.body = redact_body(response.content, redactor=self.redactor)
                return found
        if expected is not None and status in expected:
            return None
        if expected is None and 200 <= status < 300:
            return None
        body = redact_body(response.content, redactor=self.redactor)
        if 200 <= status < 400:
            cls = ContractViolation if 200 <= status < 300 else UnexpectedStatus
            return cls(
                f"status {status} is not one this operation returns",
                status=status, operation=operation, request=summary, body=body,
                platform=self.platform,
            )  # fmt: skip
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=self._now())
        return error_for_status(
            status, operation=operation, request=summary, body=body,
            retry_after=retry_after, platform=self.platform,
        )  # fmt: skip

    def _transport_error(
        self,
        exc: httpx.TransportError,
        operation: str,
        summary: str,
        number: int,
        started: float,
        timeout: httpx.Timeout,
    ) -> TransportFailure:
        never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
        cls = ConnectFailure if never_sent else TransportFailure
        self._log(operation, summary, type(exc).__name__, (self._clock() - started) * 1000, number)
        reason = transport_reason(exc, timeout)
        error = cls(
            f"{reason}: {summary} ({type(exc).__name__})",
            operation=operation, request=summary, platform=self.platform,
        )  # fmt: skip
        error.reason = reason
        return error

    def _log(
        self,
        operation: str,
        summary: str,
        outcome: int | str,
        elapsed_ms: float,
        attempt: int,
        body: str | None = None,
    ) -> None:
        # INFO even for failures: the retry line (WARNING) or the error raised tells a person;
        # this line is the record of every attempt for whoever turns INFO on.
        logger.log(
            logging.INFO,
            "%s %s %s %s -> %s %.0fms attempt=%d%s",
            self.platform, self.account, operation, summary, outcome, elapsed_ms, attempt,
            f" body={self.redactor.redact(body)}" if body else "",
        )  # fmt: skip


def transport_reason(exc: httpx.TransportError, timeout: httpx.Timeout) -> str:
    """Why no HTTP answer came, in words (the exception's type name stays in the error)."""
    causes = _causes(exc)
    match exc:
        case httpx.ConnectTimeout():
            return f"no connection within {_seconds(timeout.connect)} s"
        case httpx.ReadTimeout():
            return f"no answer within {_seconds(timeout.read)} s"
        case httpx.WriteTimeout():
            return f"could not send the request within {_seconds(timeout.write)} s"
        case httpx.PoolTimeout():
            return f"no free connection within {_seconds(timeout.pool)} s"
        case httpx.ConnectError() if any(isinstance(c, ConnectionRefusedError) for c in causes):
            return "connection refused"
        case httpx.ConnectError() if any(isinstance(c, socket.gaierror) for c in causes):
            return "host not found"
        case httpx.ConnectError() if "refused" in str(exc).lower():
            return "connection refused"
        case httpx.ConnectError():
            return "cannot connect"
    return "the connection broke before an answer"


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and what caused it, outermost first (anyio hides the refusal under
    "All connection attempts failed")."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _reason(error: BaseException) -> str:
    """The short cause of a retried error, for the retry line."""
    reason = getattr(error, "reason", None)
    if reason:
        return str(reason)
    status = getattr(error, "status", None)
    if status is not None and status >= 400:
        return f"HTTP {status}"
    # an error a platform answers with 200 (Shopify's THROTTLED): "HTTP 200" would say nothing
    message = getattr(error, "message", None)
    if message:
        return str(message)
    return f"HTTP {status}" if status is not None else type(error).__name__


def _seconds(value: float | None) -> str:
    """2 -> "2", 0.5 -> "0.5", 1.2345 -> "1.2"."""
    return "?" if value is None else f"{value:.1f}".removesuffix(".0")
