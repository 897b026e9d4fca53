"""The engine bench's platforms: one process serving every seller's Shopify shop and reference
warehouse on loopback (uvicorn), each request delayed by a fixed latency, so the hub's
workers wait on the network as they do in production.

Seller ``k`` (:class:`Seller`) has a shop listing four SKUs of its own and ``orders`` open
orders of them, and a warehouse of its own holding ``OPENING`` of each; the warehouse ships
what it is sent on its own (a pump) and calls the hub back over HTTP. A control app (on its
own port, never delayed) answers what the bench asks of the platforms' state: progress,
the ground truth for the checks, one listing's quantity, and clears the journals.

``python -m bench.engine_sims SELLERS ORDERS LATENCY HUB_URL`` prints one JSON line (the
ports) and serves until its stdin closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI

from channelhub.demo.channels import shop_data
from channelhub.demo.scenario import DemoOrder, Scenario
from channelhub.simulators import shopify
from channelhub.simulators import warehouse as reference_warehouse
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import wall_clock

#: the SKUs every seller lists (each under its own prefix) and the units of each it opens with
SINGLES = ("MUG-RED", "MUG-BLUE", "TEE-M", "CAP-BLK")
OPENING = 100
SHOP_TOKEN = "shpat_enginebench"
#: seconds between two passes of a warehouse (accept, pick, pack, ship: one stage a pass)
PUMP_SECONDS = 0.25


@dataclass(frozen=True)
class Seller:
    """One simulated seller account: its names on both sides."""

    index: int

    @property
    def account(self) -> str:
        return f"shop-{self.index:03}"

    @property
    def warehouse(self) -> str:
        return f"W{self.index:03}"

    @property
    def warehouse_account(self) -> str:
        return f"wh-{self.index:03}"

    @property
    def secret(self) -> str:
        return f"whsec_bench_{self.index:03}"

    def sku(self, plain: str) -> str:
        return f"S{self.index:03}-{plain}"

    def orders(self, count: int) -> list[DemoOrder]:
        """Its open orders: one line of one of its SKUs, one or two units (seeded)."""
        rng = random.Random(self.index)
        return [
            DemoOrder(
                n, rng.choice(("DE", "FR", "NL")), ((rng.choice(SINGLES), rng.randint(1, 2)),)
            )
            for n in range(1, count + 1)
        ]

    def expected(self, count: int) -> dict[str, int]:
        """Each SKU's quantity on the shop once every order shipped."""
        ordered = Counter[str]()
        for order in self.orders(count):
            for sku, quantity in order.lines:
                ordered[self.sku(sku)] += quantity
        return {self.sku(sku): OPENING - ordered[self.sku(sku)] for sku in SINGLES}


@dataclass
class Platforms:
    """The served simulators of every seller."""

    sellers: list[Seller]
    orders: int
    shops: list[Any]
    warehouses: list[Any]

    def sims(self) -> list[Simulator]:
        return [*self.shops, *self.warehouses]

    def progress(self) -> dict[str, Any]:
        """Sellers whose every order carries a fulfilment and whose quantities are final."""
        done = sum(
            1
            for seller, shop in zip(self.sellers, self.shops, strict=True)
            if all(o["fulfillments"] for o in shop.shop.data.orders.values())
            and _quantities(shop) == seller.expected(self.orders)
        )
        return {"done": done, "sellers": len(self.sellers)}

    def state(self) -> dict[str, Any]:
        """The ground truth per seller: orders and their tracking numbers at the shop, the
        warehouse's orders by idempotency key, its creates received, quantities, requests."""
        out = []
        for seller, shop, wh in zip(self.sellers, self.shops, self.warehouses, strict=True):
            warehouse = wh.app.state.warehouse
            creates = Counter(
                (entry.json() or {}).get("idempotency_key")
                for entry in wh.journal.matching("POST")
                if entry.path.endswith("/outbound-orders") and entry.body
            )
            out.append(
                {
                    "account": seller.account,
                    "orders": {
                        str(o["legacyResourceId"]): [
                            info.get("number")
                            for f in o["fulfillments"]
                            for info in f.get("trackingInfo") or []
                        ]
                        for o in shop.shop.data.orders.values()
                    },
                    "warehouse_orders": {
                        key: order.warehouse_order_id for key, order in warehouse.orders.items()
                    },
                    "creates": dict(creates),
                    "quantities": _quantities(shop),
                    "expected": seller.expected(self.orders),
                    "requests": {"shop": len(shop.journal), "warehouse": len(wh.journal)},
                    "throttled": sum(1 for e in shop.shop.journal if e.outcome == "throttled")
                    + sum(1 for sim in (shop, wh) for e in sim.journal.entries if e.status == 429),
                }
            )
        return {"sellers": out}

    def clear(self) -> None:
        for sim in self.sims():
            sim.journal.clear()
        for shop in self.shops:
            shop.shop.journal.clear()


