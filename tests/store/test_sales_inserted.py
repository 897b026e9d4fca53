"""The sales rollup of orders just inserted, summed in memory, writes exactly the
``sales_daily`` and ``sales_listings`` rows the SQL sums over the stored rows write.

The same batches (new orders in two currencies, lines without price, listing or SKU, a line
id given twice, a cancelled order, an order without address, prices of six and seven
decimals, times near midnight; then updates, a stale re-send and more new orders) go through
``upsert_orders`` twice: as it is, and with every order left to the SQL path. Runs on SQLite
and PostgreSQL (the ``session`` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import Order
from channelhub.core.redaction import REDACTED, SecretRedactor, redacting
from channelhub.store.redaction import redacted
from channelhub.store.repos import orders_bulk
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.repos.rollups import SALES_KEY, SALES_SUMS, sales_cells
from channelhub.store.repos.sales_inserted import _redacted_keys, summable
from channelhub.store.sqldates import Dialect
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.rollups import SalesDailyRow, SalesListingRow

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)
LATE = datetime(2026, 3, 1, 23, 59, 59, 999999, tzinfo=UTC)


def _order(n: int, lines: list[dict[str, Any]], **fields: Any) -> Order:
    currency = fields.pop("currency", "USD")
    data: dict[str, Any] = {
        "channel": "shopify", "account": "acme", "external_id": f"o{n}",
        "channel_status": "paid", "placed_at": NOW - timedelta(days=n % 2), "updated_at": NOW,
        "ship_to": {"name": "B", "line1": "1 Main St", "city": "Austin", "country": "US"},
        "totals": {"total": {"amount": "1.00", "currency": currency}},
        "lines": [
            {"quantity": 1, **line}
            | ({"unit_price": {"amount": line["price"], "currency": currency}}
               if "price" in line else {})
            for line in lines
        ],
    } | fields  # fmt: skip
    for line in data["lines"]:
        line.pop("price", None)
    return Order.model_validate(data, strict=False)


def _twice(order: Order) -> Order:
    """``order`` with its first line id given again, its values changed (the model refuses
    it; the store keeps the last values at the first place)."""
    first = order.lines[0]
    again = first.model_copy(update={"listing_id": "D", "quantity": 2})
    return order.model_copy(update={"lines": (first, again, *order.lines[1:])})


def _batches() -> list[list[Order]]:
    first = [
        _order(1, [{"line_id": "1", "listing_id": "A", "price": "10.50"},
                   {"line_id": "2", "listing_id": "B", "quantity": 3, "cancelled_quantity": 1,
                    "price": "2.000001"}]),
        _order(2, [{"line_id": "1", "listing_id": "A", "price": "9.99"}], currency="EUR"),
        _order(3, [{"line_id": "1", "channel_sku": "MUG"}, {"line_id": "2", "listing_id": "A",
                    "variation_id": "v", "price": "1"}], ship_to=None),
        _twice(_order(4, [{"line_id": "1", "listing_id": "C", "price": "5"},
                          {"line_id": "2", "listing_id": "C", "price": "5"}])),
        _order(5, [{"line_id": "1", "listing_id": "A", "price": "3"}],
               hub_status=HubStatus.CANCELLED),
        _order(6, [{"line_id": "1", "listing_id": "E", "price": "0.1234567"}]),  # 7 decimals
        _order(7, [{"line_id": "1", "listing_id": "A", "price": "4"}], placed_at=LATE,
               ship_to={"name": "B", "line1": "x", "city": "Paris", "country": "FR"}),
        _order(8, [{"line_id": "1", "listing_id": "A", "price": "4"}],
               placed_at=LATE.astimezone(timezone(timedelta(hours=5)))),
        _order(9, [{"line_id": "1", "listing_id": "A", "price": "1000000"}]),  # left to SQL
    ]  # fmt: skip
    later = NOW + timedelta(hours=1)
    second = [
        _order(1, [{"line_id": "2", "listing_id": "B", "quantity": 2, "price": "2.5"},
                   {"line_id": "3", "listing_id": "F", "price": "7"}], updated_at=later),
        _order(2, [{"line_id": "1", "listing_id": "A", "price": "1"}]),  # stale
        _order(10, [{"line_id": "1", "listing_id": "A", "price": "8"},
                    {"line_id": "2", "listing_id": "G", "price": "8"}], currency="EUR"),
        _order(11, [{"line_id": "1", "listing_id": "A", "price": "2"}],
               hub_status=HubStatus.CANCELLED),
    ]  # fmt: skip
    return [first, second]


def _rollups(session: Session) -> tuple[Any, Any]:
    """``sales_daily`` by listing key (the numbers are the database's), and the keys."""
    s, listing = SalesDailyRow, SalesListingRow
    key = (listing.channel, listing.account, listing.listing_id, listing.variation_id,
           listing.channel_sku)  # fmt: skip
    query = select(s.day, *key, s.country, s.currency, s.units, s.revenue_micros, s.orders,
                   s.order_heads).join(listing, listing.id == s.listing)  # fmt: skip
    daily = sorted(tuple(r) for r in session.execute(query))
    return daily, sorted(tuple(r) for r in session.execute(select(*key)))


def _written(session: Session, batches: list[list[Order]]) -> tuple[Any, Any]:
    for batch in batches:
        upsert_orders(session, batch, now=NOW)
    d = Dialect(session.get_bind().dialect.name)
    scratch = {tuple(r[:4]): tuple(r[4:]) for r in session.execute(sales_cells(d))}
    table = SalesDailyRow.__table__
    rows = session.execute(select(*(table.c[c] for c in (*SALES_KEY, *SALES_SUMS))))
    kept = {tuple(r[:4]): tuple(r[4:]) for r in rows if any(r[4:])}
    assert kept == scratch  # and both equal the sums from scratch
    written = _rollups(session)
    for model in (SalesDailyRow, SalesListingRow, OrderLineRow, OrderRow):
        session.execute(delete(model))
    return written


def test_inserted_orders_summed_in_memory_write_what_the_sql_sums_write(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [summable(o) for o in _batches()[0]] == [True] * 5 + [False, True, True, False]
    in_memory = _written(session, _batches())
    monkeypatch.setattr(orders_bulk, "summable", lambda order: False)
    in_sql = _written(session, _batches())
    assert in_memory == in_sql
    assert len(in_memory[0]) > 8 and len(in_memory[1]) == 9


def test_a_listing_key_holding_a_secret_is_registered_redacted_as_its_line_is_stored(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    batches = [[
        _order(1, [{"line_id": "1", "channel_sku": f"sku {secret}", "price": "2"},
                   {"line_id": "2", "channel_sku": f"sku {secret}", "listing_id": "A"}]),
        _order(2, [{"line_id": "1", "channel_sku": f"sku {secret}", "price": "3"}]),
    ]]  # fmt: skip
    with redacting(redactor):
        in_memory = _written(session, batches)
        monkeypatch.setattr(orders_bulk, "summable", lambda order: False)
        in_sql = _written(session, batches)
    assert in_memory == in_sql
    assert {key[4] for key in in_memory[1]} == {f"sku {REDACTED}"}


def test_listing_keys_are_redacted_in_one_call_as_each_alone() -> None:
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    keys = {
        ("shopify", "acme", "", "", "MUG"),
        ("shopify", "acme", f"L {secret}", "", "MUG"),
        ("shopify", "acme", "", secret[:9], "SET"),  # a cut end: masked in its own part only
        ("shopify", "other", "A", "V", f"{secret[-7:]} tail"),
    }
    with redacting(redactor):
        each = {key: redacted(key) for key in keys}
        assert _redacted_keys(keys) == each
    assert sum(key != clean for key, clean in each.items()) == 3
    assert _redacted_keys(keys) == {key: key for key in keys}  # no redactor: as they are
