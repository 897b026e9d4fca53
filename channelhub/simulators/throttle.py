"""The simulators' rate limiter: a token bucket that refuses instead of waiting.

A real platform never queues an excess call; it answers with its own throttling error. The
simulator does the same through a callback that builds the platform's 429 (Amazon
``QuotaExceeded``, Shopify ``THROTTLED``, Temu 4000004 in a 200), so a connector is tested
against the exact shape it will meet. Separate from the connector's limiter on purpose: this
is the platform's side of the contract.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SimLimit:
    """A published usage plan: ``rate`` requests per second, bucket of ``burst``."""

    rate: float
    burst: float


class RefusingBucket:
    """Grants a token now or says how long until one is available."""

    def __init__(self, limit: SimLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = float(limit.burst)
        self._updated = clock()

    def take(self, n: float = 1.0) -> float:
        """0.0 when granted; otherwise the seconds until ``n`` tokens exist (nothing taken)."""
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.rate)
        self._updated = now
        if self._tokens >= n:
            self._tokens -= n
            return 0.0
        return (n - self._tokens) / self.limit.rate

    @property
    def available(self) -> float:
        self.take(0.0)
        return self._tokens