def _quantities(shop: Any) -> dict[str, int]:
    return {
        str(variant["sku"]): int(variant.get("inventoryQuantity") or 0)
        for variant in shop.shop.data.variants()
    }


def control_app(platforms: Platforms) -> FastAPI:
    """What the bench asks of the platforms (never delayed, never journaled)."""
    app = FastAPI()

    @app.get("/progress")
    async def progress() -> dict[str, Any]:
        return platforms.progress()

    @app.get("/state")
    async def state() -> dict[str, Any]:
        return platforms.state()

    @app.get("/quantity/{index}/{sku}")
    async def quantity(index: int, sku: str) -> dict[str, Any]:
        return {"quantity": _quantities(platforms.shops[index]).get(sku), "at": time.time()}

    @app.delete("/journals")
    async def clear() -> None:
        platforms.clear()

    return app


def build(sellers: int, orders: int, latency: float, hub_url: str) -> Platforms:
    """Every seller's shop and warehouse (not yet served)."""
    start = datetime.now(UTC).replace(microsecond=0)
    people = [Seller(k) for k in range(sellers)]
    shops, warehouses = [], []
    for seller in people:
        data = shop_data(
            Scenario(shopify=seller.orders(orders)), start,
            domain=f"{seller.account}.myshopify.com", listings=SINGLES, sku_of=seller.sku,
        )  # fmt: skip
        shop = shopify.create_app(seed=seller.index, data=data, access_token=SHOP_TOKEN,
                                  in_process=False)  # fmt: skip
        wh = reference_warehouse.create_simulator(
            seed=seller.index, in_process=False, secret=seller.secret,
            hub_url=f"{hub_url}/callbacks/warehouse/{seller.warehouse_account}",
            clock=wall_clock, stock={seller.sku(s): OPENING for s in SINGLES},
            warehouse=seller.warehouse, stage_after=timedelta(microseconds=1),
            pump_seconds=PUMP_SECONDS,
        )  # fmt: skip
        for sim in (shop, wh):
            sim.faults.update(latency_seconds=latency)
        shops.append(shop)
        warehouses.append(wh)
    return Platforms(people, orders, shops, warehouses)


async def serve_all(platforms: Platforms) -> None:
    """Every simulator on one event loop (threads of their own, one per server, would queue
    for the GIL: at 50 sellers connections then waited seconds to be accepted)."""
    apps = [*platforms.shops, *platforms.warehouses, control_app(platforms)]
    servers = [_Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
               for app in apps]  # fmt: skip
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    while not all(server.started for server in servers):
        if any(task.done() for task in tasks):
            raise RuntimeError("a simulator did not start")
        await asyncio.sleep(0.01)
    ports = [server.servers[0].sockets[0].getsockname()[1] for server in servers]
    n = len(platforms.shops)
    print(json.dumps({"control": ports[-1], "shops": ports[:n], "warehouses": ports[n:-1]}),
          flush=True)  # fmt: skip
    await asyncio.to_thread(sys.stdin.read)  # until the bench closes it (or dies)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # many servers share the loop: none of them
        return None

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def main(sellers: int, orders: int, latency: float, hub_url: str) -> None:
    asyncio.run(serve_all(build(sellers, orders, latency, hub_url)))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
