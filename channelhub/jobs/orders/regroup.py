"""Splitting (拆单) and merging (合单) stored orders by hand, and undoing a merge.

The hub keeps the channel's orders untouched and ships derived ones:
- a split puts the original on hold (``split_into``) and creates one order per part,
  ``<id>-S<n>`` with ``parent_external_id`` = the original, carrying the channel's line ids
  and their share of the money (core.split), each planned by the pipeline;
- a merge puts every source on hold (``merged_into``) and creates ``M-<a>+<b>...`` whose
  ``merge`` decision keeps the whole :class:`~channelhub.core.merge.MergedOrder` (every
  line's origin); :func:`unmerge_order` cancels it and gives each source back to the pipeline.
Either way the reservations and queued warehouse orders of the originals are released first,
and every step is a recorded decision, so ``orders show`` explains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.merge import MergeConfig, MergedOrder, merge_orders, unmerge
from channelhub.core.money import Money
from channelhub.core.order import Order, OrderKey, OrderTotals
from channelhub.core.split import part_lines, split_order
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.jobs.orders.stopping import stop_order
from channelhub.store.repos.decisions import order_decisions, record_decision
from channelhub.store.repos.orders import get_order_row, to_order, transition_order, upsert_order
from channelhub.store.tables.orders import OrderRow

#: Decision kinds that mark an order as handed over to derived orders (and the undo);
#: jobs.stopping.derived_orders reads the same kinds to cancel what a cancelled order became.
GONE_KINDS = frozenset({"split_into", "merged_into"})
UNDO_KIND = "unmerge"


def regrouped_into(session: Session, order_id: int) -> str | None:
    """Why an order must not be approved or released by itself (merged or split away)."""
    latest = None
    for decision in order_decisions(session, order_id):
        if decision.kind in GONE_KINDS:
            latest = decision.reason
        elif decision.kind == UNDO_KIND:
            latest = None
    return latest


def _open_order(session: Session, key: OrderKey) -> tuple[int, Order]:
    row = get_order_row(session, key)
    order = to_order(row)
    if order.hub_status not in OPEN_STATUSES:
        raise ChannelhubError(
            f"order {key} is {order.hub_status.value}: only orders the hub still holds "
            "can be split or merged"
        )
    gone = regrouped_into(session, row.id)
    if gone:
        raise ChannelhubError(f"order {key}: {gone}")
    return row.id, order


def _free_id(session: Session, order: Order, wanted: str) -> str:
    """``wanted``, or ``wanted~n`` when an earlier split/merge already used it."""
    taken = set(
        session.scalars(
            select(OrderRow.external_id).where(
                OrderRow.channel == order.channel,
                OrderRow.account == order.account,
                OrderRow.external_id.like(f"{wanted}%"),
            )
        )
    )
    candidate, n = wanted, 1
    while candidate in taken:
        n += 1
        candidate = f"{wanted}~{n}"
    return candidate


def split_into_orders(
    session: Session,
    key: OrderKey,
    assignment: Sequence[Sequence[tuple[str, int]]],
    *,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
    max_parts: int | None = None,
) -> list[OrderKey]:
    """Split ``key`` into one order per part (``assignment``: per part, (line id, qty))."""
    order_id, order = _open_order(session, key)
    if len(assignment) < 2:
        raise InvalidInput.field("--lines", len(assignment), "parts: a split needs at least two")
    split = split_order(order, assignment, reason=f"split by {actor}", max_parts=max_parts)
    parts = part_lines(order, split)
    children: list[Order] = []
    for number, lines in enumerate(parts, start=1):
        totals = [x.total for x in lines if x.total is not None]
        total = sum(totals[1:], totals[0]) if totals else Money.zero(order.currency)
        child = order.model_copy(
            update={
                "external_id": _free_id(session, order, f"{order.external_id}-S{number}"),
                "parent_external_id": order.external_id,
                "channel_status": "split",
                "hub_status": HubStatus.NEW,
                "lines": lines,
                "totals": OrderTotals(total=total),
            }
        )
        children.append(Order.model_validate(child.model_dump(), strict=False))
    names = ", ".join(c.external_id for c in children)
    reason = f"split into {len(children)} orders ({names}) by {actor}"
    stop_order(session, key, target=HubStatus.ON_HOLD, reason=reason, now=now, actor=actor)
    record_decision(
        session,
        order_id,
        kind="split_into",
        reason=reason,
        at=now,
        actor=actor,
        detail={"split": split.model_dump(mode="json"), "children": [str(c.key) for c in children]},
    )
    for number, child in enumerate(children, start=1):
        stored = upsert_order(session, child, now=now)
        shown = ", ".join(f"{x.line_id} x{x.quantity}" for x in child.lines)
        record_decision(
            session,
            stored.id,
            kind="split",
            reason=f"part {number} of {len(children)} of order {key}: {shown}",
            at=now,
            actor=actor,
        )
        process_order(session, child.key, settings=settings, now=now, actor=actor)
    return [c.key for c in children]


def merge_into_order(
    session: Session,
    keys: Sequence[OrderKey],
    *,
    config: MergeConfig,
    settings: PipelineSettings,
    now: datetime,
    actor: str,
) -> OrderKey:
    """Merge open orders of one buyer to one address into one order the hub ships."""
    found = [_open_order(session, key) for key in keys]
    orders = [order for _, order in found]
    wanted = "M-" + "+".join(o.external_id for o in orders)
    merged = merge_orders(
        orders, config=config, merged_id=_free_id(session, orders[0], wanted) if orders else None
    )
    into = merged.order.key
    reason = f"merged into {into} by {actor}"
    for (order_id, _), key in zip(found, keys, strict=True):
        stop_order(session, key, target=HubStatus.ON_HOLD, reason=reason, now=now, actor=actor)
        record_decision(
            session,
            order_id,
            kind="merged_into",
            reason=reason,
            at=now,
            actor=actor,
            detail={"into": str(into)},
        )
    stored = upsert_order(session, merged.order, now=now)
    record_decision(
        session,
        stored.id,
        kind="merge",
        reason=f"merge of {', '.join(str(k) for k in merged.sources)} by {actor}",
        at=now,
        actor=actor,
        detail={"merged": merged.model_dump(mode="json")},
    )
    process_order(session, into, settings=settings, now=now, actor=actor)
    return into


def unmerge_order(
    session: Session, key: OrderKey, *, settings: PipelineSettings, now: datetime, actor: str
) -> list[OrderKey]:
    """Undo a merge: cancel the merged order (releasing its stock) and re-plan each source."""
    row = get_order_row(session, key)
    record = next((d for d in order_decisions(session, row.id) if d.kind == "merge"), None)
    if record is None:
        raise ChannelhubError(f"order {key} is not a merged order")
    merged = MergedOrder.model_validate(record.detail["merged"], strict=False)
    back = unmerge(merged)  # every merged line maps back to its source (else InvalidInput)
    reason = f"unmerged by {actor}: {', '.join(str(k) for k, _ in back)} go back"
    stop_order(session, key, target=HubStatus.CANCELLED, reason=reason, now=now, actor=actor)
    record_decision(session, row.id, kind=UNDO_KIND, reason=reason, at=now, actor=actor)
    for source, _ in back:
        source_row = get_order_row(session, source)
        record_decision(
            session, source_row.id, kind=UNDO_KIND, reason=f"{key} {reason}", at=now, actor=actor
        )
        if HubStatus(source_row.hub_status) is HubStatus.ON_HOLD:
            transition_order(
                session, source_row.id, HubStatus.NEW, reason=reason, at=now, actor=actor
            )
        process_order(session, source, settings=settings, now=now, actor=actor)
    return [source for source, _ in back]
