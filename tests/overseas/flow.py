"""The demo-style flow against an overseas-warehouse simulator (WINIT, 4PX), shared by both:
stock pulled, orders imported and allocated (US order to the US warehouse, DE order to the DE
one), dispatched exactly once under a crash between the warehouse's "accepted" and the hub's
"sent", shipped, tracked to delivered, fees in the money ledger once (linked to the channel
orders; the missing-warehouse-fee check quiet for them, loud for a shipped order without),
stock pulled again."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin
from channelhub.core.fulfilment import OutboundOrder
from channelhub.core.models import HubStatus, Sku, Warehouse
from channelhub.core.settlement import MoneySource, MoneyType
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.warehouse_poll import poll_warehouse
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.warehouses import register_warehouse
from channelhub.simulators.clock import ManualClock
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import order
from tests.jobs.dispatch_fakes import Crash
from tests.overseas.ledger import (
    fee_lines,
    fee_record,
    mark_shipped,
    missing_fee_orders,
    order_costs,
)

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
DE_ADDRESS = {
    "name": "Jonas Weber",
    "line1": "Hauptstr. 1",
    "city": "Berlin",
    "postal_code": "10115",
    "country": "DE",
}


@dataclass
class Platform:
    """What the flow needs to know of one warehouse platform and its simulator."""

    plugin: ConnectorPlugin
    credentials: dict[str, str]
    settings: dict[str, Any]
    us: str  # hub warehouse codes
    de: str
    make_sim: Callable[[ManualClock], Any]
    creates: Callable[[Any], int]  # how many create calls the simulator's journal holds
    stage: timedelta = timedelta(hours=2)


class CrashAfterAccepted:
    """The real connector, but the sender dies right after the warehouse accepted."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.platform, self.account = inner.platform, inner.account
        self.capabilities = inner.capabilities

    async def create_outbound(self, outbound: OutboundOrder) -> Any:
        await self.inner.create_outbound(outbound)
        raise Crash()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def connector(platform: Platform, sim: Any, clock: ManualClock, **settings: Any) -> Any:
    async def sleep(seconds: float) -> None:
        clock.tick(timedelta(seconds=seconds))

    context = ConnectorContext(
        platform=platform.plugin.platform,
        account="wms",
        base_url="http://wms.sim",
        credentials={k: SecretStr(v) for k, v in platform.credentials.items()},
        settings={**platform.settings, **settings},
        transport=httpx.ASGITransport(app=sim),
        clock=lambda: clock().timestamp(),
        sleep=sleep,
        now=clock,
    )
    return platform.plugin.create(context)


def _status(factory: sessionmaker[Session], external_id: str) -> HubStatus:
    with factory() as session:
        return HubStatus(get_order_row(session, order(external_id=external_id).key).hub_status)


def setup(engine: Engine, platform: Platform, now: datetime) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        add_account(
            session,
            Vault(generate_key()),
            platform=platform.plugin.platform,
            name="wms",
            credentials={k: SecretStr(v) for k, v in platform.credentials.items()},
            now=now,
            base_url="http://wms.sim",
            settings=platform.settings,
        )
        for code, country in ((platform.us, "US"), (platform.de, "DE")):
            register_warehouse(
                session,
                Warehouse(code=code, country=country, account="wms"),
                now=now,
                roles_of=lambda name: platform.plugin.roles,
            )
        for sku in ("MUG-RED", "TEE-M"):
            upsert_sku(session, Sku(code=sku), now=now)
    return factory


