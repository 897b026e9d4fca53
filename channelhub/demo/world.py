"""The platforms around the hub, each a real simulator served on a loopback port: Amazon,
Shopify, the reference warehouse twice (US-EAST and DE-CENTRAL) and UPS.

One :class:`ManualClock` is the time of every simulator and of the hub, so the warehouse's
picking and the carrier's scans happen when the demo moves the clock, never by sleeping.
The warehouses call the hub back through ``deliver`` (the hub's callback handler).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
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


@dataclass
class World:
    """The running simulators: their state objects and base URLs."""

    clock: ManualClock
    urls: dict[str, str] = field(default_factory=dict)
    amazon: Any = None  # AmazonState
    shop: Any = None  # ShopSimulator
    warehouses: dict[str, Any] = field(default_factory=dict)  # code -> WarehouseSimulator
    ups: Any = None  # UpsSimulator
    secrets: dict[str, str] = field(default_factory=dict)  # warehouse code -> signing secret

    started: float = field(default_factory=time.monotonic)
    origin: datetime | None = None

    def monotonic(self) -> float:
        """The connectors' monotonic clock: real seconds plus every jump of the demo clock,
        so token lifetimes follow simulated time and rate limiters still refill."""
        jumped = (self.clock() - self.origin).total_seconds() if self.origin else 0.0
        return time.monotonic() + jumped

    async def advance(self, by: Any) -> None:
        """Let time pass: every warehouse progresses and sends its due callbacks."""
        self.clock.tick(by)
        for code in sorted(self.warehouses):
            await self.warehouses[code].advance()


def demo_clock() -> ManualClock:
    return ManualClock(datetime.now(UTC).replace(microsecond=0))


@contextmanager
def running_world(
    scenario: Scenario, clock: ManualClock, deliver: dict[str, Deliver]
) -> Iterator[World]:
    """Start every simulator on a free loopback port for the duration of the block."""
    start = clock()
    world = World(clock=clock, origin=start)
    with ExitStack() as stack:

        def serve(name: str, app: Any) -> None:
            port = stack.enter_context(serving(app, port=0))
            world.urls[name] = f"http://127.0.0.1:{port}"

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
                hub_url=f"hub://callbacks/warehouse/{code}",
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
