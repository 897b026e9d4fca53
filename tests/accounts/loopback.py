"""Every platform's simulator with an account that works against it, behind a transport that
records each request URL and refuses any host that is not loopback."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.plugin import ConnectorContext
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS as AMAZON_CREDENTIALS
from channelhub.simulators.amazon.app import create_app as amazon_app
from channelhub.simulators.amazon.catalog import MARKETPLACES
from channelhub.simulators.amazon_mcf import create_simulator as mcf_sim
from channelhub.simulators.clock import ManualClock
from channelhub.simulators.easypost import create_simulator as easypost_sim
from channelhub.simulators.ebay import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_REFRESH_TOKEN,
)
from channelhub.simulators.ebay import create_simulator as ebay_sim
from channelhub.simulators.fourpx import DEFAULT_CREDENTIALS as FOURPX_CREDENTIALS
from channelhub.simulators.fourpx import create_simulator as fourpx_sim
from channelhub.simulators.goodcang import DEFAULT_CREDENTIALS as GOODCANG_CREDENTIALS
from channelhub.simulators.goodcang import create_simulator as goodcang_sim
from channelhub.simulators.shipbob import create_simulator as shipbob_sim
from channelhub.simulators.shopify.app import create_app as shopify_app
from channelhub.simulators.temu import (
    DEFAULT_ACCESS_TOKEN,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
)
from channelhub.simulators.temu import create_simulator as temu_sim
from channelhub.simulators.ups import create_simulator as ups_sim
from channelhub.simulators.walmart import DEFAULT_CLIENT_ID as WALMART_CLIENT_ID
from channelhub.simulators.walmart import DEFAULT_CLIENT_SECRET as WALMART_CLIENT_SECRET
from channelhub.simulators.walmart import create_simulator as walmart_sim
from channelhub.simulators.warehouse import create_simulator as warehouse_sim
from channelhub.simulators.winit import DEFAULT_CREDENTIALS as WINIT_CREDENTIALS
from channelhub.simulators.winit import create_simulator as winit_sim
from channelhub.simulators.wish import DEFAULT_CLIENT_ID as WISH_CLIENT_ID
from channelhub.simulators.wish import DEFAULT_CLIENT_SECRET as WISH_CLIENT_SECRET
from channelhub.simulators.wish import DEFAULT_REFRESH_TOKEN as WISH_REFRESH_TOKEN
from channelhub.simulators.wish import WAREHOUSE_ID as WISH_WAREHOUSE
from channelhub.simulators.wish import create_simulator as wish_sim

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
BASE_URL = "http://127.0.0.1:9"  # never dialled: the transport answers in process


class LeftLoopback(AssertionError):
    """A request went to a host that is not loopback."""


class LoopbackOnly(httpx.AsyncBaseTransport):
    """Records every request URL; answers loopback ones from the simulator, refuses others."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if request.url.host not in LOOPBACK:
            raise LeftLoopback(f"a request left loopback: {request.url}")
        return await self.inner.handle_async_request(request)


@dataclass
class Setup:
    """One platform's simulator and an account that works against it."""

    platform: str
    app: Callable[[], Any]
    credentials: Mapping[str, str]
    settings: Mapping[str, Any] = field(default_factory=dict)
    exercise: Callable[[Any, datetime], Awaitable[object]] | None = None
    now: Callable[[], datetime] = lambda: datetime.now(UTC)

    def context(
        self, transport: httpx.AsyncBaseTransport, *, credentials: Mapping[str, str] | None = None
    ) -> ConnectorContext:
        return ConnectorContext(
            platform=self.platform,
            account=f"my-{self.platform}",
            base_url=BASE_URL,
            credentials={k: SecretStr(v) for k, v in (credentials or self.credentials).items()},
            settings=dict(self.settings),
            transport=transport,
            now=self.now,
        )


async def _first_order_page(connector: Any, now: datetime) -> object:
    since = now - timedelta(days=3)
    async for page in connector.pull_orders(since=since):
        return page
    return None


async def _first_stock_page(connector: Any, now: datetime) -> object:
    async for page in connector.get_stock_levels():
        return page
    return None


async def _unknown_outbound(connector: Any, now: datetime) -> object:
    WAREHOUSE_CLOCK.tick(timedelta(seconds=1))  # the check signed the same empty body just now
    try:
        return await connector.get_outbound("channelhub-loopback-probe")
    except NotFoundError:
        return None


