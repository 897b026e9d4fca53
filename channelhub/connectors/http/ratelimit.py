"""Token buckets per (account, operation), seeded from configuration, corrected from headers.

Platforms meter each operation separately (Amazon: ``searchOrders`` 0.0056/s burst 20,
``confirmShipment`` 2/s burst 10) and per selling account, so one bucket per (account,
operation) is the unit. Buckets live in a :class:`RateLimiterRegistry` owned by one client
instance, never in module state, so two accounts (or two tests) never share a budget.

:meth:`TokenBucket.acquire` reserves tokens immediately (the balance may go negative) and
sleeps exactly until the reservation is covered. That is a GCRA-style bucket: callers are
served in arrival order, nobody polls, and in any window of length ``w`` at most
``burst + rate × w`` tokens are granted. Clock and sleep are injected so tests run instantly.

Where the budget is shared by several processes (procrastinate workers running an account's
import and stock push at once), the registry is given a :class:`BucketBackend` whose buckets
keep their state outside the process (the store's ``SharedBuckets`` on PostgreSQL, injected by
whoever builds the connectors: connectors never import the store). Within one process, the
jobs of one account (``channelhub run`` runs its import, listings pull, stock push and
reconciliation at once, each with a connector of its own) share their budgets through a
:class:`ProcessBuckets`. Every bucket, in-process or shared, answers the :class:`Bucket`
protocol.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from channelhub.core.ratelimit import Correction, ReservingBucket
from channelhub.core.ratelimit import Sleep as Sleep  # where callers look

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic`` in production, a fake in tests)."""


class RateLimit(BaseModel):
    """A usage plan: ``rate`` tokens per second refill a bucket holding at most ``burst``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate: float = Field(gt=0, description="tokens restored per second")
    burst: float = Field(gt=0, description="bucket capacity; the most tokens granted at once")


@dataclass(frozen=True)
class LimitUpdate:
    """What a response says about the real limit; ``None`` fields are left as they are."""

    rate: float | None = None
    burst: float | None = None
    available: float | None = None
    #: what the platform charged this request (Shopify's ``actualQueryCost``): the bucket
    #: then takes back what was reserved beyond it (:meth:`ReservingBucket.update`)
    charged: float | None = None


@runtime_checkable
class Bucket(Protocol):
    """What the HTTP client asks of a bucket (in-process or shared across processes)."""

    @property
    def rate(self) -> float: ...

    @property
    def burst(self) -> float: ...

    @property
    def tokens(self) -> float: ...

    def reserve(self, n: float = 1.0) -> float: ...

    async def acquire(self, n: float = 1.0) -> float: ...

    def refund(self, n: float) -> None: ...

    def apply(self, update: LimitUpdate, reserved: float | None = None) -> None: ...


class BucketBackend(Protocol):
    """Makes the bucket of (account, operation) with its configured plan: the seam through
    which a shared (cross-process) budget is injected."""

    def bucket(self, account: str, operation: str, limit: RateLimit, sleep: Sleep) -> Bucket: ...


class TokenBucket(ReservingBucket):
    """One bucket, its balance kept in this process. ``acquire(n)`` waits exactly as long as
    needed for ``n`` tokens (the shape every bucket shares:
    :class:`~channelhub.core.ratelimit.ReservingBucket`)."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        initial: float | None = None,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError(f"rate and burst must be positive, got rate={rate} burst={burst}")
        self._rate = float(rate)
        self._burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._burst if initial is None else min(float(initial), self._burst)
        self._updated = clock()

    @property
    def tokens(self) -> float:
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        self._updated = now

    def _take(self, n: float) -> float:
        self._refill()
        self._tokens -= n
        return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    def _cancelled(self, n: float) -> None:
        self._tokens += n  # the balance as if never reserved; the next refill caps it

    def refund(self, n: float) -> None:
        self._refill()
        self._tokens = min(self._burst, self._tokens + n)

    def _correct(self, fix: Correction) -> None:
        self._refill()
        if fix.rate is not None:
            self._rate = float(fix.rate)
        if fix.burst is not None:
            self._burst = float(fix.burst)
            self._tokens = min(self._tokens, self._burst)
        if fix.refund is not None:
            self._tokens = min(self._tokens + fix.refund, self._burst)
        if fix.available is not None:
            told = float(fix.available)
            self._tokens = min(told if fix.refund is None else min(told, self._tokens), self._burst)


