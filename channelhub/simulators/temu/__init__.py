"""Temu Open API simulator: one ``/openapi/router`` per region, dispatching on ``type``.

Contract unverified: Temu publishes no spec. This follows the partner-docs transcript in
contracts/temu/ (third-party copy, github vanky2viva/temu-omni@8ae3867): every call a
JSON POST with common params ``app_key, access_token, timestamp, data_type, sign`` checked in
the gateway's order with its error codes (3000xxx), the MD5 signature recomputed, timestamps
within ±300 s of the simulator's clock, ~20 requests/s per app key (4000004 beyond), errors
as HTTP 200 with ``success: false``; pages from 1 and ``pageSize`` <= 100. Implemented types:
bg.order.list.v2.get, bg.order.detail.v2.get, bg.order.shippinginfo.v2.get (seeded US/DE/SA/AE
addresses for merchant-fulfilled parents; 180020004 for cooperative-warehouse ones; per-parent
refusals switchable through ``shop.shipping_info_errors``), bg.local.goods.list.query,
bg.local.goods.stock.edit (parameters are our reading, see mappings/temu/builders.py),
bg.logistics.shipment.confirm and bg.open.accesstoken.info.get. Faults, journal and
throttling come from the SDK's simulator framework.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from channelhub.simulators.base import Simulator
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.temu.data import TemuShop, build_shop
from channelhub.simulators.temu.router import LIMITS, install_router

DEFAULT_APP_KEY = "sim-app-key-0001"
DEFAULT_APP_SECRET = "sim-app-secret-0001-abcdef"
DEFAULT_ACCESS_TOKEN = "sim-access-token-0001-abcdef"
SIMULATOR_INFO = SimulatorInfo(
    platform="temu",
    account="my-temu",
    credentials={
        "app_key": DEFAULT_APP_KEY,
        "app_secret": DEFAULT_APP_SECRET,
        "access_token": DEFAULT_ACCESS_TOKEN,
    },
    settings={"region": "us"},
)


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    region: str = "us",
    order_count: int = 300,
    app_key: str = DEFAULT_APP_KEY,
    app_secret: str = DEFAULT_APP_SECRET,
    access_token: str = DEFAULT_ACCESS_TOKEN,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    **options: Any,
) -> Simulator:
    """One region's router with ``order_count`` seeded parent orders, created in the weeks
    before ``now()`` at start (so a first import with the default lookback takes them all)."""
    sim = Simulator(
        platform=f"temu-{region}", seed=seed, limits=LIMITS, in_process=in_process, **options
    )
    shop = build_shop(
        seed,
        order_count=order_count,
        app_key=app_key,
        app_secret=app_secret,
        access_token=access_token,
        anchor=now(),
    )
    install_router(sim, shop, now=now)
    sim.shop = shop  # type: ignore[attr-defined]
    return sim


create_app = create_simulator

__all__ = [
    "DEFAULT_ACCESS_TOKEN",
    "DEFAULT_APP_KEY",
    "DEFAULT_APP_SECRET",
    "SIMULATOR_INFO",
    "TemuShop",
    "create_app",
    "create_simulator",
]
