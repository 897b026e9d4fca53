"""The pipeline feeds the warehouses' addresses to allocation: a US order ships from the US."""

from __future__ import annotations

from sqlalchemy import Engine

from channelhub.core.geography import Origin
from channelhub.core.models import HubStatus, MovementKind, Sku, StockMovement, Warehouse
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row, upsert_order
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse, warehouse_origins
from tests.core.orderflow_data import NOW, order


def test_warehouse_origins_and_a_us_order_ships_from_the_us_warehouse(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as s:
        upsert_warehouse(s, Warehouse(code="DE-CENTRAL", country="DE"), now=NOW)
        upsert_warehouse(s, Warehouse(code="US-EAST", country="US", region="NY"), now=NOW)
        upsert_sku(s, Sku(code="MUG"), now=NOW)
        for warehouse in ("DE-CENTRAL", "US-EAST"):
            move = StockMovement(
                warehouse=warehouse,
                sku="MUG",
                kind=MovementKind.RECEIVE,
                quantity=5,
                reason="count",
                at=NOW,
            )
            record_movement(s, move, now=NOW)
        austin = order(ship_to={"name": "A", "city": "Austin", "region": "TX", "country": "US"})
        upsert_order(s, austin, now=NOW)
    with factory.begin() as s:
        assert warehouse_origins(s) == {
            "DE-CENTRAL": Origin("DE", None),
            "US-EAST": Origin("US", "NY"),
        }
        plan = process_order(s, austin.key, settings=PipelineSettings(), now=NOW)
    assert plan is not None and plan.status is HubStatus.ALLOCATED
    assert plan.allocation is not None
    assert [d.warehouse for d in plan.allocation.decisions] == ["US-EAST"]
    with factory() as s:
        reasons = [d.reason for d in order_decisions(s, get_order_row(s, austin.key).id)]
    assert any("nearest to US/TX (same country)" in r for r in reasons)
