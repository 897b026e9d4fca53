"""The retry policy: tenacity, retrying only :class:`RetryableError`, honouring Retry-After.

Waits are exponential with jitter (so many accounts that failed together do not come back
together), except when the platform said how long to wait: then that value is used as is,
because retrying earlier only earns another 429. Fatal errors are never retried. Calls that
are not idempotent (creating a fulfilment) are repeated only after errors where the platform
cannot have acted (``safe_to_repeat``: throttled, never connected).

A dead or silent platform must fail fast and say so: a :class:`RetryBudget` caps the seconds
one request may spend in attempts and backoff waits (15 s by default), so the last attempt's
timeouts are cut to what is left and no retry starts that could not finish in time. What a
platform asked for (Retry-After) and what our own rate limiter waits are not counted: a
platform that answers is not dead, it is busy.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.http.ratelimit import Sleep

T = TypeVar("T")


class RetryPolicy(BaseModel):
    """How often and how patiently to repeat a request that failed in a retryable way."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(default=4, ge=1, description="attempts in all, the first included")
    initial_backoff: float = Field(default=0.5, ge=0, description="seconds before the 1st retry")
    max_backoff: float = Field(default=30.0, ge=0, description="cap on one computed wait")
    jitter: float = Field(default=0.5, ge=0, description="up to this many random extra seconds")
    max_retry_after: float = Field(
        default=300.0, ge=0, description="a Retry-After longer than this is not waited for"
    )
    total_budget: float | None = Field(
        default=15.0,
        gt=0,
        description="seconds one request may spend in attempts and backoff waits (None: no cap)",
    )

    @classmethod
    def never(cls) -> RetryPolicy:
        """One attempt only."""
        return cls(max_attempts=1)

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), without a hint."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (attempt - 1))
        return base + (rng.uniform(0, self.jitter) if self.jitter else 0.0)


class RetryBudget:
    """The seconds one logical request has left (see the module docstring). The caller counts
    each attempt's time in; the retry loop counts its backoff waits and refuses a wait that
    would leave nothing for the next attempt."""

    #: Seconds an attempt needs at least; a retry that would leave less is not started.
    LEAST_ATTEMPT = 1.0

    def __init__(self, total: float | None) -> None:
        self.total = total
        self.spent = 0.0

    def remaining(self) -> float | None:
        """Seconds left (never below 0), or None when there is no cap."""
        return None if self.total is None else max(0.0, self.total - self.spent)

    def spend(self, seconds: float) -> None:
        self.spent += max(0.0, seconds)

    def allows(self, wait: float) -> bool:
        """Whether a backoff of ``wait`` seconds still leaves time for another attempt."""
        return self.total is None or self.spent + wait + self.LEAST_ATTEMPT <= self.total


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value: delta-seconds or an HTTP date (``now`` = UTC now)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, seconds)


def _should_retry(idempotent: bool) -> Callable[[BaseException], bool]:
    def check(exc: BaseException) -> bool:
        if not isinstance(exc, RetryableError):
            return False
        return idempotent or exc.safe_to_repeat

    return check


async def call_with_retry(
    policy: RetryPolicy,
    attempt: Callable[[int], Awaitable[T]],
    *,
    idempotent: bool = True,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[BaseException, int, float], None] | None = None,
    budget: RetryBudget | None = None,
) -> T:
    """Run ``attempt(n)`` (n = 1, 2, …) until it returns, a fatal error, or attempts or the
    time budget run out.

    The last error is re-raised unchanged. ``on_retry(error, attempt, wait)`` is told about
    every retry (the client logs it). ``budget`` (default: the policy's) is shared with the
    caller, which counts the attempts' own time in it.
    """
    jitter_rng = rng or random.Random()
    spending = budget if budget is not None else RetryBudget(policy.total_budget)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            if exc.retry_after > policy.max_retry_after:
                raise exc  # the platform asks for longer than we are willing to block
            hinted = exc.retry_after  # the platform answered: its hint is not our budget
            if state.attempt_number < 2 or state.attempt_number >= policy.max_attempts:
                return hinted
            # refused again after waiting as told: another client (a second process on the
            # same shop) spends the same budget, so back off as well, within the budget
            chosen = policy.backoff(state.attempt_number - 1, jitter_rng)
            if chosen <= hinted or not spending.allows(chosen - hinted):
                return hinted
            spending.spend(chosen - hinted)
            return chosen
        if state.attempt_number >= policy.max_attempts:
            return 0.0  # tenacity asks for the wait before it checks stop: nothing follows
        chosen = policy.backoff(state.attempt_number, jitter_rng)
        if exc is not None and not spending.allows(chosen):
            raise exc  # no time left for another attempt: fail now, not after the wait
        spending.spend(chosen)
        return chosen

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if on_retry is not None and exc is not None:
            on_retry(exc, state.attempt_number, state.upcoming_sleep)

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=wait,
        retry=retry_if_exception(_should_retry(idempotent)),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    async for tried in retrying:
        with tried:
            return await attempt(tried.retry_state.attempt_number)
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover
