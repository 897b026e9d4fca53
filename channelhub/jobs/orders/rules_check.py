"""``rules test``: what a rule set would do to the stored open orders, without doing it.

Each open order is planned with :func:`channelhub.core.flow.plan_order` under the candidate
rules, against today's catalog, bindings and stock — with the order's own reservation given
back first, so an allocated order is judged as if it were planned again. Orders are judged
one at a time (not competing for the same stock). Nothing is written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.bindings import ListingRef, PairingConflict
from channelhub.core.flow import plan_order
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.reservations import open_reservations
from channelhub.core.rulebook import Rulebook
from channelhub.core.shadowing import RuleWarning, shadowing
from channelhub.core.stock import Balance
from channelhub.jobs.orders.pipeline import MANUAL_APPROVAL
from channelhub.jobs.orders.stopping import open_movements
from channelhub.store.repos.cartons import carton_rules
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import to_order
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.stock import stock_balances, warehouse_origins
from channelhub.store.tables.orders import OrderRow


@dataclass(frozen=True)
class WouldChange:
    """One order whose status the rules would change, and why."""

    order: str
    current: HubStatus
    would_be: HubStatus
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RulesReport:
    """The orders that would change, how many were looked at, and the rule-set warnings."""

    changes: list[WouldChange]
    checked: int
    warnings: tuple[RuleWarning, ...]


def _own_stock_back(
    balances: dict[tuple[str, str], Balance], held: dict[tuple[str, str, str], int]
) -> dict[tuple[str, str], Balance]:
    out = dict(balances)
    for (_, warehouse, sku), qty in held.items():
        b = out[(warehouse, sku)]
        out[(warehouse, sku)] = b.model_copy(update={"reserved": max(b.reserved - qty, 0)})
    return out


def _open_rows(session: Session, limit: int) -> Iterator[OrderRow]:
    yield from session.scalars(
        select(OrderRow)
        .where(OrderRow.hub_status.in_([s.value for s in OPEN_STATUSES]))
        .order_by(OrderRow.placed_at, OrderRow.id)
        .limit(limit)
    )


def check_rules(
    session: Session, rules: Rulebook, *, now: datetime, limit: int = 10_000
) -> RulesReport:
    """Plan every open order (up to ``limit``) under ``rules``; list the status changes."""
    rows = list(_open_rows(session, limit))
    orders = [to_order(row) for row in rows]
    catalog = load_catalog(session)  # whole: an unbound line's candidates come from it
    # the bindings naming the orders' lines pair them exactly as the whole book would
    book = load_book(session, [ListingRef.of_line(o, line) for o in orders for line in o.lines])
    balances = stock_balances(session)
    origins = warehouse_origins(session)
    cartons = carton_rules(session)
    changes: list[WouldChange] = []
    checked = 0
    for row, order in zip(rows, orders, strict=True):
        checked += 1
        key = str(order.key)
        held = open_reservations(open_movements(session, key), key)
        by_hand = any(d.kind == MANUAL_APPROVAL for d in order_decisions(session, row.id))
        try:
            plan = plan_order(
                order,
                catalog=catalog,
                book=book,
                pairing_config=rules.pairing,
                review_rules=rules.review,
                allocation_config=rules.allocation,
                balances=_own_stock_back(balances, held),
                now=now,
                reference=key,
                approved_by_hand=by_hand,
                origins=origins,
                cartons=cartons,
            )
        except PairingConflict as conflict:
            changes.append(WouldChange(key, order.hub_status, order.hub_status, (str(conflict),)))
            continue
        if plan.status is order.hub_status:
            continue
        reasons = [plan.reason]
        if plan.review is not None and plan.review.summary() != plan.reason:
            reasons.insert(0, plan.review.summary())
        if order.hub_status is HubStatus.ON_HOLD:
            reasons.append("on hold now: the pipeline leaves it until a person releases it")
        changes.append(WouldChange(key, order.hub_status, plan.status, tuple(reasons)))
    return RulesReport(changes, checked, shadowing(rules.review, now=now))
