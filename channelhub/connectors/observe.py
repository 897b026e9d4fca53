"""What a connector tells the hub about its own traffic: each HTTP attempt (operation and
status) and each token it obtains (its lifetime) or has refused.

A narrow callback, injected through :class:`~channelhub.connectors.plugin.ConnectorContext`
(``observer``): connectors never import the store. The hub's job runner and ``accounts
check`` install a recorder (:func:`observing`) that aggregates in memory and writes once at
the end; the connector factory asks :func:`observer_for` for the account's observer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Protocol


class ConnectorObserver(Protocol):
    """One account's listener. Every method is cheap and never raises into the connector."""

    def on_call(
        self, operation: str, status: int | None, *, ok: bool, rate: float | None = None
    ) -> None:
        """One attempt of ``operation`` answered ``status`` (None: no HTTP answer); ``ok``:
        the answer was one the caller expected (a "does it exist?" 404 is); ``rate``: the
        requests per second its rate-limit bucket allows (declared or as corrected by the
        platform's headers)."""
        ...

    def on_token(
        self,
        kind: str,
        *,
        expires_in: float | None = None,
        expires_at: datetime | None = None,
        renews: bool = False,
    ) -> None:
        """A token of ``kind`` ("access", "refresh", …) was obtained or its expiry read;
        ``renews``: the connector gets a new one by itself when it runs out (an LWA access
        token), so its expiry is no cause for alarm."""
        ...

    def on_refused(self, kind: str, status: int) -> None:
        """The platform refused the account's credentials (401) even after a refresh."""
        ...


class ObserverSource(Protocol):
    """Hands out the observer of one account (the recorder a run installs)."""

    def for_account(self, account: str) -> ConnectorObserver: ...


_ACTIVE: ContextVar[ObserverSource | None] = ContextVar("channelhub_observer", default=None)


@contextmanager
def observing(source: ObserverSource) -> Iterator[ObserverSource]:
    """Connectors built inside this block report to ``source``."""
    token = _ACTIVE.set(source)
    try:
        yield source
    finally:
        _ACTIVE.reset(token)


def observer_for(account: str) -> ConnectorObserver | None:
    """The active recorder's observer of ``account``, or None when nobody listens."""
    source = _ACTIVE.get()
    return None if source is None else source.for_account(account)