async def _track(connector: Any, now: datetime) -> object:
    return await connector.track("1Z999AA10123456784")


WAREHOUSE_CLOCK = ManualClock()
WALMART_CLOCK = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))
MCF_CLOCK = ManualClock()
#: WINIT and 4PX verify each request's timestamp against their own clock
OVERSEAS_CLOCK = ManualClock()
#: the Temu simulator's token expires at a fixed time; its shop lives in early 2026
TEMU_CLOCK = ManualClock(datetime(2026, 3, 1, tzinfo=UTC))

SETUPS: dict[str, Setup] = {
    "amazon": Setup(
        "amazon",
        lambda: amazon_app(rate_limits=False, order_count=5, listing_count=3),
        AMAZON_CREDENTIALS,
        {"seller_id": "A1SIMSELLER", "marketplace_ids": [MARKETPLACES[0].marketplace_id]},
        _first_order_page,
    ),
    "ebay": Setup(
        "ebay",
        lambda: ebay_sim(order_count=5),
        {
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN,
        },
        {},
        _first_order_page,
    ),
    "shopify": Setup(
        "shopify",
        lambda: shopify_app(orders=3, products=2),
        {"access_token": "shpat_simulator"},
        {},
        _first_order_page,
    ),
    "temu": Setup(
        "temu",
        lambda: temu_sim(order_count=5, now=TEMU_CLOCK),
        {
            "app_key": DEFAULT_APP_KEY,
            "app_secret": DEFAULT_APP_SECRET,
            "access_token": DEFAULT_ACCESS_TOKEN,
        },
        {},
        _first_order_page,
        TEMU_CLOCK,
    ),
    "walmart": Setup(
        "walmart",
        lambda: walmart_sim(order_count=5, now=WALMART_CLOCK),
        {"client_id": WALMART_CLIENT_ID, "client_secret": WALMART_CLIENT_SECRET},
        {},
        _first_order_page,
        WALMART_CLOCK,
    ),
    "wish": Setup(
        "wish",
        lambda: wish_sim(order_count=5, now=WALMART_CLOCK),
        {
            "client_id": WISH_CLIENT_ID,
            "client_secret": WISH_CLIENT_SECRET,
            "refresh_token": WISH_REFRESH_TOKEN,
        },
        {"warehouse_id": WISH_WAREHOUSE},
        _first_order_page,
        WALMART_CLOCK,
    ),
    "shipbob": Setup(
        "shipbob", shipbob_sim, {"pat": "pat_sim"}, {"channel_id": "101"}, _first_stock_page
    ),
    "outbound_protocol": Setup(
        "outbound_protocol",
        lambda: warehouse_sim(clock=WAREHOUSE_CLOCK),
        {"secret": "whsec_sim"},
        {},
        _unknown_outbound,
        WAREHOUSE_CLOCK,
    ),
    "ups": Setup(
        "ups", ups_sim, {"client_id": "ups-client", "client_secret": "ups-secret"}, {}, _track
    ),
    "easypost": Setup("easypost", easypost_sim, {"api_key": "EZTK_sim"}, {}, _track),
    "amazon_mcf": Setup(
        "amazon_mcf",
        lambda: mcf_sim(clock=MCF_CLOCK),
        AMAZON_CREDENTIALS,
        {"marketplace_id": MARKETPLACES[0].marketplace_id},
        _first_stock_page,
        MCF_CLOCK,
    ),
    "goodcang": Setup(
        "goodcang",
        goodcang_sim,
        GOODCANG_CREDENTIALS,
        {"warehouses": {"GC-DE": "DEWH"}},
        _first_stock_page,
    ),
    "winit": Setup(
        "winit",
        lambda: winit_sim(clock=OVERSEAS_CLOCK),
        WINIT_CREDENTIALS,
        {"warehouse_codes": {"WINIT-US": "1000008"}, "default_shipping_method": "1000001"},
        _first_stock_page,
        OVERSEAS_CLOCK,
    ),
    "fourpx": Setup(
        "fourpx",
        lambda: fourpx_sim(clock=OVERSEAS_CLOCK),
        FOURPX_CREDENTIALS,
        {"warehouse_codes": {"4PX-US": "USLAXA"}, "default_shipping_method": "F3"},
        _first_stock_page,
        OVERSEAS_CLOCK,
    ),
}
