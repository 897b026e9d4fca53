"""What planning reads of the warehouses, in one query: addresses, unknown stock, cartons.

The planner reads each warehouse's country and region (allocation's candidates and distances),
whether its stock was ever told (a shortage there says how to tell it) and the carton rules:
three small tables' worth, read as one ``UNION ALL`` of plain columns (one statement where
:func:`~channelhub.store.repos.stock.warehouse_origins`,
:func:`~channelhub.store.repos.warehouses.unknown_stock_warehouses` and
:func:`~channelhub.store.repos.cartons.carton_rules` take three, the last building ORM
objects). The rows themselves (:data:`WarehouseFacts`) are what an import run's planner
compares page after page (:meth:`~channelhub.jobs.orders.planner.Planner.for_page`): equal
facts, nothing to rebuild and its memos kept.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import CompoundSelect, case, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from channelhub.core.cartons import CartonRule
from channelhub.core.geography import Origin
from channelhub.store.plain import plain
from channelhub.store.repos.cartons import stored_rule
from channelhub.store.tables.stock import WarehouseRow
from channelhub.store.tables.warehouse_terms import WarehouseCartonRow

#: ("w", code, country, region, 1 when its stock was never told) per warehouse and
#: ("c", warehouse, sku, ships, units per carton) per carton rule, warehouses first, each
#: kind in code order.
WarehouseFacts = tuple[tuple[Any, ...], ...]


def warehouse_facts(session: Session) -> WarehouseFacts:
    """The warehouse facts now (see :data:`WarehouseFacts`), in one statement."""
    return tuple(tuple(row) for row in plain(session).execute(_facts_query()))


@cache
def _facts_query() -> CompoundSelect[Any]:
    w, c = WarehouseRow, WarehouseCartonRow
    unknown = case((w.stock_known_at.is_(None), 1), else_=0)
    return union_all(
        select(literal("w").label("kind"), w.code, w.country, w.region, unknown.label("n")),
        select(literal("c"), c.warehouse, c.sku, c.ships, c.units_per_carton),
    ).order_by(*(literal_column(str(n)) for n in (1, 2, 3)))  # by position: kind, code, next


def planning_warehouses(
    facts: WarehouseFacts,
) -> tuple[dict[str, Origin], frozenset[str], dict[tuple[str, str], CartonRule]]:
    """The origins, the warehouses whose stock was never told and the carton rules the facts
    say: what ``warehouse_origins``, ``unknown_stock_warehouses`` and ``carton_rules`` read."""
    origins: dict[str, Origin] = {}
    unknown: set[str] = set()
    cartons: dict[tuple[str, str], CartonRule] = {}
    for kind, code, second, third, n in facts:
        if kind == "w":
            origins[code] = Origin(second, third)
            if n:
                unknown.add(code)
        else:
            cartons[(code, second)] = stored_rule(code, second, third, n)
    return origins, frozenset(unknown), cartons
