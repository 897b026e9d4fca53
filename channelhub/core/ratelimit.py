"""The shape every rate-limit bucket shares, whoever keeps its balance.

A bucket reserves tokens at once (the balance may go negative) and the caller sleeps exactly
until its reservation is covered: a GCRA bucket, so in any window ``w`` at most
``burst + rate × w`` tokens are granted. The in-process
:class:`~channelhub.connectors.http.ratelimit.TokenBucket` and the PostgreSQL-backed
:class:`~channelhub.store.shared_buckets.SharedBucket` differ only in where the balance lives
and how a reservation, a refund and a correction are made atomically; the rest (the checks
on a request, the wait through an injected sleeper, giving a cancelled reservation back,
which corrections count) lives here once, so the two cannot drift apart. It is in ``core``
because neither the connectors nor the store may import the other.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

Sleep = Callable[[float], Awaitable[None]]
"""An async sleep (``asyncio.sleep`` in production, a recorder in tests)."""


class Feedback(Protocol):
    """What a response said of the real limit (``LimitUpdate``); None: unchanged."""

    @property
    def rate(self) -> float | None: ...

    @property
    def burst(self) -> float | None: ...

    @property
    def available(self) -> float | None: ...

    @property
    def charged(self) -> float | None: ...


@dataclass(frozen=True)
class Correction:
    """What :meth:`ReservingBucket.update` sets (None: unchanged; rate and burst positive)."""

    rate: float | None
    burst: float | None
    available: float | None
    #: tokens a request reserved beyond what it was charged (None: ``available`` replaces)
    refund: float | None


class ReservingBucket(ABC):
    """A bucket that reserves now and waits for the reservation to be covered.

    A subclass sets ``_rate``, ``_burst`` (as last known) and ``_sleep``, and supplies
    where the balance lives: :attr:`tokens`, :meth:`_take`, :meth:`refund` and
    :meth:`_correct`.
    """

    _rate: float
    _burst: float
    _sleep: Sleep

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def burst(self) -> float:
        return self._burst

    @property
    @abstractmethod
    def tokens(self) -> float:
        """Tokens available now (negative while reservations are waiting)."""

    def reserve(self, n: float = 1.0) -> float:
        """Take ``n`` tokens now and return how many seconds the caller must wait before use."""
        if n <= 0:
            raise ValueError(f"a request must take a positive number of tokens, got {n}")
        if n > self._burst:
            raise ValueError(f"cannot take {n} tokens from a bucket of {self._burst}")
        return self._take(n)

    @abstractmethod
    def _take(self, n: float) -> float:
        """Refill, take ``n`` tokens (the balance may go negative) and return the seconds to
        wait, as one atomic step."""

    async def acquire(self, n: float = 1.0) -> float:
        """Wait until ``n`` tokens are ours; returns the seconds waited (0 when available)."""
        wait = self.reserve(n)
        if wait > 0:
            try:
                await self._sleep(wait)
            except BaseException:
                self._cancelled(n)  # give the reservation back
                raise
        return wait

    def _cancelled(self, n: float) -> None:
        """Give back the ``n`` tokens of a reservation whose wait was cancelled."""
        self.refund(n)

    @abstractmethod
    def refund(self, n: float) -> None:
        """Give back ``n`` tokens a request took but never spent at the platform (it never
        connected): a dead URL's retries must not wait for quota they did not use."""

    def update(
        self,
        *,
        rate: float | None = None,
        burst: float | None = None,
        available: float | None = None,
        refund: float | None = None,
    ) -> None:
        """Correct the bucket from what the platform reported (headers or a throttle
        status); a rate or burst that is not positive says nothing and is left out.

        ``refund`` None: ``available`` replaces the balance. Otherwise the answer said what
        its request was charged: the balance takes back ``refund`` (reserved less charged)
        and ``available`` may only lower it. Answers to requests sent at once arrive in any
        order, and an earlier one's balance does not count a request charged since: taken
        as the balance, it let the next request through to a ``THROTTLED`` answer."""
        self._correct(
            Correction(
                rate=rate if rate is not None and rate > 0 else None,
                burst=burst if burst is not None and burst > 0 else None,
                available=available,
                refund=None if refund is None else max(0.0, refund),
            )
        )

    @abstractmethod
    def _correct(self, fix: Correction) -> None:
        """Set what is not None (rate and burst positive), capping the balance at the burst;
        with ``refund``, the balance plus it, lowered to ``available`` (see :meth:`update`)."""

    def apply(self, update: Feedback, reserved: float | None = None) -> None:
        """:meth:`update` from a ``LimitUpdate``; ``reserved``: the tokens its request took
        (with the update's ``charged``, the refund)."""
        charged = update.charged
        self.update(
            rate=update.rate,
            burst=update.burst,
            available=update.available,
            refund=None if charged is None or reserved is None else reserved - charged,
        )
