"""The daily rollups the reports read equal the same sums from scratch, whatever was written.

Orders are inserted, edited (quantities, a line removed, one added, a cancelled quantity),
re-sent stale and cancelled; ledger movements come one at a time, as a batch (the pipeline's
path) and back-dated. After each step the maintained rollups must equal
:func:`sales_cells` / :func:`stock_days` over the source tables and a fresh rebuild. Runs on
SQLite and PostgreSQL (the ``session`` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import Address, Money, Order, OrderLine, OrderTotals
from channelhub.core.order import OrderKey
from channelhub.core.stock import MovementKind, StockMovement, Warehouse
from channelhub.core.trends import Bucket, Period
from channelhub.jobs.analytics.reports import rebuild, trends
from channelhub.store.repos.orders import get_order_row, transition_order, upsert_order
from channelhub.store.repos.rollups import (
    SALES_KEY,
    SALES_SUMS,
    STOCK_SUMS,
    sales_cells,
    stock_days,
    stock_rollup_add,
)
from channelhub.store.repos.stock import record_movement, upsert_warehouse
from channelhub.store.sqldates import Dialect
from channelhub.store.tables.rollups import SalesDailyRow, StockDailyRow, StockPositionRow
from channelhub.store.tables.stock import StockMovementRow

T0 = datetime(2026, 3, 2, 10, tzinfo=UTC)


def _order(n: int, lines: list[tuple[str, int, int, str]], *, updated: datetime) -> Order:
    """Order ``o{n}`` with (listing, quantity, cancelled, price) lines."""
    return Order(
        channel="shopify",
        account="acme",
        external_id=f"o{n}",
        channel_status="paid",
        placed_at=T0 - timedelta(days=n % 3),
        updated_at=updated,
        ship_to=Address(name="B", line1="1 Main St", city="Austin", country="US"),
        totals=OrderTotals(total=Money(amount=Decimal("1.00"), currency="EUR")),
        lines=tuple(
            OrderLine(
                line_id=str(i),
                listing_id=listing,
                quantity=qty,
                cancelled_quantity=gone,
                unit_price=Money(amount=Decimal(price), currency="EUR"),
            )
            for i, (listing, qty, gone, price) in enumerate(lines)
        ),
    )


def _table(session: Session, model: Any, key: tuple[str, ...], sums: tuple[str, ...]) -> Any:
    """Rows as {key: sums}, leaving out the cells every order has left (all zero)."""
    table = model.__table__
    rows = session.execute(select(*(table.c[c] for c in (*key, *sums)))).all()
    return {tuple(r[: len(key)]): tuple(r[len(key) :]) for r in rows if any(r[len(key) :])}


def _maintained(session: Session) -> Any:
    return (
        _table(session, SalesDailyRow, SALES_KEY, SALES_SUMS),
        _table(session, StockDailyRow, ("day", "warehouse", "sku"), STOCK_SUMS),
        _table(session, StockPositionRow, ("warehouse", "sku"), STOCK_SUMS),
    )


def _from_scratch(session: Session) -> Any:
    d = Dialect(session.get_bind().dialect.name)
    sales = {tuple(r[:4]): tuple(r[4:]) for r in session.execute(sales_cells(d))}
    days = {tuple(r[:3]): tuple(r[3:]) for r in session.execute(stock_days(d))}
    position: dict[tuple[str, str], list[int]] = {}
    for (_, warehouse, sku), sums in days.items():
        total = position.setdefault((warehouse, sku), [0] * len(sums))
        for i, value in enumerate(sums):
            total[i] += value
    return sales, days, {k: tuple(v) for k, v in position.items()}


def _check(session: Session) -> None:
    session.flush()
    assert _maintained(session) == _from_scratch(session)


def test_rollups_equal_the_sums_from_scratch_after_every_kind_of_write(session: Session) -> None:
    upsert_warehouse(session, Warehouse(code="US-EAST", country="US"), now=T0)
    for n in range(6):  # inserts: 1-2 lines, two orders share listings on the same day
        lines = [("L-A", 1 + n, 0, "2.50")] + ([("L-B", 2, 0, "0.333333")] if n % 2 else [])
        upsert_order(session, _order(n, lines, updated=T0), now=T0)
    _check(session)
    assert session.scalar(select(func.sum(SalesDailyRow.orders))) == 9  # 6 + 3 second lines

    # an edit: a quantity and a cancelled quantity change, a line goes, another comes
    edited = [("L-A", 9, 2, "2.50"), ("L-C", 1, 0, "7.00")]
    upsert_order(session, _order(1, edited, updated=T0 + timedelta(hours=1)), now=T0)
    _check(session)
    # a stale re-send changes nothing
    before = _maintained(session)
    upsert_order(session, _order(1, [("L-Z", 50, 0, "1")], updated=T0), now=T0)
    assert _maintained(session) == before
    # a cancellation takes the whole order out
    row = get_order_row(session, OrderKey(channel="shopify", account="acme", external_id="o3"))
    transition_order(session, row.id, HubStatus.CANCELLED, reason="buyer", at=T0)
    _check(session)

    # the ledger: one at a time, a batch as the pipeline writes it, and a back-dated receipt
    def move(kind: MovementKind, qty: int, at: datetime) -> None:
        movement = StockMovement(
            warehouse="US-EAST", sku="MUG", kind=kind, quantity=qty, reason="t", at=at
        )
        record_movement(session, movement, now=at)

    move(MovementKind.RECEIVE, 40, T0)
    move(MovementKind.RESERVE, 3, T0 + timedelta(days=1))
    batch = [
        {"warehouse": "US-EAST", "sku": sku, "kind": kind, "quantity": 2, "reason": "t",
         "reference": "o1", "dedupe_key": None, "at": T0 + timedelta(days=2),
         "recorded_at": T0}
        for sku in ("MUG", "LID") for kind in ("reserve", "consume")
    ]  # fmt: skip
    session.execute(StockMovementRow.__table__.insert(), batch)
    stock_rollup_add(session, batch)
    move(MovementKind.RECEIVE, 5, T0 - timedelta(days=30))
    move(MovementKind.ADJUST, -1, T0 + timedelta(days=2, hours=1))
    _check(session)

    # and a rebuild from scratch gives the same rows
    maintained = _maintained(session)
    rebuild(session)
    assert _maintained(session) == maintained


def test_reports_read_the_rollup_cancelled_orders_out(session: Session) -> None:
    for n in range(3):
        upsert_order(session, _order(3 * n, [("L-A", 2, 0, "1.10")], updated=T0), now=T0)
    period = Period(T0.replace(hour=0) - timedelta(days=7), T0.replace(hour=0) + timedelta(days=1))
    series, _ = trends(session, by="channel", bucket=Bucket.WEEK, period=period)
    assert [r[2:6] for r in series.rows] == [[6, 0, 3, Decimal("6.60")]]
    row = get_order_row(session, OrderKey(channel="shopify", account="acme", external_id="o3"))
    transition_order(session, row.id, HubStatus.CANCELLED, reason="buyer", at=T0)
    series, _ = trends(session, by="channel", bucket=Bucket.WEEK, period=period)
    assert [r[2:6] for r in series.rows] == [[4, 0, 2, Decimal("4.40")]]
