"""The demo-style flow against the MCF simulator, on both databases: FBA stock pulled into the
ledger, orders imported and allocated by the rules (US to the FBA warehouse, DE elsewhere),
dispatched exactly once under a crash between Amazon's "accepted" and the hub's "sent",
shipped, tracked to delivered, and the FBA stock pulled again by what changed. Every request
validated against the vendored Swagger models."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.amazon_mcf import PLUGIN, AmazonMcfWarehouse
from channelhub.core.errors import ChannelhubError
from channelhub.core.fulfilment import OutboundOrder, OutboundState
from channelhub.core.models import HubStatus, Sku, Warehouse
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.intercept import request_intercept
from channelhub.jobs.fulfilment.warehouse_hold import request_warehouse_hold
from channelhub.jobs.fulfilment.warehouse_poll import poll_warehouse
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.warehouses import import_stock, register_warehouse
from channelhub.mappings.stock_csv import parse_stock_csv
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.fulfilment import get_outbound
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.amazon_mcf.harness import ACCOUNT, SETTINGS, START, Rig, make_rig
from tests.core.orderflow_data import order
from tests.jobs.dispatch_fakes import Crash

pytestmark = pytest.mark.anyio
FBA, DE = "FBA-US", "DE-WH"
DE_ADDRESS = {
    "name": "Jonas Weber",
    "line1": "Hauptstr. 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


class CrashAfterAccepted:
    """The real connector, but the sender dies right after Amazon accepted the order."""

    def __init__(self, inner: AmazonMcfWarehouse) -> None:
        self.inner = inner
        self.platform, self.account = inner.platform, inner.account
        self.capabilities = inner.capabilities

    async def create_outbound(self, outbound: OutboundOrder) -> Any:
        await self.inner.create_outbound(outbound)
        raise Crash()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _status(factory: sessionmaker[Session], external_id: str) -> HubStatus:
    with factory() as session:
        return HubStatus(get_order_row(session, order(external_id=external_id).key).hub_status)


def _setup(engine: Engine, rig: Rig) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    vault = Vault(generate_key())
    now = rig.clock()
    with factory.begin() as session:
        add_account(
            session,
            vault,
            platform="amazon_mcf",
            name=ACCOUNT,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=now,
            base_url="http://sp.sim",
            settings=SETTINGS,
        )
        for code, country, account in ((FBA, "US", ACCOUNT), (DE, "DE", None)):
            register_warehouse(
                session,
                Warehouse(code=code, country=country, account=account),
                now=now,
                roles_of=lambda platform: PLUGIN.roles,
            )
        for sku in ("MUG-RED", "TEE-M"):
            upsert_sku(session, Sku(code=sku), now=now)
        parsed = parse_stock_csv(f"warehouse,sku,on_hand\n{DE},MUG-RED,5\n{DE},TEE-M,5\n")
        import_stock(session, parsed.rows, source="de.csv", now=now)
    return factory


async def test_import_allocate_dispatch_once_ship_track_and_pull_stock(engine: Engine) -> None:
    rig = make_rig()
    mcf = rig.connector()
    factory = _setup(engine, rig)
    pulled = await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock())
    assert pulled.adjusted == {FBA: 3}
    us = order(
        external_id="US-1",
        placed_at=START,
        updated_at=START,
        lines=[
            {"line_id": "L1", "channel_sku": "MUG-RED", "quantity": 2},
            {"line_id": "L2", "channel_sku": "TEE-M", "quantity": 1},
        ],
    )
    de = order(external_id="DE-1", placed_at=START, updated_at=START, ship_to=DE_ADDRESS)
    de = de.model_copy(update={"lines": (de.lines[0].model_copy(update={"channel_sku": "TEE-M"}),)})
    with factory.begin() as session:
        upsert_order(session, us, now=START)
        upsert_order(session, de, now=START)
    run_pipeline(factory, settings=PipelineSettings(), now=rig.clock())
    with factory() as session:
        targets = {m.target for m in session.scalars(select(OutboxMessage))}
    assert targets == {f"warehouse:{FBA}", f"warehouse:{DE}"}  # US to FBA, DE stays in DE
    assert _status(factory, "US-1") is HubStatus.ALLOCATED

    with pytest.raises(Crash):
        await dispatch_outbox(factory, warehouses={FBA: CrashAfterAccepted(mcf)}, now=rig.clock())
    assert len(rig.sim.state.orders) == 1 and _status(factory, "US-1") is HubStatus.ALLOCATED
    rig.clock.tick(timedelta(minutes=6))  # the dead sender's claim lapses
    summary = await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    assert len(summary.sent) == 1 and _status(factory, "US-1") is HubStatus.DISPATCHED
    assert len(rig.sim.state.orders) == 1
    assert rig.sim.journal.count("POST", "/fba/outbound/2020-07-01/fulfillmentOrders") == 1
    key = summary.sent[0]
    reads = [
        e for e in rig.sim.journal.entries if e.method == "GET" and "fulfillmentOrders" in e.path
    ]
    assert reads, "the resend read the order back before creating it again"

    rig.sim.advance(timedelta(hours=7))
    polled = await poll_warehouse(factory, mcf, warehouses=[FBA], now=rig.clock())
    assert polled.shipments == 1 and not polled.exceptions and not polled.failures
    assert polled.new_events == 2  # each package's first scan, read right after it shipped
    assert _status(factory, "US-1") is HubStatus.SHIPPED
    with factory() as session:
        _, state = get_outbound(session, key)
        assert state is OutboundState.SHIPPED
        pushes = session.scalars(
            select(OutboxMessage.idempotency_key).where(OutboxMessage.kind == "fulfilment")
        ).all()
        assert len(pushes) == 2  # one channel push per package (one package per SKU)
        balance = stock_balances(session, warehouse=FBA)[(FBA, "MUG-RED")]
        assert (balance.on_hand, balance.reserved) == (118, 0)

    rig.sim.advance(timedelta(hours=8))
    tracked = await poll_warehouse(factory, mcf, warehouses=[FBA], now=rig.clock())
    assert tracked.packages == 2 and tracked.new_events == 6  # 4 scans each in all
    assert _status(factory, "US-1") is HubStatus.DELIVERED

    rig.sim.state.sell("TEE-M", 4)  # Amazon shipped an AFN order from the same FBA stock
    again = await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock(), cursor=pulled.cursor)
    # listed: both SKUs MCF took and TEE-M again; only TEE-M differs from the ledger
    assert again.changes_only and again.levels == 2 and again.units == {FBA: -4}
    with factory() as session:
        balances = stock_balances(session, warehouse=FBA)
        assert balances[(FBA, "TEE-M")].on_hand == 15 - 1 - 4
        assert balances[(FBA, "MUG-RED")].on_hand == 118
    operations = rig.assert_requests_follow_the_contract()
    assert {"createFulfillmentOrder", "getFulfillmentOrder", "getPackageTrackingDetails"} <= set(
        operations
    )
    await mcf.aclose()


async def test_intercept_cancels_at_amazon_and_unfulfillable_becomes_an_exception(
    engine: Engine,
) -> None:
    rig = make_rig(inventory={"MUG-RED": 3, "TEE-M": 5})
    mcf = rig.connector()
    factory = _setup(engine, rig)
    await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock())
    one = order(external_id="US-1", placed_at=START, updated_at=START)
    one = one.model_copy(
        update={"lines": (one.lines[0].model_copy(update={"channel_sku": "MUG-RED"}),)}
    )
    two = order(external_id="US-2", placed_at=START, updated_at=START)
    two = two.model_copy(
        update={
            "lines": (two.lines[0].model_copy(update={"channel_sku": "MUG-RED", "quantity": 2}),)
        }
    )
    with factory.begin() as session:
        upsert_order(session, one, now=START)
        upsert_order(session, two, now=START)
    run_pipeline(factory, settings=PipelineSettings(), now=rig.clock())
    await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    assert len(rig.sim.state.orders) == 2
    with factory.begin() as session:
        request_intercept(
            session, one.key, then=HubStatus.ON_HOLD, reason="address typo", now=rig.clock()
        )
    rig.sim.state.sell("MUG-RED", 99)  # pretend Amazon lost the rest: US-2 will not ship
    await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    assert _status(factory, "US-1") is HubStatus.ON_HOLD
    assert rig.sim.journal.count("PUT") == 1
    # an order Amazon cannot fill becomes an exception with Amazon's words
    rig.sim.state.orders[
        next(k for k in rig.sim.state.orders if "US-2" in k)
    ].status = "Unfulfillable"
    polled = await poll_warehouse(factory, mcf, warehouses=[FBA], now=rig.clock())
    assert _status(factory, "US-2") is HubStatus.EXCEPTION
    assert polled.exceptions and "Unfulfillable" in polled.exceptions[0][1]
    with factory() as session:
        assert stock_balances(session, warehouse=FBA)[(FBA, "MUG-RED")].reserved == 0
    rig.assert_requests_follow_the_contract()
    await mcf.aclose()


async def test_a_dispatched_order_is_held_at_amazon_and_released(engine: Engine) -> None:
    rig = make_rig()
    mcf = rig.connector()
    factory = _setup(engine, rig)
    await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock())
    one = order(external_id="US-1", placed_at=START, updated_at=START)
    line = one.lines[0].model_copy(update={"channel_sku": "MUG-RED"})
    one = one.model_copy(update={"lines": (line,)})
    with factory.begin() as session:
        upsert_order(session, one, now=START)
    run_pipeline(factory, settings=PipelineSettings(), now=rig.clock())
    await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    with factory.begin() as session:
        held = request_warehouse_hold(
            session, one.key, reason="review: odd address", now=rig.clock()
        )
        request_warehouse_hold(session, one.key, reason="again", now=rig.clock())  # one message
    summary = await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    assert summary.holds == [(held[0], "accepted")]
    rig.sim.advance(timedelta(hours=12))
    assert (await mcf.get_outbound(held[0])).state is OutboundState.ACCEPTED  # waits at Amazon
    with factory.begin() as session:
        request_warehouse_hold(session, one.key, reason="checked", now=rig.clock(), release=True)
    await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    rig.sim.advance(timedelta(hours=7))
    await poll_warehouse(factory, mcf, warehouses=[FBA], now=rig.clock())
    assert _status(factory, "US-1") is HubStatus.SHIPPED
    with factory.begin() as session:  # shipped: too late to hold
        with pytest.raises(ChannelhubError):
            request_warehouse_hold(session, one.key, reason="late", now=rig.clock())
        history = [d.reason for d in order_decisions(session, get_order_row(session, one.key).id)]
    assert any("the warehouse holds" in h for h in history)
    assert any("the warehouse released" in h for h in history)
    actions = [e.json()["fulfillmentAction"] for e in rig.sim.journal.matching("PUT", "/fba")]
    assert actions == ["Hold", "Ship"]
    rig.assert_requests_follow_the_contract()
    await mcf.aclose()


async def test_an_intercept_too_late_still_ships_and_is_polled(engine: Engine) -> None:
    rig = make_rig()
    mcf = rig.connector()
    factory = _setup(engine, rig)
    await pull_stock(factory, mcf, account=ACCOUNT, now=rig.clock())
    one = order(external_id="US-1", placed_at=START, updated_at=START)
    one = one.model_copy(
        update={"lines": (one.lines[0].model_copy(update={"channel_sku": "MUG-RED"}),)}
    )
    with factory.begin() as session:
        upsert_order(session, one, now=START)
    run_pipeline(factory, settings=PipelineSettings(), now=rig.clock())
    await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    rig.sim.advance(timedelta(hours=4, minutes=30))  # Amazon is picking it
    with factory.begin() as session:
        request_intercept(
            session, one.key, then=HubStatus.CANCELLED, reason="late", now=rig.clock()
        )
    summary = await dispatch_outbox(factory, warehouses={FBA: mcf}, now=rig.clock())
    assert [state for _, state in summary.cancels] == ["cancel_too_late"]
    rig.sim.advance(timedelta(hours=2))
    await poll_warehouse(factory, mcf, warehouses=[FBA], now=rig.clock())
    assert _status(factory, "US-1") is HubStatus.SHIPPED
    rig.assert_requests_follow_the_contract()
    await mcf.aclose()
