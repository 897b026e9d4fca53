"""The platforms around the hub, each a real simulator served on a loopback port: Amazon,
Shopify, the reference warehouse twice (US-EAST and DE-CENTRAL) and UPS.

One :class:`DemoClock` is the time of every simulator and of the hub. It jumps when the demo
moves it (the warehouses' picking, the carrier's scans) and, between jumps, runs ``speed``
times faster than the wall clock: a connector told to wait N seconds by a rate limit sleeps
N / ``speed`` real seconds, and the simulators' buckets, which read the same clock, have
refilled when it asks again. The 429s stay real; only their waits are short. ``speed=0``
makes time purely virtual (a wait moves the clock and returns at once), for the tests.
The warehouses call the hub back through ``deliver`` (the hub's callback handler).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.demo.channels import AMAZON_MARKETS, SELLER_ID, seed_amazon, shop_data
from channelhub.demo.scenario import OPENING_STOCK, WAREHOUSES, Scenario
from channelhub.simulators import amazon, shopify, ups
from channelhub.simulators import warehouse as reference_warehouse
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS as AMAZON_CREDENTIALS
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.serve import serving
from channelhub.simulators.warehouse.engine import Deliver

SHOPIFY_TOKEN = "shpat_demo"
UPS_CLIENT = ("demo-ups-client", "demo-ups-secret")


class DemoClock(ManualClock):
    """Demo time: jumps when ticked and runs ``speed`` times the wall clock in between."""

    def __init__(
        self,
        start: datetime,
        *,
        speed: float = 0.0,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(start)
        self.origin = start
        self.speed = speed
        self._wall = wall
        self._wall_origin = wall()
        self.waited = 0.0  # demo seconds connectors spent waiting (rate limits, retries)

    def __call__(self) -> datetime:
        flowed = (self._wall() - self._wall_origin) * self.speed
        return self._now + timedelta(seconds=flowed)

    def tick(self, by: timedelta) -> datetime:
        self._now += by
        return self()

    def monotonic(self) -> float:
        """Demo seconds since the start: the connectors' clock (limiters, token lifetimes)."""
        return (self() - self.origin).total_seconds()

    def go_live(self, now: datetime) -> None:
        """Hand over to real time (``demo --keep``): from ``now``, or from the demo's own time
        if that is later (time never runs backwards), at one second per second."""
        self._now = max(self(), now)
        self._wall_origin = self._wall()
        self.speed = 1.0

    async def sleep(self, seconds: float) -> None:
        """A connector's wait: ``seconds`` of demo time, ``seconds / speed`` of real time."""
        seconds = max(0.0, seconds)
        self.waited += seconds
        if self.speed > 0:
            await asyncio.sleep(seconds / self.speed)
        else:
            self.tick(timedelta(seconds=seconds))
            await asyncio.sleep(0)


@dataclass
class World:
    """The running simulators: their state objects and base URLs."""

    clock: DemoClock
    urls: dict[str, str] = field(default_factory=dict)
    amazon: Any = None  # AmazonState
    shop: Any = None  # ShopSimulator
    warehouses: dict[str, Any] = field(default_factory=dict)  # code -> WarehouseSimulator
    ups: Any = None  # UpsSimulator
    sims: dict[str, Any] = field(default_factory=dict)  # name -> Simulator (journals)
    secrets: dict[str, str] = field(default_factory=dict)  # warehouse code -> signing secret

    def throttled(self) -> dict[str, int]:
        """How many requests each simulator refused with a 429 (the connectors waited)."""
        counts = {}
        for name, sim in self.sims.items():
            refused = sum(1 for entry in sim.journal.entries if entry.status == 429)
            if refused:
                counts[name] = refused
        return counts

    async def advance(self, by: Any) -> None:
        """Let time pass: every warehouse progresses and sends its due callbacks."""
        self.clock.tick(by)
        for code in sorted(self.warehouses):
            await self.warehouses[code].advance()


#: How far before the real now the demo clock starts. The demo moves its clock about 3 days
#: and 6 hours (picking, packing and the carrier's scans); starting 4 days back puts its whole
#: story, the reconciled order included, in the past, and lets ``--keep`` hand over to real
#: time without time running backwards.
DEMO_SPAN = timedelta(days=4)


def demo_clock(speed: float = 0.0, *, now: datetime | None = None) -> DemoClock:
    """The demo's clock, starting :data:`DEMO_SPAN` before ``now`` (default: the real now)."""
    real = (now or datetime.now(UTC)).replace(microsecond=0)
    return DemoClock(real - DEMO_SPAN, speed=speed)


@contextmanager
def running_world(
    scenario: Scenario, clock: DemoClock, deliver: dict[str, Deliver]
) -> Iterator[World]:
    """Start every simulator on a free loopback port for the duration of the block."""
    start = clock()
    world = World(clock=clock)
    with ExitStack() as stack:

        def serve(name: str, app: Any) -> None:
            port = stack.enter_context(serving(app, port=0))
            world.urls[name] = f"http://127.0.0.1:{port}"
            world.sims[name] = app

        amazon_sim = amazon.create_app(
            seed=1,
            order_count=0,
            listing_count=0,
            seller_id=SELLER_ID,
            marketplaces=AMAZON_MARKETS,
            now=clock,
            in_process=False,
        )
        world.amazon = amazon_sim.state  # type: ignore[attr-defined]
        seed_amazon(world.amazon, scenario, start)
        serve("amazon", amazon_sim)

        shop_sim = shopify.create_app(
            seed=1,
            data=shop_data(scenario, start),
            access_token=SHOPIFY_TOKEN,
            now=clock,
            clock=clock.monotonic,  # the cost bucket restores in demo time too
            in_process=False,
        )
        world.shop = shop_sim.shop  # type: ignore[attr-defined]
        serve("shopify", shop_sim)

        for index, code in enumerate(WAREHOUSES):
            secret = f"whsec_demo_{code.lower()}"
            sim = reference_warehouse.create_simulator(
                seed=index + 1,
                in_process=False,
                secret=secret,
                hub_url=f"http://hub/callbacks/warehouse/{WAREHOUSES[code][0]}",
                deliver=deliver[code],
                clock=clock,
                stock=dict(OPENING_STOCK[code]),
                warehouse=code,
            )
            world.warehouses[code] = sim.app.state.warehouse
            world.secrets[code] = secret
            serve(code, sim)

        ups_sim = ups.create_simulator(
            in_process=False, client_id=UPS_CLIENT[0], client_secret=UPS_CLIENT[1], clock=clock
        )
        world.ups = ups_sim.app.state.ups
        serve("ups", ups_sim)
        yield world


AMAZON_ACCOUNT_CREDENTIALS = dict(AMAZON_CREDENTIALS)
