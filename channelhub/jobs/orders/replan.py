"""Re-planning orders when what they were planned on changed: a binding, or the order itself.

- :func:`rebind`: binding or re-binding a listing re-evaluates every open order on it — the
  ones waiting for pairing or for stock, and the ones already allocated but not dispatched,
  whose reservation is released and whose warehouse orders are cancelled before they are
  planned again under the new binding.
- :func:`ingest_order`: :func:`channelhub.jobs.orders.intake.intake_order` (the one intake path:
  guarded upsert, and an allocated order modified on the channel released with its old
  revision's cancel queued) followed at once by the new plan (the next revision).

Everything runs in the caller's transaction, like
:func:`channelhub.jobs.orders.pipeline.process_order`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, ListingRef, PairingConflict
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import Order, OrderKey
from channelhub.jobs.orders.intake import Intake, intake_order
from channelhub.jobs.orders.intake import modification as modification
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.jobs.orders.stopping import release_order
from channelhub.store.repos.orders import get_order_row, transition_order
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
    # only lines naming the binding's subject can be paired by it: those, and the book of
    # every binding naming them (the same answer as the whole book)
    subject = (
        OrderLineRow.channel_sku == stored.channel_sku
        if stored.channel_sku is not None
        else OrderLineRow.listing_id == stored.listing_id
    )
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
        .where(OrderRow.hub_status.in_([s.value for s in REBIND_STATUSES]), subject)
        .order_by(OrderRow.placed_at, OrderRow.id)
    ).all()
    refs = [
        ListingRef(
            channel=channel,
            account=account,
            listing_id=listing_id,
            variation_id=variation_id,
            channel_sku=channel_sku,
        )
        for channel, account, _, _, listing_id, variation_id, channel_sku in rows
    ]
    book = load_book(session, refs)
    keys: dict[OrderKey, None] = {}
    for (channel, account, external_id, status, *_), ref in zip(rows, refs, strict=True):
        if status == HubStatus.ALLOCATED.value and not changed:
            continue
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


def ingest_order(
    session: Session,
    order: Order,
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str = "hub",
    raw_payload_id: int | None = None,
) -> Intake:
    """:func:`~channelhub.jobs.orders.intake.intake_order`, then plan a released order at once."""
    result = intake_order(session, order, now=now, actor=actor, raw_payload_id=raw_payload_id)
    if result.released:
        process_order(session, order.key, settings=settings, now=now, actor=actor)
    return result
