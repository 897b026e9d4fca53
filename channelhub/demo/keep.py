"""``channelhub demo --keep``: after the run, the demo world stays up on real time.

The demo clock hands over to the wall clock (:meth:`~channelhub.demo.world.DemoClock.go_live`;
the demo started its clock days in the past, so time only moves forward), so the hub's
scheduler, the simulators and any ``channelhub --home <demo home> …`` command typed in
another terminal (which uses the real time) agree on the time. Real time rather than demo
time: a command the seller types cannot share the demo's accelerated clock.

While kept, a ticker lets the warehouses work: every few seconds they progress and send their
signed callbacks, now over loopback to the hub's HTTP port as a real warehouse would, each
stage taking a minute instead of an hour (an order approved now ships within minutes); the
parcels they ship are handed to the carrier simulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from channelhub.core.roles import Role
from channelhub.demo.flow import Hub
from channelhub.demo.scenario import WAREHOUSES
from channelhub.store.repos.console_users import add_user, list_users, set_password
from channelhub.store.tables.fulfilment import PackageRow, ShipmentRow

DEMO_USER = "demo"

#: While kept, each warehouse stage (accepted -> picking -> packed -> shipped) takes this long.
KEPT_STAGE = timedelta(minutes=1)
#: Real seconds between two ticks of the kept warehouses.
TICK_SECONDS = 5.0
#: What each simulator is, for the seller reading the URLs.
ROLES = {
    "amazon": "Amazon SP-API simulator",
    "shopify": "Shopify Admin simulator",
    "ups": "UPS tracking simulator",
    **{code: "reference warehouse (outbound protocol)" for code in WAREHOUSES},
}


@dataclass
class Kept:
    """What stays up: the hub's URL, the simulators' URLs and the demo home."""

    hub_url: str
    home: str
    simulators: dict[str, str] = field(default_factory=dict)
    login: tuple[str, str] | None = None  # the console's one-time (user, password)


async def tick(hub: Hub) -> None:
    """One tick of the kept world: the warehouses progress and call back, and parcels they
    shipped since the last tick reach the carrier."""
    await hub.world.advance(timedelta(0))
    with hub.sessions() as session:
        shipped = session.execute(
            select(PackageRow.tracking_number, ShipmentRow.shipped_at).join(
                ShipmentRow, PackageRow.shipment_id == ShipmentRow.id
            )
        ).all()
    carrier = hub.world.ups
    for tracking_number, shipped_at in shipped:
        if tracking_number not in carrier.packages:
            carrier.add_package(tracking_number, shipped_at)


@contextlib.asynccontextmanager
async def live_world(
    hub: Hub,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    every: float = TICK_SECONDS,
) -> AsyncIterator[None]:
    """Put the demo world on real time and keep its warehouses working until the block ends."""
    hub.world.clock.go_live(now())
    for warehouse in hub.world.warehouses.values():
        warehouse.stage_after = KEPT_STAGE
    stopped = asyncio.Event()

    async def ticking() -> None:
        while not stopped.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), timeout=every)
            if not stopped.is_set():
                await tick(hub)

    ticker = asyncio.create_task(ticking(), name="channelhub-demo-ticker")
    try:
        yield
    finally:
        stopped.set()
        await ticker


def kept(hub: Hub, hub_url: str, home: str, login: tuple[str, str] | None = None) -> Kept:
    """The URLs to print once the hub listens at ``hub_url``; from then on the warehouses
    send their callbacks to it over loopback."""
    hub.callback_url = hub_url
    return Kept(hub_url=hub_url, home=home, simulators=dict(hub.world.urls), login=login)


def demo_login(hub: Hub) -> tuple[str, str]:
    """An owner for the console with a fresh random password (printed once, never stored in
    the clear); a second run of the same demo home gets a new password."""
    password = secrets.token_urlsafe(12)
    with hub.sessions.begin() as session:
        if any(user.name == DEMO_USER for user in list_users(session)):
            set_password(session, DEMO_USER, password, now=hub.now())
        else:
            add_user(session, DEMO_USER, Role.OWNER, password, now=hub.now())
    return DEMO_USER, password
