"""A warehouse's inventory page read row by row: one bad row is set aside, never the page.

Every warehouse connector's stock read goes through :func:`stock_page`: the platform's
mapping says where the rows sit and how one is read
(:class:`~channelhub.mappings.warehouse_stock.StockRows`), and each row becomes a stock level
on its own (:class:`~channelhub.connectors.records.PageRecords`). A row the mapping refuses (a
negative count, no SKU) is one of the page's ``failures``: its raw body is kept under
``HUB-WAREHOUSE:SKU``, and its context names the hub warehouse it belongs to when that is
known, so the ``pull_stock`` job files it as a dead letter and leaves that warehouse's
unlisted SKUs as they were rather than set them to 0 (:mod:`channelhub.jobs.stock.pull`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import PageOf, RawRecord, StockLevel
from channelhub.core.errors import InvalidInput
from channelhub.mappings.warehouse_stock import StockRows


def stock_page(
    spec: StockRows,
    rows: Sequence[Any],
    *,
    warehouse: str | Callable[[str], str],
    now: datetime,
    done: bool,
    cursor: str | None = None,
    wanted: set[str] | None = None,
    as_of: datetime | None = None,
) -> PageOf[StockLevel]:
    """One inventory page's ``rows`` (as sent) as stock levels, each read on its own.

    ``warehouse``: the hub warehouse every row belongs to (the page was asked for it), or,
    for a page listing several, how the code a row names (``spec.warehouse_field``) becomes
    the warehouse its level names. ``wanted``: only these SKUs (None: all). ``as_of``: when
    the counts were taken (default ``now``, when the page was read)."""
    records: PageRecords[StockLevel] = PageRecords()
    taken = as_of or now
    naming = None if isinstance(warehouse, str) else warehouse

    def levels(row: Any, where: str, *, warehouse: str | None = None) -> list[StockLevel]:
        """The level one row states (none when its SKU was not asked for); ``warehouse``:
        the hub warehouse it belongs to, as far as the row as sent tells (the context a
        failure keeps)."""
        stock = spec.read(row, where)
        if wanted is not None and stock.sku not in wanted:
            return []
        held = naming(stock.warehouse) if naming and stock.warehouse else warehouse
        if held is None:
            raise InvalidInput.field(where, row, "names no warehouse")
        return [
            StockLevel(
                held,
                stock.sku,
                stock.on_hand,
                stock.available,
                reserved=stock.reserved,
                inbound=stock.inbound,
                as_of=taken,
            )
        ]

    for index, row in enumerate(rows):
        code = spec.warehouse_of(row)
        held = warehouse if isinstance(warehouse, str) else warehouse(code) if code else None
        raw = RawRecord("stock", f"{held or '?'}:{spec.sku_of(row)}", _body(row), now)
        where = f"{spec.at}[{index}]"
        if held is None:  # it names no warehouse: the pull reads every served one as partial
            records.take(raw, levels, row, where)
        else:
            records.take(raw, levels, row, where, warehouse=held)
    return records.page(cursor, done)


def _body(row: Any) -> bytes:
    """The row as sent, as compact JSON (a number a connector read as Decimal as its text)."""
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"), default=str).encode()
