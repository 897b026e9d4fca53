"""The sales rollup contribution of orders just inserted, summed from the orders in memory.

:func:`~channelhub.store.repos.rollups.sales_rollup_kept` sums an order's contribution in SQL
from its stored rows (the orders joined to their lines and to ``sales_listings``): on
PostgreSQL that statement and the listings' registration cost ~46 µs an order of a first
import. An order the intake has just inserted is written from an :class:`Order` it still
holds, so its ``sales_daily`` cells are summed here the way :func:`sales_cells` sums them (its
lines as ``_sync_lines`` stored them: a line id given twice, the last one at the first one's
place; each order's first line per currency its head), its listing keys looked up (the few
not yet numbered registered with one ``INSERT .. RETURNING``), and the cells added with one
upsert of ``VALUES``.

Only what Python computes exactly as the database does is summed here (:func:`summable`):
unit prices of at most six decimals (the stored scale; ``round(x * 10⁶)`` is then the exact
integer on both databases, SQLite's float included, below 10⁶); any other order is left to
the SQL path (the caller keeps it in :func:`sales_rollup_kept`).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from itertools import chain
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import Order, OrderLine
from channelhub.store.listed import dialect_of, listed
from channelhub.store.plain import plain
from channelhub.store.redaction import redacted
from channelhub.store.repos._upsert import dialect_insert
from channelhub.store.repos.rollups import LISTING_KEY, SALES_KEY, SALES_SUMS, day_of
from channelhub.store.returning import OnConflict, insert_returning
from channelhub.store.tables.rollups import SalesDailyRow, SalesListingRow

ListingKey = tuple[str, str, str, str, str]
#: (day, listing key, country, currency): a ``sales_daily`` cell before its listing's number
Cell = tuple[int, ListingKey, str, str]
#: a price from here on is left to SQL: SQLite's float of it times 10⁶ is exact well below
_LARGEST = Decimal(10) ** 6


def summable(order: Order) -> bool:
    """Whether Python sums ``order``'s cells exactly as the database would (see module)."""
    for line in order.lines:
        price = line.unit_price
        if price is None:
            continue
        exponent = price.amount.as_tuple().exponent
        if not isinstance(exponent, int) or exponent < -6 or abs(price.amount) >= _LARGEST:
            return False
    return True


def stored_lines(order: Order) -> list[OrderLine]:
    """The lines as stored, in row order: a line id given twice keeps its first place and
    its last values (``_sync_lines``)."""
    by_id: dict[str, OrderLine] = {}
    for line in order.lines:
        by_id[line.line_id] = line
    return list(by_id.values())


def _listing(order: Order, line: OrderLine) -> ListingKey:
    return (
        order.channel,
        order.account,
        line.listing_id if line.listing_id is not None else "",
        line.variation_id if line.variation_id is not None else "",
        line.channel_sku if line.channel_sku is not None else "",
    )


def sales_of(
    orders: Sequence[Order], statuses: Sequence[HubStatus] | None = None
) -> tuple[set[ListingKey], dict[Cell, list[int]]]:
    """The listing keys to register (every line, cancelled orders' too) and the summed cells
    (units, revenue in millionths, orders, order heads) of ``orders`` not cancelled (each
    with its hub status, or as ``statuses`` says it is stored)."""
    keys: set[ListingKey] = set()
    cells: dict[Cell, list[int]] = {}
    given = statuses if statuses is not None else [order.hub_status for order in orders]
    for order, status in zip(orders, given, strict=True):
        lines = stored_lines(order)
        listings = [_listing(order, line) for line in lines]  # each line's key, made once
        keys.update(listings)
        if status is HubStatus.CANCELLED:
            continue
        day = day_of(order.placed_at)
        country = order.ship_to.country if order.ship_to and order.ship_to.country else ""
        headed: set[str] = set()
        counted: set[Cell] = set()
        for line, listing in zip(lines, listings, strict=True):
            price = line.unit_price
            currency = price.currency if price is not None else order.currency
            net = line.quantity - line.cancelled_quantity
            cell = (day, listing, country, currency)
            sums = cells.get(cell)
            if sums is None:
                sums = cells[cell] = [0, 0, 0, 0]
            sums[0] += net
            if price is not None:
                sums[1] += net * int(price.amount.scaleb(6))
            if cell not in counted:
                counted.add(cell)
                sums[2] += 1
            if currency not in headed:
                headed.add(currency)
                sums[3] += 1
    return keys, cells


