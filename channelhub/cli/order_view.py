"""The text of ``orders show``: an order, its lines, its whole history and its parcels.

History interleaves status transitions and decisions (pairing, review holds with every
reason, allocation "US-EAST: every line in stock; nearest to US/NY", split, merge, stop,
intercept) in the order they happened. Warehouse orders list each revision and each cancel
with the warehouse's answer when it has come back; tracking shows the buyer-facing timeline
(one line per distinct step, oldest first).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.codes import minor_units
from channelhub.core.order import Order, OrderKey
from channelhub.jobs.stopping import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.fulfilment import tracking_timeline
from channelhub.store.repos.orders import get_order_row, order_history, to_order
from channelhub.store.tables.fulfilment import PackageRow, ShipmentRow
from channelhub.store.tables.outbox import OutboxMessage


def money_text(amount: Decimal, currency: str) -> str:
    """``238.98 USD`` whatever the database returned (PostgreSQL's NUMERIC(20, 6) gives
    ``238.980000``, SQLite the text stored): trailing zeros beyond the currency's minor units
    dropped, never a digit that carries value (a unit price of 0.0125 stays as it is)."""
    exponent = amount.normalize().as_tuple().exponent
    places = max(minor_units(currency), -exponent if isinstance(exponent, int) else 0)
    return f"{amount.quantize(Decimal(1).scaleb(-places))} {currency}"


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
    events: list[tuple[datetime, int, int, str]] = []
    for n, d in enumerate(order_decisions(session, order_id)):
        events.append((d.at, 0, n, f"{_when(d.at)}  {d.kind}: {d.reason}  [{d.actor}]"))
    for n, t in enumerate(order_history(session, order_id)):
        line = f"{_when(t.at)}  {t.from_status.value} -> {t.to_status.value}: {t.reason}"
        events.append((t.at, 1, n, f"{line}  [{t.actor}]"))
    return ["history:", *(f"  {text}" for *_, text in sorted(events))] if events else []


def _warehouse_orders(session: Session, key: str) -> list[str]:
    messages = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind.in_([OUTBOUND_CREATE, OUTBOUND_CANCEL]),
            OutboxMessage.idempotency_key.like(f"{key}#p%"),
        )
        .order_by(OutboxMessage.id)
    ).all()
    out = []
    for m in messages:
        verb = "cancel" if m.kind == OUTBOUND_CANCEL else "create"
        line = f"  {m.idempotency_key}  {verb} -> {m.target}  {m.state}"
        answer = m.payload.get("answer")
        if isinstance(answer, dict) and answer:
            line += "  answer: " + ", ".join(f"{k}={v}" for k, v in answer.items())
        elif m.last_error:
            line += f"  last error: {m.last_error}"
        out.append(line)
    return ["warehouse orders:", *out] if out else []


def _tracking(session: Session, key: str) -> list[str]:
    numbers = session.scalars(
        select(PackageRow.tracking_number)
        .join(ShipmentRow, ShipmentRow.id == PackageRow.shipment_id)
        .where(ShipmentRow.outbound_key.like(f"{key}#p%"))
        .order_by(PackageRow.id)
    ).all()
    out: list[str] = []
    for number in dict.fromkeys(numbers):
        events = tracking_timeline(session, number)
        if not events:
            continue
        out.append(f"tracking {number} ({events[0].carrier}):")
        seen: set[tuple[str, str | None]] = set()
        for e in events:
            step = (e.status.value, e.description)
            if step in seen:
                continue  # the same step reported twice is one step for the buyer
            seen.add(step)
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
