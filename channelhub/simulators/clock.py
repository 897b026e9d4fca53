"""A clock tests move by hand, so simulated time passes without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ManualClock:
    """Returns the same instant until :meth:`tick` moves it. Call it like ``clock()``."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self._now

    def tick(self, by: timedelta) -> datetime:
        """Move time forward by ``by`` and return the new instant."""
        self._now += by
        return self._now
