"""The stock rollup's receipts: a partial index on ``stock_daily``, per key oldest first (the
stock age's FIFO walk reads it alone).

Apart from :mod:`.rollups` because a dialect's index options (``postgresql_where``) load that
dialect's module when the table is defined, and the reports that read the rollups on SQLite
must not pay for PostgreSQL's (``tests/cli/test_lazy_cli.py``), as :mod:`.order_queue`.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from channelhub.store.tables.rollups import StockDailyRow

RECEIPTS = Index(
    "ix_stock_daily_receipts",
    StockDailyRow.warehouse, StockDailyRow.sku, StockDailyRow.day, StockDailyRow.received,
    sqlite_where=text("received <> 0"),
    postgresql_where=text("received <> 0"),
)  # fmt: skip
