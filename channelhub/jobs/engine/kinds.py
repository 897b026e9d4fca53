"""The job kinds, the code that runs each and which kind of account each one serves (light:
the plan of ``jobs list`` reads these without importing the runner or any handler)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from channelhub.connectors.manifest import Capability, Role
from channelhub.core.errors import InvalidInput


class JobKind(StrEnum):
    """A unit of scheduled work of one account; the value names cursor, lease and log rows."""

    PULL_ORDERS = "pull_orders"
    PULL_LISTINGS = "pull_listings"
    PUSH_STOCK = "push_stock"
    DISPATCH_OUTBOX = "dispatch_outbox"
    POLL_SHIPMENTS = "poll_shipments"
    PUSH_TRACKING = "push_tracking"
    RECONCILE = "reconcile"
    PULL_STOCK = "pull_stock"
    POLL_OUTBOUND = "poll_outbound"
    PULL_FINANCE = "pull_finance"


def parse_kind(value: str) -> JobKind:
    """A job kind as a person typed or clicked it, or one clear error naming the known ones."""
    try:
        return JobKind(value)
    except ValueError:
        known = ", ".join(kind.value for kind in JobKind)
        raise InvalidInput.field("job", value, f"is not one of {known}") from None


#: Handlers by kind as lazy "module:function" strings (:func:`~channelhub.jobs.engine.runner.
#: load_handler` imports one when it runs; the plan reads only which kinds are written).
#: A handler is ``async def handler(context: JobContext) -> bool``: it does at most
#: ``context.options.max_pages`` units, commits each with ``context.commit_page(write)`` (write
#: gets the Session, stores data + cursor, returns RunCounts), checks ``context.stop.requested``
#: between units, and returns True when work is left. Errors it raises are logged by the runner.
JOB_HANDLERS: dict[JobKind, str] = {
    JobKind.PULL_ORDERS: "channelhub.jobs.orders.pulls:pull_orders",
    JobKind.PULL_LISTINGS: "channelhub.jobs.orders.pulls:pull_listings",
    JobKind.PUSH_STOCK: "channelhub.jobs.engine.handlers:push_stock_job",
    JobKind.DISPATCH_OUTBOX: "channelhub.jobs.engine.handlers:dispatch_outbox_job",
    JobKind.PUSH_TRACKING: "channelhub.jobs.engine.handlers:push_tracking_job",
    JobKind.POLL_SHIPMENTS: "channelhub.jobs.engine.handlers:poll_shipments_job",
    JobKind.RECONCILE: "channelhub.jobs.reconciliation.run:reconcile_job",
    JobKind.PULL_STOCK: "channelhub.jobs.stock.pull:pull_stock_job",
    JobKind.POLL_OUTBOUND: "channelhub.jobs.fulfilment.warehouse_poll:poll_outbound_job",
    JobKind.PULL_FINANCE: "channelhub.jobs.settlement.pull:pull_finance",
}


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
    # A WMS's stock levels are read into the ledger (warehouse accounts with STOCK_LEVELS).
    JobKind.PULL_STOCK: frozenset({Role.WAREHOUSE}),
    # A WMS without callbacks (Amazon MCF) is asked about its live orders and packages.
    JobKind.POLL_OUTBOUND: frozenset({Role.WAREHOUSE}),
    # Channels' payouts and fees, warehouses' invoices, into the money ledger.
    JobKind.PULL_FINANCE: frozenset({Role.SALES_CHANNEL, Role.WAREHOUSE}),
}

#: The capability an account's connector must declare for the job to run for it (a channel
#: or warehouse whose connector has no finance import is not scheduled to pull money).
JOB_CAPABILITIES: dict[JobKind, Capability] = {JobKind.PULL_FINANCE: Capability.READ_MONEY}


def job_fits(kind: JobKind, roles: frozenset[Role], capabilities: frozenset[Capability]) -> bool:
    """Whether ``kind`` runs for an account whose connector has these roles and capabilities."""
    needed = JOB_CAPABILITIES.get(kind)
    return bool(JOB_ROLES[kind] & roles) and (needed is None or needed in capabilities)


#: Account setting holding the seller's per-job switches: ``{"push_stock": true, ...}``.
JOBS_SETTING = "jobs"

#: Jobs an account runs only once the seller turns them on: a stock push from a wrong
#: position can zero every listing on a channel, so it is never on by default.
OFF_UNTIL_TURNED_ON: frozenset[JobKind] = frozenset({JobKind.PUSH_STOCK})


def job_enabled(settings: Mapping[str, object], kind: JobKind) -> bool:
    """Whether the seller lets ``kind`` run for an account with these settings."""
    switches = settings.get(JOBS_SETTING)
    if isinstance(switches, Mapping) and kind.value in switches:
        return bool(switches[kind.value])
    return kind not in OFF_UNTIL_TURNED_ON


def with_job_switch(settings: Mapping[str, object], kind: JobKind, on: bool) -> dict[str, object]:
    """A copy of ``settings`` with ``kind`` turned on or off."""
    switches = settings.get(JOBS_SETTING)
    merged = dict(switches) if isinstance(switches, Mapping) else {}
    merged[kind.value] = on
    return {**settings, JOBS_SETTING: merged}
