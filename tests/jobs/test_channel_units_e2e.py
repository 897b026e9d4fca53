"""Bundles end to end: the fulfilment pushed after a shipment speaks the channel's units.

A 2-pack on Amazon (order line qty q = TEE-M x 2q) and a combo on Shopify (SET-MUGS = MUG x 2
+ COASTER x 1, its parts in two parcels) go order -> pipeline -> warehouse -> shipment ->
push, against the channels' simulators in process; the push is accepted and read back with
the order line's own quantity.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.roles import SalesChannel
from channelhub.connectors.shopify import InMemoryWebhookDedupe, ShopifyConnector
from channelhub.core.bindings import Binding, Scope
from channelhub.core.models import (
    MovementKind,
    Order,
    Package,
    PackageLine,
    Shipment,
    Sku,
    StockMovement,
    Warehouse,
)
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.push import push_tracking
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.simulators.shopify import create_app as shopify_app
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.amazon.harness import make_rig as amazon_rig
from tests.jobs.dispatch_fakes import FakeWarehouse

pytestmark = pytest.mark.anyio
WH = "US-EAST"


def seed_library(session: Session, at: Any) -> None:
    upsert_warehouse(session, Warehouse(code=WH, country="US", region="NY"), now=at)
    for code in ("TEE-M", "MUG", "COASTER"):
        upsert_sku(session, Sku(code=code), now=at)
        record_movement(
            session,
            StockMovement(
                warehouse=WH, sku=code, kind=MovementKind.RECEIVE, quantity=100, reason="in", at=at
            ),
            now=at,
        )
    upsert_sku(
        session,
        Sku.model_validate(
            {
                "code": "SET-MUGS",
                "kind": "combo",
                "components": [{"sku": "MUG", "qty": 2}, {"sku": "COASTER", "qty": 1}],
            },
            strict=False,
        ),
        now=at,
    )


def bind(session: Session, order: Order, sku: str, multiplier: int, at: Any) -> None:
    (line,) = order.lines
    assert line.channel_sku, "the simulated order line has a channel SKU"
    save_binding(
        session,
        Binding(
            scope=Scope.ACCOUNT,
            channel=order.channel,
            account=order.account,
            channel_sku=line.channel_sku,
            sku=sku,
            multiplier=multiplier,
        ),
        now=at,
        actor="test",
    )


async def hub_ships(
    factory: sessionmaker[Session],
    order: Order,
    *,
    sku: str,
    multiplier: int,
    packages: list[tuple[str, list[tuple[str, int]]]],
    at: Any,
    rebind_to: int | None = None,
) -> list[str]:
    """Import, pair, plan, dispatch, and apply one shipment; returns the deferred numbers."""
    with factory() as session, session.begin():
        seed_library(session, at)
        upsert_order(session, order, now=at)
        bind(session, order, sku, multiplier, at)
    with factory() as session, session.begin():
        plan = process_order(session, order.key, settings=PipelineSettings(), now=at)
        assert plan is not None and plan.status.value == "allocated", plan and plan.reason
    await dispatch_outbox(factory, warehouses={WH: FakeWarehouse()}, now=at)
    if rebind_to is not None:  # re-paired after planning: must not change what shipped means
        with factory() as session, session.begin():
            bind(session, order, sku, rebind_to, at)
    with factory() as session, session.begin():
        key = session.scalars(select(OutboundOrderRow.idempotency_key)).one()
        outcome = apply_shipment(
            session,
            Shipment(
                outbound_key=key,
                warehouse=WH,
                shipment_id="S-1",
                shipped_at=at,
                packages=tuple(
                    Package(
                        tracking_number=number,
                        carrier="UPS",
                        lines=tuple(PackageLine(sku=s, quantity=q) for s, q in lines),
                    )
                    for number, lines in packages
                ),
            ),
            now=at,
        )
    return list(outcome.deferred)


async def push(
    factory: sessionmaker[Session], connector: SalesChannel, order: Order, at: Any
) -> list[str]:
    summary = await push_tracking(
        factory, channels={f"{order.channel}:{order.account}": connector}, now=at
    )
    assert not summary.failures, [f.reason for f in summary.failures]
    return summary.pushed + summary.awaiting  # Amazon's: confirmed by the next order read


def pushed_lines(read_back: list[Any], number: str) -> Mapping[str, int]:
    (found,) = [f for f in read_back if f.tracking_number == number]
    return {line.order_line_id: line.quantity for line in found.lines}


async def test_amazon_two_pack_is_confirmed_in_order_line_units(engine: Engine) -> None:
    rig = amazon_rig(seed=2, order_count=60)
    connector = rig.connector()
    wire = rig.unshipped_order(lambda n: n == 1)
    order = (await connector.get_order(wire["orderId"])).item
    (line,) = order.lines
    q = line.quantity
    factory = make_session_factory(engine)
    at = rig.time.now
    deferred = await hub_ships(
        factory,
        order,
        sku="TEE-M",
        multiplier=2,
        packages=[("1ZTWOPACK", [("TEE-M", 2 * q)])],
        at=at,
        rebind_to=3,  # today's pairing says 3-pack: the recorded expansion still wins
    )
    assert deferred == []
    with factory() as session:
        decisions = order_decisions(session, get_order_row(session, order.key).id)
    (dispatch,) = [d for d in decisions if d.kind == "dispatch"]
    assert [
        (x["order_line_id"], x["sku"], x["quantity"], x["ordered_quantity"])
        for x in dispatch.detail["expansion"]
    ] == [(line.line_id, "TEE-M", 2 * q, q)]
    assert await push(factory, connector, order, at) == ["1ZTWOPACK"]
    read_back = await connector.get_fulfilments(order.external_id)
    assert pushed_lines(read_back, "1ZTWOPACK") == {line.line_id: q}
    (item,) = rig.sim.state.orders[order.external_id]["orderItems"]
    assert item["orderItemId"] == line.line_id
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


def shopify_connector() -> tuple[Any, ShopifyConnector]:
    start = 0.0
    clock = [start]
    sim = shopify_app(clock=lambda: clock[0], seed=19, orders=30, bucket_size=1e9)
    location = sim.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    context = ConnectorContext(
        platform="shopify",
        account="sim-shop",
        base_url="https://channelhub-sim.myshopify.com",
        credentials={
            "access_token": SecretStr("shpat_simulator"),
            "api_secret": SecretStr("shpss_webhook_secret"),
        },
        settings={"api_version": "2025-01", "location_id": location},
        transport=httpx.ASGITransport(app=sim),
        clock=lambda: clock[0],
        rng=random.Random(7),
    )
    return sim, ShopifyConnector(context, dedupe=InMemoryWebhookDedupe())


async def test_shopify_combo_in_two_parcels_is_fulfilled_once_whole(engine: Engine) -> None:
    sim, connector = shopify_connector()
    order_id = next(
        k
        for k, o in sim.shop.data.orders.items()
        if o["displayFulfillmentStatus"] == "UNFULFILLED"
        and not o["cancelledAt"]
        and len(o["lineItems"]) == 1
        and o["lineItems"][0]["sku"]
    )
    order = (await connector.get_order(order_id)).item
    (line,) = order.lines
    q = line.quantity
    factory = make_session_factory(engine)
    at = order.placed_at + timedelta(days=1)
    deferred = await hub_ships(
        factory,
        order,
        sku="SET-MUGS",
        multiplier=1,
        packages=[("1ZMUGS", [("MUG", 2 * q)]), ("1ZCOASTER", [("COASTER", q)])],
        at=at,
    )
    assert deferred == ["1ZMUGS"]  # mugs alone are no whole set: nothing to tell Shopify yet
    assert await push(factory, connector, order, at) == ["1ZCOASTER"]
    read_back = await connector.get_fulfilments(order_id)
    assert [f.tracking_number for f in read_back] == ["1ZCOASTER"]
    assert pushed_lines(read_back, "1ZCOASTER") == {line.line_id: q}
    assert sim.shop.data.orders[order_id]["displayFulfillmentStatus"] == "FULFILLED"
    with factory() as session:
        reasons = [d.reason for d in order_decisions(session, get_order_row(session, order.key).id)]
    assert any("package 1ZMUGS (MUG x " in r and "completes no channel unit" in r for r in reasons)
    with factory() as session:
        (message,) = session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "fulfilment")
        )
        # named by the bound combo: the expansion recorded at planning, not re-derived
        assert message.payload["package"]["lines"] == [
            {"sku": "SET-MUGS", "quantity": q, "order_line_id": line.line_id}
        ]
        assert message.payload["stock_lines"] == [
            {"sku": "COASTER", "quantity": q, "order_line_id": None}
        ]
    await connector.aclose()