def add_inserted_sales(
    session: Session, orders: Sequence[Order], statuses: Sequence[HubStatus] | None = None
) -> None:
    """HOOK (beside :func:`sales_rollup_kept`): add to ``sales_daily`` the contribution of
    ``orders`` the transaction has just inserted (each :func:`summable`, stored with its own
    hub status or the one ``statuses`` gives it), their listing keys registered first."""
    keys, cells = sales_of(orders, statuses)
    if not keys:
        return
    # the keys as the lines were stored: through the active redactor, as every parameter
    # (a text column's key passes it on the way in; the lookup's arrays would not)
    stored = _redacted_keys(keys)
    numbers = _registered(session, set(stored.values()))
    summed: dict[tuple[int, int, str, str], list[int]] = {}
    for (day, key, country, currency), sums in cells.items():
        number = numbers[stored[key]]
        total = summed.setdefault((day, number, country, currency), [0, 0, 0, 0])
        for index, value in enumerate(sums):
            total[index] += value
    if not summed:
        return
    rows = [
        dict(zip(SALES_KEY, cell, strict=True)) | dict(zip(SALES_SUMS, sums, strict=True))
        for cell, sums in sorted(summed.items())  # one lock order for every writer
    ]
    session.connection().execute(_cells_added(session.get_bind().dialect.name), rows)


def _redacted_keys(keys: set[ListingKey]) -> dict[ListingKey, ListingKey]:
    """Each of ``keys`` as the active redactor cleans it: their parts cleaned in one call
    (value by value, as each key's own call would: one scan of them all where a call per
    key scanned each key apart, ~5 µs a call for a chunk's dozen keys)."""
    given = list(keys)
    parts = redacted(tuple(chain.from_iterable(given)))
    size = len(LISTING_KEY)
    cleaned = [tuple(parts[i : i + size]) for i in range(0, len(parts), size)]
    return dict(zip(given, cast(list[ListingKey], cleaned), strict=True))


def _registered(session: Session, keys: set[ListingKey]) -> dict[ListingKey, int]:
    """The numbers of listing ``keys``, those not yet in ``sales_listings`` added (most are
    there after an import's first chunks: one statement then)."""
    numbers = _numbers(session, keys)
    missing = keys - numbers.keys()
    if not missing:
        return numbers
    table = cast(Table, SalesListingRow.__table__)
    rows = [dict(zip(LISTING_KEY, key, strict=True)) for key in sorted(missing)]
    added = insert_returning(
        session, table, rows, conflict=OnConflict(LISTING_KEY), returning=("id", *LISTING_KEY)
    )
    for number, channel, account, listing_id, variation_id, channel_sku in added:
        numbers[(channel, account, listing_id, variation_id, channel_sku)] = number
    late = missing - numbers.keys()  # registered by another writer meanwhile
    return numbers | _numbers(session, late) if late else numbers


def _numbers(session: Session, keys: set[ListingKey]) -> dict[ListingKey, int]:
    """The numbers of the listing ``keys`` already in ``sales_listings``."""
    values = {name: sorted({key[i] for key in keys}) for i, name in enumerate(_LOOKED_UP)}
    numbers: dict[ListingKey, int] = {}
    for number, *key in plain(session).execute(_numbers_query(dialect_of(session)), values):
        found = cast(ListingKey, tuple(key))
        if found in keys:
            numbers[found] = number
    return numbers


#: The key columns the lookup filters on (the rest of a key is matched in Python).
_LOOKED_UP = ("channel", "account", "listing_id")


@cache
def _numbers_query(dialect: str) -> Any:
    """The lookup of :func:`_numbers`, built once per database (its values lists given at
    execution, :func:`~channelhub.store.listed.listed`): building its ``IN`` lists anew was
    half of the lookup's 0.7 ms a chunk of a first import on SQLite."""
    s = cast(Table, SalesListingRow.__table__)
    query = select(s.c.id, *(s.c[name] for name in LISTING_KEY))
    return query.where(*(listed(s.c[name], name, dialect) for name in _LOOKED_UP))


@cache
def _cells_added(dialect: str) -> Any:
    """The upsert adding cells to ``sales_daily`` (as ``_sales_change``), built once."""
    table = SalesDailyRow.__table__
    statement = dialect_insert(dialect, table)
    return statement.on_conflict_do_update(
        index_elements=list(SALES_KEY),
        set_={c: table.c[c] + statement.excluded[c] for c in SALES_SUMS},
    )
