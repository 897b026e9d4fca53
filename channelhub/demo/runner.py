"""``run_demo``: start the world, set up the hub, run every stage, return the summary."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from channelhub.demo import discrepancies, flow
from channelhub.demo.channels import AMAZON_MARKETS, SELLER_ID, SHOP_LOCATION
from channelhub.demo.home import add_demo_account, open_hub, prepare_home, seed_catalogue
from channelhub.demo.scenario import (
    AMAZON_ACCOUNT,
    SHOPIFY_ACCOUNT,
    UPS_ACCOUNT,
    WAREHOUSES,
    build_scenario,
)
from channelhub.demo.summary import DemoSummary
from channelhub.demo.world import (
    AMAZON_ACCOUNT_CREDENTIALS,
    SHOPIFY_TOKEN,
    UPS_CLIENT,
    World,
    demo_clock,
    running_world,
)
from channelhub.jobs.reconciliation.run import LOOKBACK_SETTING, REPAIR_SETTING
from channelhub.simulators.warehouse.engine import Deliver

#: Ordinary orders per channel for the default run (plus the 9 special ones: 21 orders).
DEFAULT_SIZE = 6
#: Demo seconds per real second between the demo's jumps: Amazon's searchOrders refills one
#: call per 3 minutes and createFeed one per 2; at 60x those waits take 3 s and 2 s, real 429s
#: answered and waited out by the connectors as in production.
DEFAULT_SPEED = 60.0


#: The demo seller lets scheduled reconciliation apply its safe repairs, over 5 days.
RECONCILE_SETTINGS = {REPAIR_SETTING: "true", LOOKBACK_SETTING: 5}

#: What ``demo --keep`` runs once the summary is complete, while the simulators still run.
Keep = Callable[[DemoSummary, flow.Hub], Awaitable[None]]


def _accounts(hub: flow.Hub, world: World) -> None:
    now = world.clock()
    with hub.sessions.begin() as session:
        add_demo_account(
            session,
            hub.vault,
            platform="amazon",
            name=AMAZON_ACCOUNT,
            base_url=world.urls["amazon"],
            credentials=AMAZON_ACCOUNT_CREDENTIALS,
            settings={
                "seller_id": SELLER_ID,
                "marketplace_ids": [m.marketplace_id for m in AMAZON_MARKETS],
                "lwa_url": f"{world.urls['amazon']}/auth/o2/token",
                "initial_lookback_days": 2,
                **RECONCILE_SETTINGS,
                "jobs": {"push_stock": True},  # the seller's switch: stock sync on
            },
            now=now,
        )
        add_demo_account(
            session,
            hub.vault,
            platform="shopify",
            name=SHOPIFY_ACCOUNT,
            base_url=world.urls["shopify"],
            credentials={"access_token": SHOPIFY_TOKEN, "api_secret": "demo-app-secret"},
            settings={
                "api_version": "2025-01",
                "location_id": str(SHOP_LOCATION),
                **RECONCILE_SETTINGS,
                "jobs": {"push_stock": True},  # the seller's switch: stock sync on
            },
            now=now,
        )
        for code, (account, _) in WAREHOUSES.items():
            add_demo_account(
                session,
                hub.vault,
                platform="outbound_protocol",
                name=account,
                base_url=world.urls[code],
                credentials={"secret": world.secrets[code]},
                settings={"warehouse": code},
                now=now,
            )
        add_demo_account(
            session,
            hub.vault,
            platform="ups",
            name=UPS_ACCOUNT,
            base_url=world.urls["ups"],
            credentials={"client_id": UPS_CLIENT[0], "client_secret": UPS_CLIENT[1]},
            settings={},
            now=now,
        )
        seed_catalogue(session, now=now)


async def run_demo(
    home: Path,
    *,
    size: int = DEFAULT_SIZE,
    speed: float = DEFAULT_SPEED,
    progress: Callable[[str], None] | None = None,
    keep: Keep | None = None,
) -> DemoSummary:
    """The whole flow against the simulators, in a fresh demo home at ``home``.

    ``speed`` is how much faster than real time the demo clock runs (0: virtual time, every
    wait returns at once having moved the clock; what the tests use). ``keep``, when given,
    is awaited with the finished summary before the simulators stop (``demo --keep``)."""
    started = time.monotonic()
    say = progress or (lambda message: None)
    summary = DemoSummary()
    say("preparing the demo home")
    settings = prepare_home(home)
    sessions, vault = open_hub(settings)
    scenario = build_scenario(size)
    clock = demo_clock(speed)
    summary.clock_start = clock.origin
    handlers: dict[str, Deliver] = {}
    hub_ref: list[flow.Hub] = []

    def late_bound(code: str) -> Deliver:
        async def deliver(url: str, headers: dict[str, str], body: bytes) -> int:
            return await hub_ref[0].callback_handler(code)(url, headers, body)

        return deliver

    for code in WAREHOUSES:
        handlers[code] = late_bound(code)
    say("starting the simulators (Amazon, Shopify, 2 warehouses, UPS)")
    with running_world(scenario, clock, handlers) as world:
        hub = flow.Hub(
            sessions=sessions,
            vault=vault,
            home=settings.home,
            world=world,
            summary=summary,
            progress=say,
        )
        hub_ref.append(hub)
        try:
            _accounts(hub, world)
            summary.mark("setup")
            say(f"{flow.DONE} setup: demo home {home}, simulators on {len(world.urls)} ports")
            stages = (
                ("import orders and listings", lambda: flow.import_channels(hub)),
                ("pair, review, allocate", lambda: flow.plan_orders(hub)),
                ("dispatch to the warehouses", lambda: flow.dispatch(hub)),
                ("warehouses ship and call back", lambda: flow.ship(hub)),
                ("tracking to the channels", lambda: flow.push_tracking(hub)),
                ("carrier events", lambda: flow.carrier_events(hub)),
                ("stock push", lambda: flow.push_stock(hub)),
                ("reconciliation", lambda: discrepancies.reconcile(hub, scenario.total + 1)),
            )
            try:
                for name, run in stages:
                    await hub.stage(name, run)
            finally:
                summary.clock_end = clock()
                summary.throttled = world.throttled()
                summary.waited_seconds = clock.waited
                summary.elapsed_seconds = time.monotonic() - started
            if keep is not None:
                await keep(summary, hub)
        finally:
            await hub.aclose()
            sessions.kw["bind"].dispose()
    return summary
