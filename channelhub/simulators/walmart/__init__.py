"""Walmart Marketplace simulator: token, released orders, order actions, items, inventory, feeds.

Follows contracts/walmart/*.yml: ``POST /v3/token`` (client credentials, Basic auth) issuing
900-second tokens; every call needs ``WM_SEC.ACCESS_TOKEN``, ``WM_QOS.CORRELATION_ID`` and
``WM_SVC.NAME``; released orders by ``createdStartDate``/``createdEndDate`` with ``limit <= 200``
and a ``meta.nextCursor`` query string (keyset: acknowledging never shifts pages); all orders
(getAllOrders) by ``lastModifiedStartDate``/``lastModifiedEndDate`` within ``createdStartDate``
(7 days back by default, 180 at most), an order's last change being its lines' latest
``statusDate`` (``data.buyer_cancels`` and ``data.refund_line`` change one after import);
acknowledge, shipping (``Shipped`` with ``trackingInfo`` per line) and cancel move line
quantities between statuses; items page by ``nextCursor``; ``PUT /v3/inventory`` per SKU and
the bulk ``inventory`` feed (multipart), whose status is ``INPROGRESS`` on the first look and
``PROCESSED`` with per-SKU results after. Walmart's error body and 429 on the shared faults,
journal and rate limits of the simulator framework.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from channelhub.simulators.base import Simulator
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.walmart.data import WalmartShop, build_shop
from channelhub.simulators.walmart.routes import (
    LIMITS,
    install_routes,
    walmart_error_response,
    walmart_throttled,
)

DEFAULT_CLIENT_ID = "sim-walmart-client"
DEFAULT_CLIENT_SECRET = "sim-walmart-secret"
SIMULATOR_INFO = SimulatorInfo(
    platform="walmart",
    account="my-walmart",
    credentials={"client_id": DEFAULT_CLIENT_ID, "client_secret": DEFAULT_CLIENT_SECRET},
)


def create_simulator(
    *,
    seed: int = 0,
    in_process: bool = True,
    order_count: int = 120,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    **options: Any,
) -> Simulator:
    """A Walmart seller with ``order_count`` released orders created before ``now()``."""
    sim = Simulator(
        platform="walmart",
        seed=seed,
        limits=LIMITS,
        throttled=walmart_throttled,
        error_response=walmart_error_response,
        caller_key=lambda request: request.headers.get("wm_sec.access_token", "-"),
        in_process=in_process,
        **options,
    )
    shop = build_shop(seed, order_count=order_count, anchor=now())
    install_routes(sim, shop, client_id=client_id, client_secret=client_secret, now=now)
    sim.shop = shop  # type: ignore[attr-defined]
    return sim


create_app = create_simulator

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "SIMULATOR_INFO",
    "WalmartShop",
    "create_app",
    "create_simulator",
]
