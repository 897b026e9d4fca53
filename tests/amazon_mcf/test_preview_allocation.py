"""getFulfillmentPreview as allocation's cost and speed input: the pure rule (a quote beats the
cost table in its currency, FASTEST ranks by quoted arrival) and the job that asks MCF for each
waiting order and passes the quotes in, which changes the warehouse chosen."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from channelhub.connectors.amazon_mcf import PLUGIN
from channelhub.core.allocation import allocate
from channelhub.core.allocation_config import AllocationConfig, CostEntry, Strategy
from channelhub.core.allocation_quotes import WarehouseQuote
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import Origin
from channelhub.core.models import Sku, Warehouse
from channelhub.core.parties import Address
from channelhub.jobs.orders.pipeline import PipelineSettings
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.previews import run_pipeline_with_previews, wants_previews
from channelhub.jobs.stock.pull import pull_stock
from channelhub.jobs.stock.warehouses import import_stock, register_warehouse
from channelhub.mappings.stock_csv import parse_stock_csv
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.tables.outbox import OutboxMessage
from tests.amazon_mcf.harness import ACCOUNT, SETTINGS, START, make_rig
from tests.core.orderflow_data import order

FBA, LOCAL = "FBA-US", "US-3PL"
TO = Address(name="Ann", line1="1 Main St", city="NYC", region="NY", country="US")
CONFIG = AllocationConfig(
    costs=(
        CostEntry(warehouse=FBA, country="US", cost=Decimal("9.00")),
        CostEntry(warehouse=LOCAL, country="US", cost=Decimal("5.00")),
    )
)
ORIGINS = {FBA: Origin("US"), LOCAL: Origin("US")}
LINES = [ExpandedLine(order_line_id="L1", sku="MUG-RED", quantity=1, bound_sku="MUG-RED")]
STOCK = {(FBA, "MUG-RED"): 5, (LOCAL, "MUG-RED"): 5}


def _chosen(config: AllocationConfig = CONFIG, **quotes: WarehouseQuote) -> tuple[str, str]:
    result = allocate(
        LINES,
        stock=STOCK,
        ship_to=TO,
        channel="shopify",
        account="shop1",
        config=config,
        origins=ORIGINS,
        quotes={q.warehouse: q for q in quotes.values()} or None,
    )
    return result.decisions[0].warehouse, result.explain()


def _quote(cost: str, currency: str = "USD", days: int | None = 5) -> WarehouseQuote:
    return WarehouseQuote(
        warehouse=FBA,
        source="Amazon MCF preview (Standard)",
        cost=Decimal(cost),
        currency=currency,
        arrival_days=days,
    )


def test_a_preview_cheaper_than_the_cost_table_changes_the_choice() -> None:
    assert _chosen()[0] == LOCAL  # the table: 9.00 at FBA, 5.00 locally
    chosen, why = _chosen(fba=_quote("3.22"))
    assert chosen == FBA and "cheapest to US/NY (3.22 USD, Amazon MCF preview (Standard))" in why
    assert _chosen(fba=_quote("3.22", currency="EUR"))[0] == LOCAL  # not comparable: ignored
    assert _chosen(fba=_quote("6.00"))[0] == LOCAL  # quoted, but dearer


def test_fastest_ranks_by_the_quoted_arrival() -> None:
    fastest = CONFIG.model_copy(update={"strategies": (Strategy.FASTEST, Strategy.CHEAPEST)})
    chosen, why = _chosen(fastest, fba=_quote("20.00", days=2))
    assert chosen == FBA and "fastest in 2 day(s) (quoted)" in why
    assert _chosen(fastest)[0] == LOCAL  # nothing quoted: cost decides


@pytest.mark.anyio
async def test_the_job_asks_mcf_for_each_order_and_allocation_follows(engine: Engine) -> None:
    rig = make_rig()
    mcf = rig.connector()
    factory = make_session_factory(engine)
    now = rig.clock()
    settings = {**SETTINGS, "allocation_preview": "true"}
    assert wants_previews(settings) and not wants_previews(SETTINGS)
    with factory.begin() as session:
        add_account(
            session,
            Vault(generate_key()),
            platform="amazon_mcf",
            name=ACCOUNT,
            credentials={k: SecretStr(v) for k, v in DEFAULT_CREDENTIALS.items()},
            now=now,
            base_url="http://sp.sim",
            settings=settings,
        )
        for warehouse in (
            Warehouse(code=FBA, country="US", account=ACCOUNT),
            Warehouse(code=LOCAL, country="US"),
        ):
            register_warehouse(session, warehouse, now=now, roles_of=lambda p: PLUGIN.roles)
        upsert_sku(session, Sku(code="MUG-RED"), now=now)
        rows = parse_stock_csv(f"warehouse,sku,on_hand\n{LOCAL},MUG-RED,5\n").rows
        import_stock(session, rows, source="3pl.csv", now=now)
    await pull_stock(factory, mcf, account=ACCOUNT, now=now)

    def one(external_id: str) -> None:
        placed = order(external_id=external_id, placed_at=START, updated_at=START)
        line = placed.lines[0].model_copy(update={"channel_sku": "MUG-RED"})
        with factory.begin() as session:
            upsert_order(session, placed.model_copy(update={"lines": (line,)}), now=START)

    def targets() -> list[str]:
        with factory() as session:
            return list(session.scalars(select(OutboxMessage.target).order_by(OutboxMessage.id)))

    pipeline = PipelineSettings(allocation=CONFIG)
    one("A-1")
    run_pipeline(factory, settings=pipeline, now=now)
    one("B-1")
    await run_pipeline_with_previews(factory, {FBA: mcf}, settings=pipeline, now=now)
    assert targets() == [f"warehouse:{LOCAL}", f"warehouse:{FBA}"]
    assert rig.sim.journal.count("POST", "/fba/outbound/2020-07-01/fulfillmentOrders/preview") == 1
    assert "getFulfillmentPreview" in rig.assert_requests_follow_the_contract()
    await mcf.aclose()


def test_a_quote_without_a_cost_leaves_the_table_in_charge_and_says_why() -> None:
    failed = WarehouseQuote(warehouse=FBA, source="Amazon MCF preview failed: HTTP 503")
    chosen, why = _chosen(fba=failed)
    assert chosen == LOCAL
    assert "cheapest to US/NY (5.00 USD, cost table)" in why
    assert f"{FBA} by the cost table (Amazon MCF preview failed: HTTP 503)" in why
    _, why = _chosen(fba=_quote("3.22", currency="EUR"))
    assert "(Amazon MCF preview (Standard) quoted in EUR, not USD)" in why
    fastest = CONFIG.model_copy(update={"strategies": (Strategy.FASTEST,)})
    assert f"{FBA} unquoted (Amazon MCF preview failed" in _chosen(fastest, fba=failed)[1]
    assert "cost table" not in _chosen()[1]  # no previews in play: the reasons as before
