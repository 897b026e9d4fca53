"""Orders as they happen on Shopify: the hub registers orders/create, orders/updated (and
bulk_operations/finish) with the simulated shop (idempotently), and the shop's signed webhooks
reach the hub's route and are taken in."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.accounts.subscriptions import subscribe_orders, webhook_address
from channelhub.simulators.shopify import create_app as create_shop
from channelhub.store.crypto import Vault
from channelhub.store.tables.orders import OrderRow
from tests.jobs.fakes import ACCOUNT
from tests.jobs.test_shopify_flow import ShopTime, add_shop_account

pytestmark = pytest.mark.anyio
SECRET = "shpss_webhook_secret"
SHOP = "live-shop"
HUB = "http://hub.test"


@pytest.fixture
def live_shop(session_factory: sessionmaker[Session], vault: Vault) -> Any:
    time = ShopTime()
    sim = create_shop(seed=9, orders=3, clock=time.clock, now=time.now, webhook_secret=SECRET)
    settings = {"api_version": "2025-01"}
    add_shop_account(
        session_factory, vault, now=time.now(), settings=settings, name=SHOP, secret=SECRET
    )
    factory = ConnectorFactory(
        vault, transport=httpx.ASGITransport(app=sim), now=time.now, clock=time.clock
    )
    hub = create_app(
        session_factory=session_factory,
        connector_factory=factory,
        now=time.now,
        background_intake=False,
    )
    sim.shop.webhooks.transport = httpx.ASGITransport(app=hub)  # the shop calls the hub
    return sim, time, factory, hub


def _document(factory: sessionmaker[Session], order_id: str) -> dict[str, Any]:
    with factory() as session:
        row = session.scalars(
            select(OrderRow).where(OrderRow.account == SHOP, OrderRow.external_id == order_id)
        ).one()
        return dict(row.document)


async def test_subscribed_shop_sends_orders_to_the_hub_as_they_happen(
    session_factory: sessionmaker[Session], live_shop: Any
) -> None:
    sim, time, factory, hub = live_shop
    lines = await subscribe_orders(session_factory, SHOP, connector_factory=factory, hub_url=HUB)
    made = "ORDERS_CREATE, ORDERS_UPDATED, BULK_OPERATIONS_FINISH"
    assert lines == [f"{made} now delivered to {HUB}/webhooks/{SHOP}"]
    again = await subscribe_orders(session_factory, SHOP, connector_factory=factory, hub_url=HUB)
    assert "unchanged" in again[0]
    webhooks = sim.shop.webhooks
    assert sorted(s["topic"] for s in webhooks.subscriptions) == [
        "BULK_OPERATIONS_FINISH",
        "ORDERS_CREATE",
        "ORDERS_UPDATED",
    ]
    # the simulator executes every document against the vendored 2025-01 schema
    assert sim.shop.calls("webhookSubscriptionCreate") == 3
    assert sim.shop.calls("webhookSubscriptions") == 2
    assert sim.shop.calls("webhookSubscriptionCreate", outcome="invalid") == 0

    placed = await webhooks.place_order()
    assert webhooks.delivered == [("ORDERS_CREATE", f"{HUB}/webhooks/{SHOP}", 200)]
    assert hub.state.hub.intake.run_once().processed == 1
    assert _document(session_factory, placed)["external_id"] == placed

    time.t += 60
    await webhooks.update_order(placed, note="leave at the door")
    assert webhooks.delivered[-1][0] == "ORDERS_UPDATED" and webhooks.delivered[-1][2] == 200
    assert hub.state.hub.intake.run_once().processed == 1
    assert _document(session_factory, placed)["remarks"] == "leave at the door"
    # no order was read back through the API: the webhook body is the order
    assert sim.shop.calls("order") == 0 and sim.shop.calls("orders") == 0


async def test_subscribe_needs_the_hub_address_and_refuses_other_cases_in_one_line(
    session_factory: sessionmaker[Session], live_shop: Any
) -> None:
    _sim, _time, factory, _hub = live_shop
    with pytest.raises(ConfigError, match="--hub-url"):
        await subscribe_orders(session_factory, SHOP, connector_factory=factory)
    with pytest.raises(InvalidInput, match="not an http"):
        webhook_address("hub.example.com", SHOP)
    lines = await subscribe_orders(
        session_factory, ACCOUNT, connector_factory=lambda row: _Closable()
    )
    assert "polling" in lines[0]


class _Closable:
    async def aclose(self) -> None:
        return None
