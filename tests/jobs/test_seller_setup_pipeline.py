"""A seller's own setup, without the demo: a registered warehouse and an imported opening
stock let the pipeline allocate and dispatch; before that, the order says what to do.
Both pipeline paths (the batch of ``run_pipeline`` and ``process_order``), both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from channelhub.core.models import HubStatus, Sku, Warehouse
from channelhub.jobs.orders.pipeline import (
    OUTBOUND_CREATE,
    PipelineSettings,
    process_order,
)
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.stock.warehouses import import_stock, register_warehouse
from channelhub.mappings.stock_csv import parse_stock_csv
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import NOW, order

SETTINGS = PipelineSettings()  # no rules.toml: no [allocation] warehouses


def _no_roles(platform: str) -> frozenset:  # type: ignore[type-arg]
    raise AssertionError("no account is named: the roles are not asked")


def _waiting_reason(engine: Engine, external_id: str) -> str:
    with make_session_factory(engine)() as s:
        o = order(external_id=external_id)
        decisions = order_decisions(s, get_order_row(s, o.key).id)
        return [d.reason for d in decisions if d.kind == "allocation"][-1]


@pytest.mark.parametrize("path", ["batch", "single"])
def test_registered_warehouse_and_imported_stock_dispatch_an_order(
    engine: Engine, path: str
) -> None:
    factory = make_session_factory(engine)
    o = order(external_id="9", lines=[{"line_id": "L1", "channel_sku": "MUG", "quantity": 2}])

    def pipeline(minutes: int) -> None:
        now = NOW + timedelta(minutes=minutes)
        if path == "batch":
            run_pipeline(factory, settings=SETTINGS, now=now)
            return
        with factory() as s, s.begin():
            process_order(s, o.key, settings=SETTINGS, now=now)

    with factory() as s, s.begin():
        upsert_sku(s, Sku(code="MUG"), now=NOW)
        upsert_order(s, o, now=NOW)
    pipeline(0)
    assert "no warehouse is registered: add one with `channelhub warehouses add`" in (
        _waiting_reason(engine, "9")
    )

    with factory() as s, s.begin():
        register_warehouse(
            s, Warehouse(code="US-EAST", country="US", region="NJ"), now=NOW, roles_of=_no_roles
        )
    pipeline(1)
    assert _waiting_reason(engine, "9").endswith(
        "(US-EAST has 0); stock unknown at US-EAST: run `channelhub stock set|import|pull`"
    )

    parsed = parse_stock_csv("warehouse,sku,on_hand\nUS-EAST,MUG,5\n")
    assert not parsed.errors
    with factory() as s, s.begin():
        import_stock(s, parsed.rows, source="opening.csv", now=NOW)
    pipeline(2)
    with factory() as s:
        assert HubStatus(get_order_row(s, o.key).hub_status) is HubStatus.ALLOCATED
        messages = s.scalars(select(OutboxMessage)).all()
        assert [(m.kind, m.target) for m in messages] == [(OUTBOUND_CREATE, "warehouse:US-EAST")]
        balance = stock_balances(s)[("US-EAST", "MUG")]
        assert (balance.on_hand, balance.reserved) == (5, 2)
