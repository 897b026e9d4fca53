"""A clock tests move by hand, so simulated time passes without sleeping; and the wall clock
a simulator served for a person (``channelhub simulate``) runs on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: How long a served warehouse takes per stage (accepted -> picking -> packed -> shipped), so
#: someone trying the hub sees a shipment within minutes rather than hours.
SERVED_STAGE_AFTER = timedelta(minutes=1)


def wall_clock() -> datetime:
    """Now, in UTC: what a served simulator's time follows (the hub signs with the same)."""
    return datetime.now(UTC)


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
