"""The planner's warehouse facts, read in one query, say what the three reads they replace
say (addresses, unknown stock, carton rules), and change when any of those changes:
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonRule, CartonShipping
from channelhub.core.models import Warehouse
from channelhub.store.repos.cartons import carton_rules, set_carton_rule
from channelhub.store.repos.stock import mark_stock_known, upsert_warehouse, warehouse_origins
from channelhub.store.repos.warehouse_facts import planning_warehouses, warehouse_facts
from channelhub.store.repos.warehouses import unknown_stock_warehouses

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _three_reads(session: Session) -> tuple[object, ...]:
    return (warehouse_origins(session), unknown_stock_warehouses(session), carton_rules(session))


def test_the_facts_say_what_the_three_reads_say(session: Session) -> None:
    assert planning_warehouses(warehouse_facts(session)) == ({}, frozenset(), {})
    upsert_warehouse(session, Warehouse(code="US-W", country="US", region="CA"), now=T0)
    upsert_warehouse(session, Warehouse(code="DE", country="DE"), now=T0)
    session.flush()
    before = warehouse_facts(session)
    assert planning_warehouses(before) == _three_reads(session)
    mark_stock_known(session, "DE", T0)
    for warehouse, sku, units, ships in (("DE", "MUG", 6, "cartons"), ("US-W", "LID", 1, "units")):
        rule = CartonRule(
            warehouse=warehouse, sku=sku, units_per_carton=units, ships=CartonShipping(ships)
        )
        set_carton_rule(session, rule, now=T0)
    session.flush()
    after = warehouse_facts(session)
    assert after != before and after == warehouse_facts(session)  # read again: equal
    origins, unknown, cartons = planning_warehouses(after)
    assert (origins, unknown, cartons) == _three_reads(session)
    assert unknown == {"US-W"} and sorted(cartons) == [("DE", "MUG"), ("US-W", "LID")]
    assert origins["US-W"].region == "CA" and cartons[("DE", "MUG")].whole_cartons
