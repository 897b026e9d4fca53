"""The hub's tables, one small module per subject.

Importing this package loads no table: a command imports the table modules its queries use
(``orders list`` needs 5 of 20), because declaring and configuring every mapped class cost
each command ~0.1 s. A table module imports the modules its foreign keys point into, so what
it declares always resolves. Whatever needs the whole schema (Alembic, schema tests) calls
:func:`hub_metadata`.

Add a new table module to :data:`TABLE_MODULES`; keep each module small and about one subject.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import MetaData

#: Every table module: :func:`hub_metadata` loads them all.
TABLE_MODULES = (
    "accounts",
    "console",
    "fulfilment",
    "fx",
    "jobs",
    "listings",
    "money",
    "orderflow",
    "order_queue",
    "orders",
    "outbox",
    "products",
    "ratelimit",
    "reconcile",
    "rollup_receipts",
    "rollups",
    "stock",
    "stock_sync",
    "sync",
    "usage",
    "warehouse_terms",
)


def hub_metadata() -> MetaData:
    """The metadata with every table of the hub on it (Alembic and the tests compare it with
    the database, or empty every table)."""
    for name in TABLE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    from channelhub.store.base import Base

    return Base.metadata
