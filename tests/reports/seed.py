"""Seeded sales and stock with a known pattern, written through the store's normal paths.

Window: the 28 days before AS_OF (day k = 0 .. 27, oldest first).

Sales (orders, shop "acme" on shopify), for the trends:
- listing L-MUG (account binding -> 1 x MUG; a global SKU-level binding of its channel SKU
  MUG-CH -> LID loses to it): day k sells ``mug_units(k)`` = 10 + k, + 5 on Saturdays
  (a linear trend of +1 unit a day and a weekly season);
- listing L-2PK -> 2 x MUG: 1 a day on even days;
- listing L-SET -> combo SET = 1 x MUG + 2 x LID: 1 a day;
- listing L-X: unpaired, 1 on day 0;
- previous 28 days: L-MUG 8 a day; same dates last year: L-MUG 4 a day.

Stock (ledger), for health and replenishment, SKU MUG:
- US-EAST (US): 60 received 10 days before the window; sells 2 on even days and 4 on odd
  days k = 0 .. 19 (60 units: empty at the end of day 19); nothing on days 20 .. 24 (a
  stock-out of 5 days); 100 received on day 25, then 4, 2, 4 sold on days 25, 26, 27
  (on hand 90 at AS_OF); 24 in flight by air.
- DE-CENTRAL (DE): 400 received 30 days before the window, 1 sold every day (372 at AS_OF).
- OLD at DE-CENTRAL: 50 received 200 days ago, never sold (dead stock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, Scope
from channelhub.core.models import Address, Money, Order, OrderLine, OrderTotals
from channelhub.core.products import Component, Sku, SkuKind, UnitOfMeasure
from channelhub.core.stock import MovementKind, StockMovement, Warehouse
from channelhub.store.repos.in_transit import record_in_transit
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock import record_movement, upsert_warehouse

AS_OF = datetime(2026, 3, 2, tzinfo=UTC)  # a Monday: the window is four whole weeks
WINDOW = 28
FIRST = AS_OF - timedelta(days=WINDOW)  # day k = 0
PRICE = Decimal("5.00")


def day(k: int, hour: int = 12) -> datetime:
    return FIRST + timedelta(days=k, hours=hour)


def mug_units(k: int) -> int:
    """L-MUG units sold on day k: trend + weekly season (Saturdays +5)."""
    return 10 + k + (5 if day(k).weekday() == 5 else 0)


def us_sales(k: int) -> int:
    """MUG shipped from US-EAST on day k (0 during the stock-out)."""
    if 20 <= k <= 24:
        return 0
    return 2 if k % 2 == 0 else 4


_orders = 0


def _order(session: Session, placed: datetime, listing: str, qty: int, sku: str = "") -> None:
    global _orders
    _orders += 1
    line = OrderLine(
        line_id="1",
        listing_id=listing,
        channel_sku=sku or None,
        quantity=qty,
        unit_price=Money(amount=PRICE, currency="EUR"),
    )
    order = Order(
        channel="shopify",
        account="acme",
        external_id=f"o{_orders}",
        channel_status="paid",
        placed_at=placed,
        updated_at=placed,
        ship_to=Address(name="B", line1="1 Main St", city="Austin", country="US"),
        totals=OrderTotals(total=Money(amount=PRICE * qty, currency="EUR")),
        lines=(line,),
    )
    upsert_order(session, order, now=placed)


def _sell(session: Session, warehouse: str, qty: int, at: datetime, sku: str = "MUG") -> None:
    for kind in (MovementKind.RESERVE, MovementKind.CONSUME):
        record_movement(
            session,
            StockMovement(warehouse=warehouse, sku=sku, kind=kind, quantity=qty, reason="seed",
                          reference=f"{warehouse}-{at:%j}", at=at),
            now=at,
        )  # fmt: skip


def _receive(session: Session, warehouse: str, sku: str, qty: int, at: datetime) -> None:
    record_movement(
        session,
        StockMovement(warehouse=warehouse, sku=sku, kind=MovementKind.RECEIVE, quantity=qty,
                      reason="seed", at=at),
        now=at,
    )  # fmt: skip


def seed(session: Session) -> None:
    now = FIRST - timedelta(days=400)
    upsert_sku(
        session,
        Sku(code="MUG", units=(UnitOfMeasure(name="carton", base_units=12),)),
        now=now,
    )
    upsert_sku(session, Sku(code="LID"), now=now)
    upsert_sku(session, Sku(code="OLD"), now=now)
    upsert_sku(
        session,
        Sku(code="SET", kind=SkuKind.COMBO,
            components=(Component(sku="MUG", qty=1), Component(sku="LID", qty=2))),
        now=now,
    )  # fmt: skip
    acme = {"scope": Scope.ACCOUNT, "channel": "shopify", "account": "acme"}
    for binding in (
        Binding(**acme, listing_id="L-MUG", sku="MUG"),
        Binding(scope=Scope.GLOBAL, channel_sku="MUG-CH", sku="LID"),
        Binding(**acme, listing_id="L-2PK", sku="MUG", multiplier=2),
        Binding(**acme, listing_id="L-SET", sku="SET"),
    ):
        save_binding(session, binding, now=now, actor="seed")
    for k in range(WINDOW):
        _order(session, day(k), "L-MUG", mug_units(k), sku="MUG-CH")
        if k % 2 == 0:
            _order(session, day(k, 13), "L-2PK", 1)
        _order(session, day(k, 14), "L-SET", 1)
        _order(session, day(k) - timedelta(days=WINDOW), "L-MUG", 8)
        _order(session, day(k).replace(year=day(k).year - 1), "L-MUG", 4)
    _order(session, day(0, 15), "L-X", 1)

    upsert_warehouse(session, Warehouse(code="US-EAST", country="US"), now=now)
    upsert_warehouse(session, Warehouse(code="DE-CENTRAL", country="DE"), now=now)
    _receive(session, "US-EAST", "MUG", 60, day(-10))
    for k in range(WINDOW):
        if us_sales(k):
            _sell(session, "US-EAST", us_sales(k), day(k))
        _sell(session, "DE-CENTRAL", 1, day(k, 15))
    _receive(session, "US-EAST", "MUG", 100, day(25, 8))
    _receive(session, "DE-CENTRAL", "MUG", 400, day(-30))
    _receive(session, "DE-CENTRAL", "OLD", 50, AS_OF - timedelta(days=200))
    record_in_transit(
        session, reference="PO-1", warehouse="US-EAST", sku="MUG", quantity=24,
        shipped_at=day(26), mode="air",
    )  # fmt: skip
    session.commit()
