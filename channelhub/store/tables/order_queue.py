"""The pipeline's queue: partial indexes on the pending orders, oldest first.

Apart from :mod:`.orders` because a dialect's index options (``postgresql_where``) load that
dialect's module when the table is defined, and the read commands that load ``orders`` on
SQLite must not pay for PostgreSQL's (``tests/cli/test_lazy_cli.py``).
"""

from __future__ import annotations

from sqlalchemy import Index, text

from channelhub.store.tables.orders import PENDING_SQL, OrderRow

_KEY = (OrderRow.channel, OrderRow.external_id)

#: ``pending_order_keys``: a run reads its ``limit`` rows and stops, whatever the backlog
PENDING = Index(
    "ix_orders_pending",
    OrderRow.placed_at, OrderRow.id, OrderRow.account, *_KEY,
    sqlite_where=text(PENDING_SQL),
    postgresql_where=text(PENDING_SQL),
)  # fmt: skip
#: the same, one account's (the import's sweep)
PENDING_OF_ACCOUNT = Index(
    "ix_orders_pending_account",
    OrderRow.account, OrderRow.placed_at, OrderRow.id, *_KEY,
    sqlite_where=text(PENDING_SQL),
    postgresql_where=text(PENDING_SQL),
)  # fmt: skip
