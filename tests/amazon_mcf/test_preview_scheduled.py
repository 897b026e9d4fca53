"""getFulfillmentPreview in the scheduled pipeline: the ``pull_orders`` job (what ``channelhub
run`` and ``sync orders`` run) asks the MCF account that has ``allocation_preview`` on, through
the run's connector factory, for the orders it is about to allocate; within a budget per run;
and a preview that fails never holds an order back: the cost table decides and the reasons say
which input was used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.amazon_mcf import PLUGIN
from channelhub.connectors.results import PageOf, RawRecord
from channelhub.core.models import Sku, Warehouse
from channelhub.core.order import Order
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.warehouses import import_stock, register_warehouse
from channelhub.mappings.stock_csv import parse_stock_csv
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.products import upsert_sku
from channelhub.store.tables.jobs import RunOutcome
from channelhub.store.tables.orders import OrderRow
from tests.amazon_mcf.harness import ACCOUNT, SETTINGS, START, Rig, make_rig
from tests.core.orderflow_data import order
from tests.jobs.fakes import FakeChannel

pytestmark = pytest.mark.anyio

FBA, LOCAL, SHOP = "FBA-US", "US-3PL", "shop1"
PREVIEW_PATH = "/fba/outbound/2020-07-01/fulfillmentOrders/preview"
RULES = f"""
[[allocation.costs]]
warehouse = "{FBA}"
country = "US"
cost = "9.00"

[[allocation.costs]]
warehouse = "{LOCAL}"
country = "US"
cost = "5.00"
"""


class Shop(FakeChannel):
    """A sales channel whose one import page is the orders the test put there."""

    def __init__(self) -> None:
        super().__init__(pages=[], platform="shopify", account=SHOP)
        self.orders: list[Order] = []

    def add(self, *external_ids: str) -> None:
        for external_id in external_ids:
            placed = order(external_id=external_id, placed_at=START, updated_at=START)
            line = placed.lines[0].model_copy(update={"channel_sku": "MUG-RED"})
            self.orders.append(placed.model_copy(update={"lines": (line,)}))

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        start = int(cursor or 0)
        items = tuple(self.orders[start:])
        raw = tuple(
            RawRecord("order", o.external_id, o.model_dump_json().encode(), START) for o in items
        )
        yield PageOf(items=items, raw=raw, cursor=str(len(self.orders)), done=True)


class Hub:
    """The database, the MCF simulator and the job run, as ``channelhub run`` has them."""

    def __init__(self, engine: Engine, tmp_path: Path, **mcf_settings: Any) -> None:
        self.rig: Rig = make_rig()
        self.factory: sessionmaker[Session] = make_session_factory(engine)
        self.shop = Shop()
        self.rules = tmp_path / "rules.toml"
        self.rules.write_text(RULES)
        vault = Vault(generate_key())
        now = self.rig.clock()
        with self.factory.begin() as session:
            add_account(
                session,
                vault,
                platform="amazon_mcf",
                name=ACCOUNT,
                credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
                now=now,
                base_url="http://sp.sim",
                settings={**SETTINGS, "allocation_preview": True, **mcf_settings},
            )
            add_account(
                session,
                vault,
                platform="shopify",
                name=SHOP,
                credentials={"token": SecretStr("tok")},
                now=now,
                base_url="http://shop.test",
            )
            for warehouse in (
                Warehouse(code=FBA, country="US", account=ACCOUNT),
                Warehouse(code=LOCAL, country="US"),
            ):
                register_warehouse(session, warehouse, now=now, roles_of=lambda p: PLUGIN.roles)
            upsert_sku(session, Sku(code="MUG-RED"), now=now)
            rows = parse_stock_csv(f"warehouse,sku,on_hand\n{LOCAL},MUG-RED,50\n").rows
            import_stock(session, rows, source="3pl.csv", now=now)

        async def sleep(seconds: float) -> None:  # the connector's retry waits, on the clock
            self.rig.clock.tick(timedelta(seconds=seconds))

        self.mcf = ConnectorFactory(
            vault,
            transport=self.rig.transport,
            now=self.rig.clock,
            clock=lambda: self.rig.clock().timestamp(),
            sleep=sleep,
        )
        self.built: list[str] = []

    def connector(self, row: Any) -> Any:
        self.built.append(row.name)
        return self.shop if row.name == SHOP else self.mcf(row)

    async def stock(self) -> None:
        connector = self.rig.connector()
        await pull_stock(self.factory, connector, account=ACCOUNT, now=self.rig.clock())
        await connector.aclose()

    async def pull(self) -> None:
        result = await run_job(
            self.factory,
            SHOP,
            JobKind.PULL_ORDERS,
            connector_factory=self.connector,
            now=self.rig.clock,
            options=JobOptions(rules_file=self.rules),
        )
        assert result.outcome is RunOutcome.OK, result.error

    def previews_asked(self) -> int:
        return self.rig.sim.journal.count("POST", PREVIEW_PATH)

    def outcome(self, external_id: str) -> tuple[str, str]:
        """(the warehouse the order went to, the allocation's reasons)."""
        with self.factory() as session:
            row = session.scalars(select(OrderRow).where(OrderRow.external_id == external_id)).one()
            (reason,) = [
                d.reason for d in order_decisions(session, row.id) if d.kind == "allocation"
            ]
        warehouse = reason.removeprefix("part 1 ").split(":")[0]
        return warehouse, reason


async def test_the_scheduled_import_asks_mcf_and_allocation_follows(
    engine: Engine, tmp_path: Path
) -> None:
    hub = Hub(engine, tmp_path, allocation_preview_budget=2)
    await hub.stock()
    hub.shop.add("A-1", "A-2", "A-3")
    await hub.pull()
    assert hub.built == [SHOP, ACCOUNT]  # the MCF connector built by the run's factory
    # two previews (the budget), each a cheaper fee than the table: FBA ships them
    assert hub.previews_asked() == 2
    for external_id in ("A-1", "A-2"):
        warehouse, why = hub.outcome(external_id)
        assert warehouse == FBA
        assert "cheapest to US/NY (3.22 USD, Amazon MCF preview (Standard))" in why
    # the budget spent: the third order goes by the cost table, and says so
    warehouse, why = hub.outcome("A-3")
    assert warehouse == LOCAL
    assert "cheapest to US/NY (5.00 USD, cost table)" in why
    assert f"{FBA} by the cost table (Amazon MCF preview not asked (budget of 2" in why
    assert "getFulfillmentPreview" in hub.rig.assert_requests_follow_the_contract()


async def test_a_failing_preview_never_holds_an_order_back(engine: Engine, tmp_path: Path) -> None:
    hub = Hub(engine, tmp_path)
    await hub.stock()
    hub.rig.sim.faults.update(error_rate=1.0, error_statuses=(503,), paths=(PREVIEW_PATH,))
    hub.shop.add("B-1", "B-2")
    await hub.pull()
    asked = hub.previews_asked()
    assert asked >= 1  # the first order's preview (and the connector's retries of it)
    warehouse, why = hub.outcome("B-1")
    assert warehouse == LOCAL and f"{FBA} by the cost table (Amazon MCF preview failed:" in why
    # Amazon down: the rest of the run does not ask again, and says why
    warehouse, why = hub.outcome("B-2")
    assert warehouse == LOCAL and "not asked: an earlier one failed" in why
    # the next run asks again; Amazon is back, so a new order goes by its preview
    hub.rig.sim.faults.clear()
    hub.shop.add("B-3")
    await hub.pull()
    assert hub.previews_asked() == asked + 1
    assert hub.outcome("B-3")[0] == FBA
