"""The pipeline bench's second floor: the domain's own work, with no database at all.

Whatever the storage does, the pipeline must also plan every order: pair its lines, expand
combos, review it, allocate it to a warehouse, reserve its stock and build its warehouse
orders (:mod:`channelhub.core`, through the same :class:`~channelhub.jobs.orders.planner.Planner`
the pipeline uses). :func:`planning_seconds` times exactly that for the same orders, in
memory, against the pairing book, catalog and warehouses the pipeline run left (its automatic
bindings included) and the seeded balances, kept current as orders reserve. Nothing is read,
written or serialized.

A pipeline that plans and stores one order after another can be no faster than planning plus
the plain bulk insert of what it stores, so ``plain / (plain + planning)`` bounds the
pipeline / plain-insert ratio for any storage code, however lean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import Order
from channelhub.core.stock import Balance
from channelhub.jobs.orders.pipeline import outbound_for
from channelhub.jobs.orders.planner import PipelineSettings, Planner
from channelhub.store.repos.stock import positions

Balances = dict[tuple[str, str], Balance]


def seeded_balances(factory: Callable[[], Session], skus: Sequence[str]) -> Balances:
    """The balances of ``skus`` now (read before the pipeline runs: the state it started in)."""
    with factory() as session:
        return positions(session, skus)


def planning_seconds(
    factory: Callable[[], Session],
    chunks: Iterable[Sequence[Order]],
    balances: Balances,
    *,
    settings: PipelineSettings,
    now: datetime,
) -> float:
    """Seconds to plan the orders of ``chunks`` in memory, one after another, as the pipeline
    plans them (making each chunk is not timed)."""
    with factory() as session:
        planner = Planner.load(session, settings)  # the whole book and library
    stock = dict(balances)
    seconds = 0.0
    for chunk in chunks:
        started = time.perf_counter()
        plan_chunk(planner, chunk, stock, now)
        seconds += time.perf_counter() - started
    return seconds


def plan_chunk(planner: Planner, orders: Sequence[Order], stock: Balances, now: datetime) -> None:
    for order in orders:
        key = order.key
        first = planner.until_stock(order, key, approved_by_hand=False, now=now)
        if first.status is not HubStatus.APPROVED or not first.expanded:
            continue
        plan = planner.with_stock(order, key, first, stock, now=now)
        if plan.reservation is None or plan.allocation is None:
            continue
        for movement in plan.reservation.movements:  # the chunk's in-memory balances
            at = (movement.warehouse, movement.sku)
            on_hand, reserved = movement.deltas()
            old = stock[at]
            stock[at] = old.model_copy(
                update={"on_hand": old.on_hand + on_hand, "reserved": old.reserved + reserved}
            )
        for decision in plan.allocation.decisions:
            outbound_for(order, decision, 1)
