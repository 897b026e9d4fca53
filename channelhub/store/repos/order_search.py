"""The orders list the console pages through: filters and a search, newest first, one query.

Only columns are read (never the JSON document) and the line count comes from a correlated
count on ``order_lines``' (order_id, line_id) index, so a page of 50 costs one query at any
number of orders. The newest-first index (placed_at, id) also holds external_id and
buyer_name (0013), so a search that matches few orders walks the index alone and reads only
the matching rows; the status filter has its own (hub_status, placed_at, id).

Pages are keyset pages: ``after`` (or ``before``) names the row id of the last (first) order
of the page before, and the next page starts below (above) its (placed_at, id) on the same
index, so page 2,000 of 100,000 orders costs what page 1 costs (an OFFSET walks and drops
every row before it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.stock import MovementKind
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.fulfilment import OutboundOrderRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.stock import StockMovementRow, WarehouseRow


@dataclass(frozen=True)
class OrderFilter:
    """What the seller narrows the list to; every field optional. ``text`` matches an order
    id (exact or its beginning), a buyer's name (anywhere, any case) or a line's channel SKU
    (exact)."""

    status: str | None = None
    statuses: tuple[str, ...] = ()  # any of these (the CLI's repeated --status)
    channel: str | None = None
    account: str | None = None
    warehouse: str | None = None
    held: bool = False
    placed_from: date | None = None
    placed_to: date | None = None  # inclusive
    text: str | None = None


@dataclass(frozen=True)
class OrderListRow:
    """One line of the list."""

    id: int
    channel: str
    account: str
    external_id: str
    hub_status: str
    channel_status: str
    placed_at: datetime
    total_amount: Decimal
    currency: str
    buyer_name: str | None
    lines: int

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.account}:{self.external_id}"


def _order_key_column() -> Any:
    return OrderRow.channel + literal(":") + OrderRow.account + literal(":") + OrderRow.external_id


def _at_warehouse(code: str) -> Any:
    """Orders planned for or sent to warehouse ``code``: a reservation there (the ledger's
    reference is ``<order>#p<part>``, parts 1-9: the suffix is cut off) or an outbound order
    there. Both subqueries are uncorrelated: each runs once on its own index."""
    reserved = select(
        func.substr(StockMovementRow.reference, 1, func.length(StockMovementRow.reference) - 3)
    ).where(
        StockMovementRow.warehouse == code,
        StockMovementRow.kind == MovementKind.RESERVE.value,
        StockMovementRow.reference.like("%#p_"),
    )
    sent = select(OutboundOrderRow.order_key).where(OutboundOrderRow.warehouse == code)
    key = _order_key_column()
    return or_(key.in_(reserved), key.in_(sent))


def _position(dialect: str, haystack: Any, needle: str) -> Any:
    """Where ``needle`` starts in ``haystack`` (0: not in it). A plain substring test, not
    LIKE: nothing in the seller's text is a wildcard, and it is cheaper per row."""
    if dialect == "postgresql":
        return func.strpos(haystack, needle)
    return func.instr(haystack, needle)


def _filtered(query: Any, f: OrderFilter, dialect: str) -> Any:
    if f.held:
        query = query.where(OrderRow.hub_status == HubStatus.ON_HOLD.value)
    if f.status:
        query = query.where(OrderRow.hub_status == f.status)
    if f.statuses:
        query = query.where(OrderRow.hub_status.in_(f.statuses))
    if f.channel:
        query = query.where(OrderRow.channel == f.channel)
    if f.account:
        query = query.where(OrderRow.account == f.account)
    if f.placed_from:
        query = query.where(OrderRow.placed_at >= datetime.combine(f.placed_from, time(), UTC))
    if f.placed_to:
        end = datetime.combine(f.placed_to + timedelta(days=1), time(), UTC)
        query = query.where(OrderRow.placed_at < end)
    if f.warehouse:
        query = query.where(_at_warehouse(f.warehouse))
    text = (f.text or "").strip()
    if text:
        with_sku = select(OrderLineRow.order_id).where(OrderLineRow.channel_sku == text)
        query = query.where(
            or_(
                func.substr(OrderRow.external_id, 1, len(text)) == text,  # the id's beginning
                _position(dialect, func.lower(OrderRow.buyer_name), text.lower()) > 0,
                OrderRow.id.in_(with_sku),
            )
        )
    return query


def _beyond(order_id: int, *, older: bool) -> Any:
    """Orders placed before (``older``) or after the order with row id ``order_id``, in the
    list's (placed_at, id) order: one primary-key lookup for its placed_at, then the index."""
    placed = select(OrderRow.placed_at).where(OrderRow.id == order_id).scalar_subquery()
    if older:
        return or_(
            OrderRow.placed_at < placed, and_(OrderRow.placed_at == placed, OrderRow.id < order_id)
        )
    return or_(
        OrderRow.placed_at > placed, and_(OrderRow.placed_at == placed, OrderRow.id > order_id)
    )


def order_row_id(session: Session, key: str) -> int | None:
    """The row id of the order ``CHANNEL:ACCOUNT:ORDER_ID`` (the CLI's ``--after``)."""
    channel, _, rest = key.partition(":")
    account, _, external_id = rest.partition(":")
    found = session.execute(
        select(OrderRow.id).where(
            OrderRow.channel == channel,
            OrderRow.account == account,
            OrderRow.external_id == external_id,
        )
    ).scalar_one_or_none()
    return None if found is None else int(found)


def search_orders(
    session: Session,
    f: OrderFilter,
    *,
    limit: int = 51,
    offset: int = 0,
    after: int | None = None,
    before: int | None = None,
) -> list[OrderListRow]:
    """One page of orders matching ``f``, newest placed first (ties: newest id first).

    ``after``: the page that follows the order with that row id (older orders); ``before``:
    the page that precedes it (newer orders, still returned newest first)."""
    lines = (
        select(func.count(OrderLineRow.id))
        .where(OrderLineRow.order_id == OrderRow.id)
        .correlate(OrderRow)
        .scalar_subquery()
    )
    query = select(
        OrderRow.id,
        OrderRow.channel,
        OrderRow.account,
        OrderRow.external_id,
        OrderRow.hub_status,
        OrderRow.channel_status,
        OrderRow.placed_at,
        OrderRow.total_amount,
        OrderRow.currency,
        OrderRow.buyer_name,
        lines.label("lines"),
    )
    query = _filtered(query, f, session.get_bind().dialect.name)
    if after is not None:
        query = query.where(_beyond(after, older=True))
    if before is not None:  # walk the index upwards from it, then turn the page around
        query = query.where(_beyond(before, older=False))
        query = query.order_by(OrderRow.placed_at, OrderRow.id).limit(limit).offset(offset)
        rows = [OrderListRow(**row._asdict()) for row in session.execute(query)]
        return rows[::-1]
    query = query.order_by(OrderRow.placed_at.desc(), OrderRow.id.desc())
    return [
        OrderListRow(**row._asdict()) for row in session.execute(query.limit(limit).offset(offset))
    ]


def order_facets(session: Session) -> dict[str, list[str]]:
    """The choices the filters offer: channels, accounts and warehouses known to the hub."""
    accounts = session.execute(select(Account.platform, Account.name)).all()
    return {
        "channel": sorted({platform for platform, _ in accounts}),
        "account": sorted(name for _, name in accounts),
        "warehouse": list(session.scalars(select(WarehouseRow.code).order_by(WarehouseRow.code))),
    }
