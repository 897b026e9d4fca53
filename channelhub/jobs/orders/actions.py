"""What a person does to an order, in one place for the CLI (``channelhub orders ...``) and
the console: approve, hold, release, cancel, intercept, split, merge, unmerge.

Each runs in the caller's transaction through the pipeline's own functions (process_order,
stop_order, request_intercept, the re-grouping of jobs.regroup), so what a person does is
recorded like what the hub does, with the actor and the reason; each returns the one line
that tells the person what happened. :func:`stop_preview` says, before a cancel or an
intercept, what it will do at the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.order import parse_order_key as parse_order_key  # where callers look
from channelhub.core.rulebook import Rulebook
from channelhub.jobs.fulfilment.intercept import INTERCEPTABLE, request_intercept
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.jobs.orders.regroup import (
    merge_into_order,
    regrouped_into,
    split_into_orders,
    unmerge_order,
)
from channelhub.jobs.orders.stopping import outbound_messages, stop_order
from channelhub.store.repos.orders import get_order_row, transition_order
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.orders import OrderRow


def parse_part(text: str) -> list[tuple[str, int]]:
    """``1:2,2:1`` -> [("1", 2), ("2", 1)]: line id and quantity of one part."""
    out: list[tuple[str, int]] = []
    for item in (x.strip() for x in text.split(",")):
        line_id, sep, qty = item.rpartition(":")
        if not sep or not line_id or not qty.isdigit() or int(qty) < 1:
            raise InvalidInput.field("--lines", text, f"has {item!r}, not LINE_ID:QUANTITY")
        out.append((line_id, int(qty)))
    return out


def pipeline_settings(rules: Rulebook) -> PipelineSettings:
    """The pipeline's view of a rule set."""
    return PipelineSettings(pairing=rules.pairing, review=rules.review, allocation=rules.allocation)


def _not_regrouped(session: Session, key: OrderKey) -> int:
    row = get_order_row(session, key)
    gone = regrouped_into(session, row.id)
    if gone:
        raise ChannelhubError(f"order {key}: {gone} (unmerge it first)")
    return row.id


def _on_hold(session: Session, key: OrderKey, verb: str) -> int:
    row_id = _not_regrouped(session, key)
    status = HubStatus(session.get_one(OrderRow, row_id).hub_status)
    if status is not HubStatus.ON_HOLD:
        raise ChannelhubError(f"order {key} is {status.value}, not on hold: nothing to {verb}")
    return row_id


def approve_order(
    session: Session, key: OrderKey, *, settings: PipelineSettings, now: datetime, actor: str
) -> str:
    """Approve an order on hold by hand (review rules skipped) and plan it."""
    _on_hold(session, key, "approve")
    plan = process_order(
        session, key, settings=settings, now=now, actor=actor, approved_by_hand=True
    )
    assert plan is not None  # an order on hold approved by hand is always planned
    return f"{key}: approved by {actor}; now {plan.status.value}: {plan.reason}"


def release_order(
    session: Session, key: OrderKey, *, settings: PipelineSettings, now: datetime, actor: str
) -> str:
    """Release a hold: the order goes back through the pipeline (review rules still apply)."""
    row_id = _on_hold(session, key, "release")
    transition_order(
        session, row_id, HubStatus.NEW, reason=f"released by {actor}", at=now, actor=actor
    )
    plan = process_order(session, key, settings=settings, now=now, actor=actor)
    assert plan is not None
    return f"{key}: released by {actor}; now {plan.status.value}: {plan.reason}"


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput.field("reason", reason, "must say why")
    return reason.strip()


def hold_order(session: Session, key: OrderKey, *, reason: str, now: datetime, actor: str) -> str:
    """Hold an order (its reservation is released, queued warehouse orders cancelled)."""
    return _stop(session, key, HubStatus.ON_HOLD, "held", reason, now, actor)


def cancel_order(session: Session, key: OrderKey, *, reason: str, now: datetime, actor: str) -> str:
    """Cancel an order the hub still holds (after dispatch: intercept)."""
    return _stop(session, key, HubStatus.CANCELLED, "cancelled", reason, now, actor)


def _stop(
    session: Session,
    key: OrderKey,
    target: HubStatus,
    verb: str,
    reason: str,
    now: datetime,
    actor: str,
) -> str:
    why = f"{verb} by {actor}: {_require_reason(reason)}"
    released = stop_order(session, key, target=target, reason=why, now=now, actor=actor)
    units = sum(m.quantity for m in released)
    return f"{key}: {target.value.replace('_', ' ')}; released {units} unit(s)"


