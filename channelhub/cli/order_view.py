"""The text of ``orders show``: an order, its lines, its whole history and its parcels.

History interleaves status transitions and decisions (pairing, review holds with every
reason, allocation "US-EAST: every line in stock; nearest to US/NY", split, merge, stop,
intercept) in the order they happened. Warehouse orders list each revision and each cancel
with the warehouse's answer when it has come back; tracking shows the buyer-facing timeline
(one line per distinct step, oldest first).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from channelhub.core.money import money_text
from channelhub.core.order import Order, OrderKey
from channelhub.jobs.orders.detail import (
    order_events,
    order_packages,
    tracking_steps,
    warehouse_messages,
)
from channelhub.store.repos.orders import get_order_row, to_order


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _header(order: Order) -> list[str]:
    out = [
        f"order {order.key}",
        f"  status    {order.hub_status.value} (channel: {order.channel_status})",
        f"  placed    {_when(order.placed_at)}   "
        f"total {money_text(order.totals.total.amount, order.currency)}   "
        f"payment {order.payment.method.value}" + ("" if order.payment.paid else " (unpaid)"),
    ]
    if order.parent_external_id:
        out.append(f"  parent    {order.parent_external_id}")
    if order.ship_to is not None:
        a = order.ship_to
        where = ", ".join(p for p in (a.name, a.line1, a.city, a.region, a.postal_code) if p)
        out.append(f"  ship to   {where} {a.country}")
    else:
        out.append("  ship to   (none)")
    if order.shipping_service:
        out.append(f"  service   {order.shipping_service}")
    if order.remarks:
        out.append(f"  remarks   {order.remarks}")
    out.append("lines:")
    for line in order.lines:
        what = line.channel_sku or line.listing_id or "?"
        counts = f"x{line.quantity}"
        if line.cancelled_quantity:
            counts += f" ({line.cancelled_quantity} cancelled)"
        if line.shipped_quantity:
            counts += f" ({line.shipped_quantity} shipped)"
        price = (
            f"  @ {money_text(line.unit_price.amount, line.unit_price.currency)}"
            if line.unit_price
            else ""
        )
        out.append(f"  {line.line_id}  {what}  {counts}{price}  {line.title or ''}".rstrip())
    return out


def _history(session: Session, order_id: int) -> list[str]:
    events = order_events(session, order_id)
    lines = []
    for e in events:
        if e.kind == "status":
            lines.append(f"  {_when(e.at)}  {e.text}: {e.reason}  [{e.actor}]")
        else:
            lines.append(f"  {_when(e.at)}  {e.kind}: {e.reason}  [{e.actor}]")
    return ["history:", *lines] if lines else []


def _warehouse_orders(session: Session, key: str) -> list[str]:
    out = []
    for m in warehouse_messages(session, key):
        line = f"  {m.key}  {m.verb} -> {m.target}  {m.state}"
        if m.answer:
            line += "  answer: " + ", ".join(f"{k}={v}" for k, v in m.answer.items())
        elif m.last_error:
            line += f"  last error: {m.last_error}"
        out.append(line)
    return ["warehouse orders:", *out] if out else []


def _tracking(session: Session, key: str) -> list[str]:
    numbers = [p.tracking_number for p in order_packages(session, key)]
    out: list[str] = []
    for number, events in tracking_steps(session, numbers).items():
        out.append(f"tracking {number} ({events[0].carrier}):")
        for e in events:
            where = f"  {e.location}" if e.location else ""
            out.append(f"  {_when(e.occurred_at)}  {e.status.value}  {e.description or ''}{where}")
    return out


def render_order(session: Session, key: OrderKey) -> str:
    """The full text of ``orders show`` for ``key`` (NotFound when it is not stored)."""
    row = get_order_row(session, key)
    order = to_order(row)
    parts = [
        *_header(order),
        *_history(session, row.id),
        *_warehouse_orders(session, str(key)),
        *_tracking(session, str(key)),
    ]
    return "\n".join(parts) + "\n"