async def run_flow(engine: Engine, platform: Platform) -> Any:
    """The whole flow; returns the simulator for platform-specific checks."""
    clock = ManualClock(START)
    sim = platform.make_sim(clock)
    wms = connector(platform, sim, clock)
    factory = setup(engine, platform, clock())
    us_wh, de_wh = platform.us, platform.de
    pulled = await pull_stock(factory, wms, account="wms", now=clock())
    assert pulled.adjusted == {us_wh: 2, de_wh: 2}

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
    run_pipeline(factory, settings=PipelineSettings(), now=clock())
    with factory() as session:
        targets = {m.target for m in session.scalars(select(OutboxMessage))}
    assert targets == {f"warehouse:{us_wh}", f"warehouse:{de_wh}"}  # chosen per rules

    warehouses = {us_wh: CrashAfterAccepted(wms), de_wh: CrashAfterAccepted(wms)}
    try:
        await dispatch_outbox(factory, warehouses=warehouses, now=clock())
        raise AssertionError("the sender should have died")
    except Crash:
        pass
    accepted = len(sim.state.orders)
    assert accepted == 1 and _status(factory, "US-1") is HubStatus.ALLOCATED
    clock.tick(timedelta(minutes=6))  # the dead sender's claim lapses
    summary = await dispatch_outbox(factory, warehouses={us_wh: wms, de_wh: wms}, now=clock())
    assert len(summary.sent) == 2 and len(sim.state.orders) == 2  # exactly once each
    assert platform.creates(sim) == 2  # the crashed one was read back, not created again
    assert _status(factory, "US-1") is HubStatus.DISPATCHED

    sim.advance(platform.stage * 3)  # picked, packed, shipped
    polled = await poll_warehouse(factory, wms, warehouses=[us_wh, de_wh], now=clock())
    assert polled.shipments == 2 and not polled.exceptions and not polled.failures
    assert _status(factory, "US-1") is HubStatus.SHIPPED
    assert polled.fees == 2  # each shipped order's fee record, into the ledger
    with factory() as session:
        lines = fee_lines(session, "wms")
        assert {x.source for x in lines} == {MoneySource.WAREHOUSE.value}
        by_order = {
            (x.order_channel, x.order_ref, x.type, x.amount_micros, x.currency) for x in lines
        }
        assert by_order == {
            ("shopify", "US-1", MoneyType.WAREHOUSE_HANDLING.value, -4_500_000, "USD"),
            ("shopify", "US-1", MoneyType.LABEL.value, -6_200_000, "USD"),
            ("shopify", "DE-1", MoneyType.WAREHOUSE_HANDLING.value, -1_500_000, "USD"),
            ("shopify", "DE-1", MoneyType.LABEL.value, -6_200_000, "USD"),
        }, by_order
        assert {x.provider_txn_id for x in lines} == set(summary.sent)
        assert fee_record(session, "wms", summary.sent[0]) is not None  # the raw record
        assert order_costs(session, "US-1", "USD") == (Decimal("-4.5"), Decimal("-6.2"))
        balance = stock_balances(session, warehouse=us_wh)[(us_wh, "MUG-RED")]
        assert balance.reserved == 0

    sim.advance(platform.stage * 3)
    tracked = await poll_warehouse(factory, wms, warehouses=[us_wh, de_wh], now=clock())
    assert tracked.packages == 2 and tracked.new_events >= 4
    assert _status(factory, "US-1") is HubStatus.DELIVERED
    assert _status(factory, "DE-1") is HubStatus.DELIVERED
    assert tracked.fees == 0
    with factory.begin() as session:
        assert len(fee_lines(session, "wms")) == 4  # polled twice: still once
        assert missing_fee_orders(session) == set()
        upsert_order(
            session, order(external_id="XX-1", placed_at=START, updated_at=START), now=START
        )
        mark_shipped(session, "XX-1")
        assert missing_fee_orders(session) == {"XX-1"}

    sim.state.sell(sim_code(platform, us_wh), "TEE-M", 4)  # sold by another way
    again = await pull_stock(factory, wms, account="wms", now=clock())
    assert again.units.get(us_wh) == -4, again.render()
    await wms.aclose()
    return sim


def sim_code(platform: Platform, hub: str) -> str:
    return str(dict(platform.settings["warehouse_codes"])[hub])
