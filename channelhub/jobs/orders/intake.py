"""The one way a channel order enters the hub: imports, backfills, replays and webhooks.

:func:`intake_order` does the guarded upsert (an older or equal ``updated_at`` changes
nothing) and compares what the hub planned on (lines, address, service, payment) with what
the channel now says. A real change is recorded on the order (``modified``); an order still
allocated (not yet dispatched) gives back its reservation and has its queued warehouse orders
cancelled (``outbound_order.cancel`` of the old revision) and moves back to ``approved``, so
the next pipeline pass (the import's after-page hook, or the scheduled run) plans it again
under a new revision. The release needs no rules, so every intake path can do it in its own
transaction; planning again is the pipeline's. After dispatch the change is recorded for a
person: only an intercept can stop a parcel the warehouse holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import ChannelOrderState, Order
from channelhub.jobs.orders.stopping import release_order
from channelhub.store.repos._upsert import Upserted, UpsertOutcome
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.orders import document_order, transition_order, upsert_order
from channelhub.store.repos.orders_bulk import (
    locked_versions,
    order_key,
    rounds,
    upsert_orders,
)
from channelhub.store.tables.orders import OrderRow


class Intake(NamedTuple):
    """What taking one order in did: the row, the upsert outcome, what changed, and whether
    an allocated order was released to be planned again."""

    id: int
    outcome: UpsertOutcome
    changed: tuple[str, ...] = ()
    released: bool = False


def _content(order: Order) -> dict[str, Any]:
    """What a plan depends on: the lines, the address, the service and the payment. Not the
    lines' shipped quantities: the channel counts the hub's own shipments there, which is
    progress, not a change to the order."""
    return order.model_dump(
        mode="json",
        include={"lines", "ship_to", "shipping_service", "payment"},
        exclude={"lines": {"__all__": {"shipped_quantity"}}},
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


def intake_order(
    session: Session,
    order: Order,
    *,
    now: datetime,
    actor: str = "hub",
    raw_payload_id: int | None = None,
) -> Intake:
    """Upsert a channel order in the caller's transaction; release it when it changed after
    the hub allocated it (see module docstring)."""
    existing = session.execute(
        select(OrderRow.document, OrderRow.hub_status).where(
            OrderRow.channel == order.channel,
            OrderRow.account == order.account,
            OrderRow.external_id == order.external_id,
        )
    ).one_or_none()
    result = upsert_order(session, order, now=now, raw_payload_id=raw_payload_id)
    stored = None if existing is None else (existing.document, existing.hub_status)
    return _after_upsert(session, order, result, stored, now=now, actor=actor)


def _after_upsert(
    session: Session,
    order: Order,
    result: Upserted,
    existing: tuple[dict[str, Any], str] | None,
    *,
    now: datetime,
    actor: str,
) -> Intake:
    """What changed since ``existing`` (the version stored before the upsert), recorded, and
    an allocated order released (see module docstring)."""
    if existing is None or result.outcome is not UpsertOutcome.UPDATED:
        return Intake(result.id, result.outcome)
    before = document_order(*existing)
    changed = tuple(modification(before, order))
    if not changed or order.channel_state is ChannelOrderState.CANCELLED:
        return Intake(result.id, result.outcome, changed)  # a cancel is the pipeline's to apply
    status, what = before.hub_status, ", ".join(changed)
    if status not in OPEN_STATUSES:
        reason = (
            f"modified on the channel ({what}) after the order became {status.value}: "
            "intercept it to stop the old parcel"
        )
        record_decision(session, result.id, kind="modified", reason=reason, at=now, actor=actor)
        return Intake(result.id, result.outcome, changed)
    reason = f"modified on the channel ({what})"
    record_decision(session, result.id, kind="modified", reason=reason, at=now, actor=actor)
    if status is not HubStatus.ALLOCATED:
        return Intake(result.id, result.outcome, changed)
    release_order(session, result.id, order.key, reason=reason, now=now, actor=actor)
    transition_order(session, result.id, HubStatus.APPROVED, reason=reason, at=now, actor=actor)
    return Intake(result.id, result.outcome, changed, released=True)


def intake_orders(
    session: Session,
    orders: Sequence[Order],
    *,
    now: datetime,
    actor: str = "hub",
    raw_payload_ids: Sequence[int | None] | None = None,
) -> list[Intake]:
    """:func:`intake_order` for many orders in the caller's transaction, set-based: the stored
    versions read (and their rows locked) in one query, the upsert in a few statements
    (:func:`~channelhub.store.repos.orders_bulk.upsert_orders`); only an order that really
    changed goes on one by one (its decision, and the release of an allocated one)."""
    payloads = list(raw_payload_ids) if raw_payload_ids is not None else [None] * len(orders)
    results: list[Intake | None] = [None] * len(orders)
    for part in rounds([order_key(o) for o in orders]):
        batch = [orders[i] for i in part]
        # the stored versions read as their rows are locked: one statement for both
        before = locked_versions(session, [order_key(o) for o in batch])
        stored = upsert_orders(
            session,
            batch,
            now=now,
            raw_payload_ids=[payloads[i] for i in part],
            locked={key: version.id for key, version in before.items()},
        )
        for index, order, result in zip(part, batch, stored, strict=True):
            version = before.get(order_key(order))
            existing = None if version is None else (version.document, version.hub_status)
            results[index] = _after_upsert(session, order, result, existing, now=now, actor=actor)
    return [r for r in results if r is not None]
