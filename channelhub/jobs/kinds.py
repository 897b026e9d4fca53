"""The job kinds and which kind of account each one serves."""

from __future__ import annotations

from enum import StrEnum

from channelhub.connectors.roles import Role


class JobKind(StrEnum):
    """A unit of scheduled work of one account; the value names cursor, lease and log rows."""

    PULL_ORDERS = "pull_orders"
    PULL_LISTINGS = "pull_listings"
    PUSH_STOCK = "push_stock"
    DISPATCH_OUTBOX = "dispatch_outbox"
    POLL_SHIPMENTS = "poll_shipments"
    PUSH_TRACKING = "push_tracking"
    RECONCILE = "reconcile"


_CHANNEL = frozenset({Role.SALES_CHANNEL})

#: The connector roles an account may play for the scheduler to run a job for it (any one).
JOB_ROLES: dict[JobKind, frozenset[Role]] = {
    JobKind.PULL_ORDERS: _CHANNEL,
    JobKind.PULL_LISTINGS: _CHANNEL,
    JobKind.PUSH_STOCK: _CHANNEL,
    JobKind.PUSH_TRACKING: _CHANNEL,
    # Channels are reconciled for orders, shipments and quantities; warehouses for stock.
    JobKind.RECONCILE: frozenset({Role.SALES_CHANNEL, Role.WAREHOUSE}),
    JobKind.DISPATCH_OUTBOX: frozenset({Role.WAREHOUSE}),
    # Carriers are asked about open tracking numbers.
    JobKind.POLL_SHIPMENTS: frozenset({Role.CARRIER}),
}
