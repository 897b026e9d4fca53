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


#: The connector role an account needs for the scheduler to run a job for it.
JOB_ROLES: dict[JobKind, Role] = {
    JobKind.PULL_ORDERS: Role.SALES_CHANNEL,
    JobKind.PULL_LISTINGS: Role.SALES_CHANNEL,
    JobKind.PUSH_STOCK: Role.SALES_CHANNEL,
    JobKind.PUSH_TRACKING: Role.SALES_CHANNEL,
    JobKind.RECONCILE: Role.SALES_CHANNEL,
    JobKind.DISPATCH_OUTBOX: Role.WAREHOUSE,
    JobKind.POLL_SHIPMENTS: Role.WAREHOUSE,
}
