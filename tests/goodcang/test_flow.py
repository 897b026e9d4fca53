"""The demo-style flow with two overseas warehouses chosen by the rules: EU orders to a
Goodcang DE warehouse, US orders to Amazon MCF. Stock pulled from both, orders imported and
allocated, the Goodcang order dispatched exactly once under a crash between Goodcang's
"accepted" and the hub's "sent", shipped, tracked to delivered, its fees in the money ledger
once (linked to the channel order; the missing-warehouse-fee check quiet for it), and the stock
pulled again. On both databases; every Goodcang request checked against the references."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.amazon_mcf import PLUGIN as MCF_PLUGIN
from channelhub.connectors.fees import OutboundFees
from channelhub.connectors.goodcang import PLUGIN as GC_PLUGIN
from channelhub.connectors.goodcang import GoodcangWarehouse
from channelhub.core.fulfilment import OutboundOrder, OutboundState
from channelhub.core.models import HubStatus, Sku, Warehouse
from channelhub.core.rulebook import load_rulebook
from channelhub.core.settlement import MoneySource, MoneyType
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.intercept import request_intercept
from channelhub.jobs.fulfilment.warehouse_poll import poll_warehouse
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.warehouses import register_warehouse
from channelhub.simulators.goodcang import DEFAULT_CREDENTIALS, create_app
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.fulfilment import get_outbound
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.amazon_mcf import harness as mcf_harness
from tests.core.orderflow_data import order
from tests.goodcang.harness import ACCOUNT, SETTINGS, START, Rig
from tests.jobs.dispatch_fakes import Crash
from tests.overseas.ledger import fee_lines, fee_record, mark_shipped, missing_fee_orders

pytestmark = pytest.mark.anyio
FBA, GC = "FBA-US", "GC-DE"
EU = ("DE", "FR", "IT", "ES", "NL", "AT", "BE", "PL")
RULES = load_rulebook(
    {
        "allocation": {
            "strategies": ["whole_order", "nearest"],
            "zones": [{"warehouse": GC, "country": c, "distance": 1} for c in EU]
            + [{"warehouse": FBA, "country": "US", "distance": 1}],
        }
    }
)
PARIS = {
    "name": "Claire Martin",
    "line1": "5 Rue de Rivoli",
    "city": "Paris",
    "postal_code": "75001",
    "country": "FR",
}


class CrashAfterAccepted:
    """The real connector, but the sender dies right after Goodcang accepted the order."""

    def __init__(self, inner: GoodcangWarehouse) -> None:
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


def _rigs() -> tuple[mcf_harness.Rig, Rig]:
    mcf = mcf_harness.make_rig()
    sim = create_app(clock=mcf.clock, stock={("DEWH", "MUG-RED"): 40, ("DEWH", "TEE-M"): 25})
    return mcf, Rig(sim=sim, clock=mcf.clock, transport=httpx.ASGITransport(app=sim))


def _setup(engine: Engine, now: Any) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    vault = Vault(generate_key())
    with factory.begin() as session:
        add_account(
            session, vault, platform="amazon_mcf", name=mcf_harness.ACCOUNT,
            credentials={k: SecretStr(v) for k, v in mcf_harness.DEFAULT_CREDENTIALS.items()},
            now=now, base_url="http://sp.sim", settings=mcf_harness.SETTINGS,
        )  # fmt: skip
        add_account(
            session, vault, platform="goodcang", name=ACCOUNT,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=now, base_url="http://gc.sim", settings=SETTINGS,
        )  # fmt: skip
        for code, country, account, plugin in (
            (FBA, "US", mcf_harness.ACCOUNT, MCF_PLUGIN),
            (GC, "DE", ACCOUNT, GC_PLUGIN),
        ):
            register_warehouse(
                session,
                Warehouse(code=code, country=country, account=account),
                now=now,
                roles_of=lambda platform, p=plugin: p.roles,  # type: ignore[misc]
            )
        for sku in ("MUG-RED", "TEE-M"):
            upsert_sku(session, Sku(code=sku), now=now)
    return factory


async def test_eu_to_goodcang_us_to_mcf_dispatched_once_shipped_tracked_billed(
    engine: Engine,
) -> None:
    mcf_rig, gc_rig = _rigs()
    mcf, gc = mcf_rig.connector(), gc_rig.connector()
    factory = _setup(engine, START)
    await pull_stock(factory, mcf, account=mcf_harness.ACCOUNT, now=START)
    pulled = await pull_stock(factory, gc, account=ACCOUNT, now=START)
    assert pulled.adjusted == {GC: 2} and not pulled.unmatched
    us = order(external_id="US-1", placed_at=START, updated_at=START)
    us = us.model_copy(
        update={"lines": (us.lines[0].model_copy(update={"channel_sku": "MUG-RED"}),)}
    )
    fr = order(
        external_id="FR-1",
        placed_at=START,
        updated_at=START,
        ship_to=PARIS,
        lines=[
            {"line_id": "L1", "channel_sku": "MUG-RED", "quantity": 2},
            {"line_id": "L2", "channel_sku": "TEE-M", "quantity": 1},
        ],
    )
    with factory.begin() as session:
        upsert_order(session, us, now=START)
        upsert_order(session, fr, now=START)
    run_pipeline(factory, settings=PipelineSettings(allocation=RULES.allocation), now=START)
    with factory() as session:
        targets = {m.target for m in session.scalars(select(OutboxMessage))}
    assert targets == {f"warehouse:{FBA}", f"warehouse:{GC}"}  # both stock MUG-RED: the rules
    assert _status(factory, "FR-1") is HubStatus.ALLOCATED

    with pytest.raises(Crash):
        await dispatch_outbox(factory, warehouses={GC: CrashAfterAccepted(gc)}, now=START)
    assert len(gc_rig.sim.state.orders) == 1 and _status(factory, "FR-1") is HubStatus.ALLOCATED
    gc_rig.clock.tick(timedelta(minutes=6))  # the dead sender's claim lapses
    summary = await dispatch_outbox(factory, warehouses={GC: gc, FBA: mcf}, now=gc_rig.clock())
    assert len(summary.sent) == 2 and _status(factory, "FR-1") is HubStatus.DISPATCHED
    assert len(gc_rig.sim.state.orders) == 1
    assert gc_rig.sim.journal.count("POST", "/order/create_order") == 1
    assert gc_rig.sim.journal.count("POST", "/order/get_order_by_ref_code") >= 1  # read back
    (key,) = [k for k in summary.sent if "FR-1" in k]
    sent = next(gc_rig.sim.journal.matching("POST", "/order/create_order")).json()
    assert (sent["warehouse_code"], sent["shipping_method"]) == ("DEWH", "DHL-DE-PARCEL")

    gc_rig.sim.advance(timedelta(hours=4))
    polled = await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    assert polled.shipments == 1 and not polled.exceptions and not polled.failures
    assert polled.new_events == 1 and polled.fees == 1  # the pick-up scan; the bill
    assert _status(factory, "FR-1") is HubStatus.SHIPPED
    with factory() as session:
        _, state = get_outbound(session, key)
        assert state is OutboundState.SHIPPED
        record = fee_record(session, ACCOUNT, key)
        assert record is not None and record.payload["OPF"] == "3.6"  # 1.2 x 3 units, exact
        lines = fee_lines(session, ACCOUNT)
        assert {(x.component, x.type, x.amount_micros) for x in lines} == {
            ("FSC", MoneyType.LABEL.value, -500_000),  # 10% of the 5.0 shipping
            ("OPF", MoneyType.WAREHOUSE_HANDLING.value, -3_600_000),
            ("SHIPPING", MoneyType.LABEL.value, -5_000_000),
        }
        assert {(x.source, x.provider_txn_id, x.currency) for x in lines} == {
            (MoneySource.WAREHOUSE.value, key, "EUR")
        }
        assert {(x.order_channel, x.order_ref) for x in lines} == {("shopify", "FR-1")}
        balance = stock_balances(session, warehouse=GC)[(GC, "MUG-RED")]
        assert (balance.on_hand, balance.reserved) == (38, 0)

    gc_rig.sim.advance(timedelta(hours=8))
    tracked = await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    assert tracked.new_events == 3 and tracked.fees == 0  # billed once, final
    assert _status(factory, "FR-1") is HubStatus.DELIVERED
    with factory.begin() as session:
        assert len(fee_lines(session, ACCOUNT)) == 3  # polled twice: still once
        assert missing_fee_orders(session) == set()  # FR-1 is charged; US-1 not shipped yet
        mark_shipped(session, "US-1")  # MCF shipped it, no fee of it imported
        assert missing_fee_orders(session) == {"US-1"}
    again = await pull_stock(factory, gc, account=ACCOUNT, now=gc_rig.clock())
    assert again.changed == 0  # the ledger already counts the shipment
    paths = gc_rig.assert_requests_follow_the_references()
    assert "/inventory/get_product_inventory" in paths
    await gc.aclose()
    await mcf.aclose()


async def test_an_intercept_after_release_is_settled_by_the_poll(engine: Engine) -> None:
    _, gc_rig = _rigs()
    gc = gc_rig.connector()
    factory = _setup(engine, START)
    await pull_stock(factory, gc, account=ACCOUNT, now=START)
    fr = order(external_id="FR-1", placed_at=START, updated_at=START, ship_to=PARIS)
    fr = fr.model_copy(update={"lines": (fr.lines[0].model_copy(update={"channel_sku": "TEE-M"}),)})
    with factory.begin() as session:
        upsert_order(session, fr, now=START)
    run_pipeline(factory, settings=PipelineSettings(allocation=RULES.allocation), now=START)
    await dispatch_outbox(factory, warehouses={GC: gc}, now=START)
    gc_rig.sim.advance(timedelta(hours=2, minutes=1))  # in the warehouse's hands
    with factory.begin() as session:
        request_intercept(
            session, fr.key, then=HubStatus.CANCELLED, reason="buyer cancelled", now=gc_rig.clock()
        )
    summary = await dispatch_outbox(factory, warehouses={GC: gc}, now=gc_rig.clock())
    assert [state for _, state in summary.cancels] == ["cancel_requested"]
    gc_rig.sim.advance(timedelta(minutes=5))
    await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    assert _status(factory, "FR-1") is HubStatus.CANCELLED
    with factory() as session:
        assert stock_balances(session, warehouse=GC)[(GC, "TEE-M")].reserved == 0
    assert gc_rig.sim.state.sellable[("DEWH", "TEE-M")] == 25  # back on Goodcang's shelf
    gc_rig.assert_requests_follow_the_references()
    await gc.aclose()


class NotBilledYet:
    """The real connector, but the fee record reads as not final (shipped, not charged yet)."""

    def __init__(self, inner: GoodcangWarehouse) -> None:
        self.inner = inner
        self.platform, self.account = inner.platform, inner.account
        self.capabilities = inner.capabilities

    async def outbound_fees(self, key: str) -> OutboundFees:
        return replace(await self.inner.outbound_fees(key), charges=(), final=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_fee_record_not_final_is_stored_nothing_and_read_again(engine: Engine) -> None:
    _, gc_rig = _rigs()
    gc = gc_rig.connector()
    factory = _setup(engine, START)
    await pull_stock(factory, gc, account=ACCOUNT, now=START)
    fr = order(external_id="FR-1", placed_at=START, updated_at=START, ship_to=PARIS)
    fr = fr.model_copy(update={"lines": (fr.lines[0].model_copy(update={"channel_sku": "TEE-M"}),)})
    with factory.begin() as session:
        upsert_order(session, fr, now=START)
    run_pipeline(factory, settings=PipelineSettings(allocation=RULES.allocation), now=START)
    await dispatch_outbox(factory, warehouses={GC: gc}, now=START)
    gc_rig.sim.advance(timedelta(hours=4))
    early = await poll_warehouse(factory, NotBilledYet(gc), warehouses=[GC], now=gc_rig.clock())
    assert early.shipments == 1 and early.fees == 0 and not early.failures
    with factory() as session:
        assert fee_lines(session, ACCOUNT) == []
    billed = await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    again = await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    assert (billed.fees, again.fees) == (1, 0)
    with factory() as session:
        lines = fee_lines(session, ACCOUNT)
        assert {x.order_ref for x in lines} == {"FR-1"} and len(lines) == 3
    reads = gc_rig.sim.journal.count("POST", "/order/get_order_by_ref_code")
    await poll_warehouse(factory, gc, warehouses=[GC], now=gc_rig.clock())
    assert gc_rig.sim.journal.count("POST", "/order/get_order_by_ref_code") == reads  # not again
    await gc.aclose()