class _LockedTokenBucket(TokenBucket):
    """A :class:`TokenBucket` whose balance changes one at a time: a process's buckets are
    spent from the event loop and from worker threads (a webhook's read-back, a sync route)."""

    def __init__(self, rate: float, burst: float, *, clock: Clock, sleep: Sleep) -> None:
        super().__init__(rate, burst, clock=clock, sleep=sleep)
        self._lock = threading.Lock()

    @property
    def tokens(self) -> float:
        with self._lock:
            return super().tokens

    def _take(self, n: float) -> float:
        with self._lock:
            return super()._take(n)

    def _cancelled(self, n: float) -> None:
        with self._lock:
            super()._cancelled(n)

    def refund(self, n: float) -> None:
        with self._lock:
            super().refund(n)

    def _correct(self, fix: Correction) -> None:
        with self._lock:
            super()._correct(fix)


class ProcessBuckets:
    """The :class:`BucketBackend` of one process: one bucket per (account, operation), whichever
    connector asks. Without it each connector keeps its own buckets, and two jobs of one
    account running at once each spend the platform's whole budget (Shopify's 2,000 points a
    shop: the second job's call came back ``THROTTLED``). A changed plan (an account's
    ``rate_limits`` edited) starts that bucket afresh. ``clock``: the buckets' time (the
    demo's runs faster)."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[RateLimit, Bucket]] = {}

    def bucket(self, account: str, operation: str, limit: RateLimit, sleep: Sleep) -> Bucket:
        key = (account, operation)
        with self._lock:
            found = self._buckets.get(key)
            if found is None or found[0] != limit:
                bucket = _LockedTokenBucket(limit.rate, limit.burst, clock=self._clock, sleep=sleep)
                found = self._buckets[key] = (limit, bucket)
            return found[1]


class RateLimiterRegistry:
    """The buckets of one client: one per (account, operation), created on first use.

    ``limits`` maps operation names to their usage plan; ``default`` covers operations not
    listed (``None`` makes an unlisted operation an error, so a typo cannot go unmetered).
    ``backend`` makes the buckets instead of in-process :class:`TokenBucket` ones (a budget
    shared with other processes).
    """

    def __init__(
        self,
        limits: Mapping[str, RateLimit],
        *,
        default: RateLimit | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        backend: BucketBackend | None = None,
    ) -> None:
        self._limits = dict(limits)
        self._default = default
        self._clock = clock
        self._sleep = sleep
        self._backend = backend
        self._buckets: dict[tuple[str, str], Bucket] = {}

    def bucket(self, account: str, operation: str) -> Bucket:
        """The bucket of ``operation`` for ``account``."""
        key = (account, operation)
        found = self._buckets.get(key)
        if found is None:
            limit = self._limits.get(operation, self._default)
            if limit is None:
                known = ", ".join(sorted(self._limits)) or "none"
                raise KeyError(
                    f"no rate limit configured for operation {operation!r} (known: {known})"
                )
            if self._backend is not None:
                found = self._backend.bucket(account, operation, limit, self._sleep)
            else:
                found = TokenBucket(limit.rate, limit.burst, clock=self._clock, sleep=self._sleep)
            self._buckets[key] = found
        return found

    async def acquire(self, account: str, operation: str, n: float = 1.0) -> float:
        """Wait for ``n`` tokens of ``operation``'s bucket."""
        return await self.bucket(account, operation).acquire(n)


# --- header / body correction hooks ------------------------------------------------------


def amazon_rate_limit_update(headers: Mapping[str, str]) -> LimitUpdate | None:
    """Amazon's ``x-amzn-RateLimit-Limit`` header is the operation's real rate per second."""
    for name, value in headers.items():
        if name.lower() == "x-amzn-ratelimit-limit":
            try:
                rate = float(value)
            except ValueError:
                return None
            return LimitUpdate(rate=rate) if rate > 0 else None
    return None


def shopify_throttle_update(throttle_status: Mapping[str, object]) -> LimitUpdate | None:
    """Shopify GraphQL ``extensions.cost.throttleStatus`` → a cost bucket's real state.

    ``maximumAvailable`` is the bucket size, ``restoreRate`` points per second and
    ``currentlyAvailable`` the balance now; each call then takes its query cost in tokens.
    """

    def number(key: str) -> float | None:
        value = throttle_status.get(key)
        return float(value) if isinstance(value, int | float) else None

    update = LimitUpdate(
        rate=number("restoreRate"),
        burst=number("maximumAvailable"),
        available=number("currentlyAvailable"),
    )
    return None if update == LimitUpdate() else update