def intercept_order(
    session: Session,
    key: OrderKey,
    *,
    reason: str,
    then: HubStatus,
    now: datetime,
    actor: str,
) -> str:
    """Stop an order: in the hub before dispatch; after dispatch, ask the warehouse to cancel
    (its answer, stopped in time or too late, shows on the order)."""
    if then not in (HubStatus.ON_HOLD, HubStatus.CANCELLED):
        raise InvalidInput.field("--then", then.value, "must be on_hold or cancelled")
    why = f"intercepted by {actor}: {_require_reason(reason)}"
    status = HubStatus(get_order_row(session, key).hub_status)
    if status in OPEN_STATUSES:
        released = stop_order(session, key, target=then, reason=why, now=now, actor=actor)
        units = sum(m.quantity for m in released)
        return f"{key}: stopped before dispatch, now {then.value}; released {units} unit(s)"
    asked = request_intercept(session, key, then=then, reason=why, now=now, actor=actor)
    return f"{key}: asked the warehouse to cancel {len(asked)} order(s); see the order's history"


def split_order(
    session: Session,
    key: OrderKey,
    parts: Sequence[Sequence[tuple[str, int]]],
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
    max_parts: int | None = None,
) -> str:
    """Split an order into parts, each planned (and shipped) as an order of its own."""
    children = split_into_orders(
        session, key, parts, settings=settings, now=now, actor=actor, max_parts=max_parts
    )
    return f"{key}: split into {', '.join(str(c) for c in children)}"


def merge_orders(
    session: Session, keys: Sequence[OrderKey], *, rules: Rulebook, now: datetime, actor: str
) -> str:
    """Merge orders of one buyer to one address into one shipment (undo: unmerge)."""
    merged = merge_into_order(
        session,
        keys,
        config=rules.merge,
        settings=pipeline_settings(rules),
        now=now,
        actor=actor,
    )
    return f"merged {len(keys)} orders into {merged}"


def unmerge(
    session: Session, key: OrderKey, *, settings: PipelineSettings, now: datetime, actor: str
) -> str:
    """Undo a merge: the merged order is cancelled, its sources are planned again."""
    sources = unmerge_order(session, key, settings=settings, now=now, actor=actor)
    return f"{key}: unmerged; {', '.join(str(s) for s in sources)} back in the pipeline"


@dataclass(frozen=True)
class StopPreview:
    """What a cancel or an intercept of an order will do, said before it is done."""

    status: HubStatus
    in_hub: bool  # still the hub's: stopped here, its reservation released
    warehouse_orders: list[tuple[str, str, str]]  # (outbound key, warehouse, state)

    def says(self, verb: str) -> str:
        if self.in_hub and not self.warehouse_orders:
            return (
                f"The order is {self.status.value} and has not reached a warehouse: it is "
                f"{verb} in the hub and its reserved stock goes back on sale."
            )
        where = ", ".join(f"{w} ({k}, {s})" for k, w, s in self.warehouse_orders)
        if self.in_hub:
            return (
                f"The order is {self.status.value}: its reserved stock goes back on sale and "
                f"the warehouse orders queued for it are cancelled before they leave: {where}."
            )
        return (
            f"The order is {self.status.value}: the hub asks the warehouse to cancel {where}. "
            "If it is already packed or shipped the warehouse answers too late and the order "
            "goes on; the answer shows in the order's history."
        )


def stop_preview(session: Session, key: OrderKey) -> StopPreview:
    """Before a cancel or intercept: where the order is and its warehouse orders."""
    row = get_order_row(session, key)
    status = HubStatus(row.hub_status)
    if status in OPEN_STATUSES:
        queued = [
            (m.idempotency_key, m.target, m.state) for m in outbound_messages(session, str(key))
        ]
        return StopPreview(status, True, queued)
    live = session.execute(
        select(
            OutboundOrderRow.idempotency_key, OutboundOrderRow.warehouse, OutboundOrderRow.state
        ).where(OutboundOrderRow.order_key == str(key))
    ).all()
    return StopPreview(status, False, [tuple(r) for r in live])  # type: ignore[misc]


def can_intercept(status: HubStatus) -> bool:
    """Intercept applies to an order still in the hub or at a warehouse."""
    return status in OPEN_STATUSES or status in INTERCEPTABLE
