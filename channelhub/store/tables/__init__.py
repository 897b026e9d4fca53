"""Every table module, imported so that ``Base.metadata`` knows them all (Alembic needs it).

Add a new table module to this list; keep each module small and about one subject.
"""

from channelhub.store.tables import (
    accounts,
    console,
    fulfilment,
    fx,
    jobs,
    listings,
    money,
    orderflow,
    orders,
    outbox,
    products,
    ratelimit,
    reconcile,
    rollups,
    stock,
    stock_sync,
    sync,
    usage,
    warehouse_terms,
)

__all__ = [
    "accounts",
    "console",
    "fulfilment",
    "fx",
    "jobs",
    "listings",
    "money",
    "orderflow",
    "orders",
    "outbox",
    "products",
    "ratelimit",
    "reconcile",
    "rollups",
    "stock",
    "stock_sync",
    "sync",
    "usage",
    "warehouse_terms",
]
