"""Each sales channel's real connector against its simulator, as an account the jobs run.

A rig seeds a simulator, adds the account (credentials in the vault) and hands the jobs a
:class:`~channelhub.jobs.accounts.connectors.ConnectorFactory` speaking to it in process; ``orders``
gives the simulator's own order bodies so a test can poison one before the import reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account


@dataclass
class ChannelRig:
    platform: str
    account: str
    sim: Any
    now: Callable[[], datetime]
    factory: ConnectorFactory
    orders: dict[str, dict[str, Any]]  # external id -> the simulator's order body
    lookback: timedelta


def _factory(vault: Vault, sim: Any, time: Any) -> ConnectorFactory:
    return ConnectorFactory(
        vault,
        transport=httpx.ASGITransport(app=sim),
        now=time.now,
        sleep=time.sleep,
        clock=time.clock,
    )


class _Time:
    def __init__(self, start: datetime) -> None:
        self.start, self.t = start, 0.0

    def clock(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(seconds, 0.0)


def _add(
    factory: sessionmaker[Session],
    vault: Vault,
    *,
    platform: str,
    name: str,
    credentials: dict[str, str],
    base_url: str,
    settings: dict[str, Any],
    now: datetime,
) -> None:
    with factory.begin() as session:
        add_account(
            session,
            vault,
            platform=platform,
            name=name,
            credentials={k: SecretStr(v) for k, v in credentials.items()},
            now=now,
            base_url=base_url,
            settings=settings,
        )


def amazon(factory: sessionmaker[Session], vault: Vault, count: int) -> ChannelRig:
    from channelhub.simulators.amazon import MARKETPLACES, create_app
    from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
    from tests.amazon.harness import START

    time = _Time(START)
    sim = create_app(now=time.now, order_count=count)
    _add(
        factory,
        vault,
        platform="amazon",
        name="acme-amazon",
        credentials=dict(DEFAULT_CREDENTIALS),
        base_url="http://sp.sim",
        settings={
            "seller_id": "A1SIMSELLER",
            "marketplace_ids": [m.marketplace_id for m in MARKETPLACES],
            "lwa_url": "http://sp.sim/auth/o2/token",
            "page_size": 20,
        },
        now=time.now(),
    )
    orders = sim.state.orders
    return ChannelRig(
        "amazon", "acme-amazon", sim, time.now, _factory(vault, sim, time), orders, timedelta(60)
    )


def ebay(factory: sessionmaker[Session], vault: Vault, count: int) -> ChannelRig:
    from channelhub.simulators.ebay import (
        DEFAULT_CLIENT_ID,
        DEFAULT_CLIENT_SECRET,
        DEFAULT_REFRESH_TOKEN,
    )
    from tests.ebay.harness import NOW, simulator

    time = _Time(NOW)
    sim = simulator(order_count=count)
    _add(
        factory,
        vault,
        platform="ebay",
        name="acme-ebay",
        credentials={
            "client_id": DEFAULT_CLIENT_ID,
            "client_secret": DEFAULT_CLIENT_SECRET,
            "refresh_token": DEFAULT_REFRESH_TOKEN,
            "verification_token": "verify-me-0123456789-abcdefghij-klmnop",
        },
        base_url="http://ebay.sim",
        settings={"notification_endpoint": "https://hub.example.com/webhooks/ebay/acme-ebay"},
        now=time.now(),
    )
    return ChannelRig(
        "ebay",
        "acme-ebay",
        sim,
        time.now,
        _factory(vault, sim, time),
        sim.shop.orders,
        timedelta(120),
    )


def shopify(factory: sessionmaker[Session], vault: Vault, count: int) -> ChannelRig:
    from datetime import UTC

    from channelhub.simulators.shopify import create_app as create_shop

    time = _Time(datetime(2026, 3, 1, tzinfo=UTC))
    sim = create_shop(seed=5, orders=count, clock=time.clock, now=time.now)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    _add(
        factory,
        vault,
        platform="shopify",
        name="sim-shop",
        credentials={"access_token": "shpat_simulator", "api_secret": "shpss_webhook_secret"},
        base_url="https://channelhub-sim.myshopify.com",
        settings={"api_version": "2025-01", "location_id": location},
        now=time.now(),
    )
    orders = {o["legacyResourceId"]: o for o in sim.shop.data.orders.values()}
    return ChannelRig(
        "shopify", "sim-shop", sim, time.now, _factory(vault, sim, time), orders, timedelta(800)
    )


def temu(factory: sessionmaker[Session], vault: Vault, count: int) -> ChannelRig:
    from channelhub.simulators.temu import (
        DEFAULT_ACCESS_TOKEN,
        DEFAULT_APP_KEY,
        DEFAULT_APP_SECRET,
        create_simulator,
    )
    from tests.temu.harness import START

    time = _Time(START)
    sim = create_simulator(seed=3, now=time.now, clock=time.clock, sleep=time.sleep)
    keep = list(sim.shop.parents)[:count]
    for key in list(sim.shop.parents):
        if key not in keep:
            del sim.shop.parents[key]
    _add(
        factory,
        vault,
        platform="temu",
        name="temu-us",
        credentials={
            "app_key": DEFAULT_APP_KEY,
            "app_secret": DEFAULT_APP_SECRET,
            "access_token": DEFAULT_ACCESS_TOKEN,
        },
        base_url="http://temu.sim",
        # a currency other than the mapping's default: a replay must map the same way
        settings={"region": "us", "carrier_ids": {"USPS": "699272611"}, "currency": "EUR"},
        now=time.now(),
    )
    return ChannelRig(
        "temu",
        "temu-us",
        sim,
        time.now,
        _factory(vault, sim, time),
        sim.shop.parents,
        timedelta(60),
    )


RIGS: dict[str, Callable[[sessionmaker[Session], Vault, int], ChannelRig]] = {
    "amazon": amazon,
    "ebay": ebay,
    "shopify": shopify,
    "temu": temu,
}
