"""One stock row of a warehouse's inventory page, read by the strict rules.

Every warehouse names its columns differently but means the same few things. A platform's
mapping says where its page keeps the rows and how one row is read (:class:`StockRows`); the
connectors turn each row into a stock level on its own
(:func:`channelhub.connectors.stock_rows.stock_page`), so a row that cannot be read is set
aside with its body and the page's other rows go through. A snapshot a warehouse pushes (a
callback) is read the same way: its mapping hands over the levels as sent
(:class:`SnapshotRows`) and the callback job reads them one by one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.core import strict


@dataclass(frozen=True)
class WarehouseStock:
    sku: str
    on_hand: int
    available: int
    reserved: int
    #: units on their way in (not on the shelf yet), where the warehouse reports them
    inbound: int = 0
    #: the warehouse's own code for where the row is held, when one page lists several
    warehouse: str | None = None


@dataclass(frozen=True)
class StockRows:
    """How one platform's inventory page is read row by row.

    ``at`` is where the page keeps its rows (``data.list``) and ``sku_field`` the row field
    holding the SKU: a row set aside is named by them (``data.list[3]``, ``HUB:SKU``).
    ``read(row, where)`` reads one row by the strict rules and raises when it cannot.
    ``warehouse_field`` is the row field naming its warehouse when one page lists several
    (None: every row of a page belongs to the warehouse the page was asked for)."""

    at: str
    sku_field: str
    read: Callable[[Any, str], WarehouseStock]
    warehouse_field: str | None = None

    def sku_of(self, row: object) -> str:
        """The SKU a row names as sent (``?`` when it names none), to name it when set aside."""
        return _named(row, self.sku_field) or "?"

    def warehouse_of(self, row: object) -> str | None:
        """The warehouse code a row names as sent, when rows name their own."""
        return _named(row, self.warehouse_field) if self.warehouse_field else None


@dataclass(frozen=True)
class SnapshotRows:
    """A stock snapshot a warehouse pushed, its own fields read and its levels as sent: the
    hub reads each level by ``spec`` (:mod:`channelhub.jobs.fulfilment.callbacks`), so one it
    cannot read is set aside alone. ``complete``: the warehouse says every SKU it holds is
    listed (an absent one is 0)."""

    warehouse: str
    snapshot_id: str
    taken_at: datetime
    complete: bool
    rows: tuple[Any, ...]
    spec: StockRows


def _named(row: object, field: str) -> str | None:
    value = row.get(field) if isinstance(row, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip()[: strict.SKU_CHARS] or None


def units(value: object, field: str, *, source: str) -> int:
    """A stock count: missing is 0, otherwise a whole number in 0..MAX_STOCK."""
    if value is None or value == "":
        return 0
    return strict.whole(value, field, maximum=strict.MAX_STOCK, source=source)
