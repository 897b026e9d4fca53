"""Re-planning orders when what they were planned on changed: a binding, or the order itself.

- :func:`rebind`: binding or re-binding a listing re-evaluates every open order on it — the
  ones waiting for pairing or for stock, and the ones already allocated but not dispatched,
  whose reservation is released and whose warehouse orders are cancelled before they are
  planned again under the new binding.
- :func:`ingest_order`: the import path for an order that may have been modified on the
  channel. When the upsert reports "updated" and the lines, address, service or payment
  differ from what the hub planned on, an allocated order is released and re-planned; the new
  warehouse order gets the next revision (a new idempotency key) and the old revision's
  cancel is queued (``outbound_order.cancel``). After dispatch the change is recorded for a
  person: only an intercept can stop a parcel the warehouse holds.

Everything runs in the caller's transaction, like :func:`channelhub.jobs.pipeline.process_order`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, PairingConflict
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import ChannelOrderState, Order, OrderKey
from channelhub.jobs.pipeline import PipelineSettings, process_order
from channelhub.jobs.stopping import release_order
from channelhub.store.repos._upsert import Upserted, UpsertOutcome
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.orders import (
    get_order_row,
    to_order,
    transition_order,
    upsert_order,
)
from channelhub.store.repos.pairings import binding_history, load_book, save_binding
from channelhub.store.tables.orders import OrderLineRow, OrderRow

#: Orders a binding change re-plans (on_hold waits for a person; later ones are shipped).
REBIND_STATUSES = frozenset(
    {HubStatus.NEW, HubStatus.AWAITING_PAIRING, HubStatus.APPROVED, HubStatus.ALLOCATED}
)


def replan_order(
    session: Session,
    key: OrderKey,
    *,
    settings: PipelineSettings,
    reason: str,
    now: datetime,
    actor: str,
) -> OrderPlan | None:
    """Plan an open order again; an allocated one gives back its stock and warehouse orders
    first (allocated -> approved), so the new plan gets a new revision."""
    row = get_order_row(session, key)
    if HubStatus(row.hub_status) is HubStatus.ALLOCATED:
        release_order(session, row.id, key, reason=reason, now=now, actor=actor)
        transition_order(session, row.id, HubStatus.APPROVED, reason=reason, at=now, actor=actor)
    return process_order(session, key, settings=settings, now=now, actor=actor)


def rebind(
    session: Session,
    binding: Binding,
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
) -> tuple[Binding, list[OrderPlan]]:
    """Bind (a new version) and re-plan the open orders whose lines it now pairs."""
    stored, planned = rebind_orders(session, binding, settings=settings, now=now, actor=actor)
    return stored, [plan for _, plan in planned]


def rebind_orders(
    session: Session,
    binding: Binding,
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
) -> tuple[Binding, list[tuple[OrderKey, OrderPlan]]]:
    """:func:`rebind`, naming each re-planned order beside its plan.

    Orders already allocated are re-planned only when the binding really changed (a new
    version): binding the same target again moves nothing.
    """
    known = {b.version for b in binding_history(session, binding)}
    stored = save_binding(session, binding, now=now, actor=actor)
    changed = stored.version not in known
    book = load_book(session)
    rows = session.execute(
        select(
            OrderRow.channel,
            OrderRow.account,
            OrderRow.external_id,
            OrderRow.hub_status,
            OrderLineRow.listing_id,
            OrderLineRow.variation_id,
            OrderLineRow.channel_sku,
        )
        .join(OrderLineRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.hub_status.in_([s.value for s in REBIND_STATUSES]))
        .order_by(OrderRow.placed_at, OrderRow.id)
    ).all()
    keys: dict[OrderKey, None] = {}
    for channel, account, external_id, status, listing_id, variation_id, channel_sku in rows:
        if status == HubStatus.ALLOCATED.value and not changed:
            continue
        ref = ListingRef(
            channel=channel,
            account=account,
            listing_id=listing_id,
            variation_id=variation_id,
            channel_sku=channel_sku,
        )
        try:
            in_force = book.resolve(ref)
        except PairingConflict:
            continue  # the seller must settle it; process_order records the conflict
        if in_force == stored:
            keys[OrderKey(channel=channel, account=account, external_id=external_id)] = None
    reason = f"re-planned: pairing changed ({stored.describe()})"
    plans = [
        (key, plan)
        for key in keys
        if (
            plan := replan_order(
                session, key, settings=settings, reason=reason, now=now, actor=actor
            )
        )
    ]
    return stored, plans


def _content(order: Order) -> dict[str, Any]:
    """What a plan depends on: the lines, the address, the service and the payment."""
    return order.model_dump(
        mode="json", include={"lines", "ship_to", "shipping_service", "payment"}
    )


def modification(before: Order, after: Order) -> list[str]:
    """What changed between two versions of an order, as short phrases (empty: nothing)."""
    old, new = _content(before), _content(after)
    labels = {
        "lines": "lines",
        "ship_to": "address",
        "shipping_service": "shipping service",
        "payment": "payment",
    }
    return [label for field, label in labels.items() if old[field] != new[field]]


def ingest_order(
    session: Session,
    order: Order,
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str = "hub",
    raw_payload_id: int | None = None,
) -> Upserted:
    """Upsert a channel order; re-plan it when it changed after the hub planned it."""
    existing = session.scalars(
        select(OrderRow).where(
            OrderRow.channel == order.channel,
            OrderRow.account == order.account,
            OrderRow.external_id == order.external_id,
        )
    ).one_or_none()
    before = to_order(existing) if existing is not None else None
    result = upsert_order(session, order, now=now, raw_payload_id=raw_payload_id)
    if before is None or result.outcome is not UpsertOutcome.UPDATED:
        return result
    changed = modification(before, order)
    if not changed or order.channel_state is ChannelOrderState.CANCELLED:
        return result  # a cancellation is the pipeline's to apply
    status = before.hub_status
    what = ", ".join(changed)
    if status in OPEN_STATUSES:
        reason = f"modified on the channel ({what})"
        record_decision(session, result.id, kind="modified", reason=reason, at=now, actor=actor)
        if status is HubStatus.ALLOCATED:
            replan_order(session, order.key, settings=settings, reason=reason, now=now, actor=actor)
        return result
    record_decision(
        session,
        result.id,
        kind="modified",
        reason=f"modified on the channel ({what}) after the order became {status.value}: "
        "intercept it to stop the old parcel",
        at=now,
        actor=actor,
    )
    return result
