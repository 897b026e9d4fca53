"""The job handlers of the scheduled outbound work: stock push, dispatch, tracking push, poll.

Each one adapts a job function (which manages its own transactions, one per message or per
push) to the runner's contract ``async def handler(context) -> bool``: it runs one bounded
unit, then records the unit's counts in a :meth:`JobContext.commit_page` (which renews the
lease), and returns True when it stopped with work left.

Which account serves what:

- ``push_stock``, ``push_tracking``: a sales-channel account pushes to itself; its tracking
  outbox target is ``channel:<platform>:<account>``.
- ``dispatch_outbox``: a warehouse account sends the outbox messages of the warehouse codes it
  serves: every warehouse whose ``account`` field names it (``channelhub warehouses``); an
  account no warehouse names serves the code in its ``warehouse`` setting, else the code equal
  to its own name (the connectors' own default).
- ``poll_shipments``: a carrier account answers for the carriers in its ``carriers`` setting
  (a list of canonical carrier names, ``"*"`` for an aggregator such as EasyPost); by default
  EasyPost answers for every carrier and any other carrier platform for its own name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.roles import Capability, Carrier, Warehouse
from channelhub.core.errors import ConfigError
from channelhub.jobs.engine.isolation import SetAside
from channelhub.jobs.engine.kinds import JobKind, job_enabled
from channelhub.jobs.engine.runner import JobContext
from channelhub.jobs.fulfilment.confirmations import confirm_window
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.push import push_tracking
from channelhub.jobs.fulfilment.tracking import poll_shipments
from channelhub.jobs.stock.push import (
    PushSafety,
    StockPushStopped,
    mass_drop_share_for,
    push_stock,
)
from channelhub.store.repos.jobs import RunCounts, record_dead_letter
from channelhub.store.tables.outbox import OutboxState
from channelhub.store.tables.stock import WarehouseRow

#: Messages one dispatch / tracking run claims; a full batch means more may be due.
BATCH = 50
#: Tracking numbers one poll run asks about.
POLL_BATCH = 100
#: Carrier platforms that track every carrier's numbers.
AGGREGATORS = frozenset({"easypost"})


def _record(context: JobContext, counts: RunCounts) -> RunCounts:
    """The unit's counts in the run log, committed with a lease renewal."""
    return context.commit_page(lambda _session: counts)


# --- push_stock --------------------------------------------------------------------------------


async def push_stock_job(context: JobContext) -> bool:
    """Push the account's changed sellable quantities (rules from the hub's rulebook).

    Counts: confirmed -> updated, unchanged -> unchanged, rejected -> failed. A rejection the
    channel will not take again (not retryable) is also filed as a dead letter per listing.

    Stock sync is off until the seller turns it on (``channelhub stock push ACCOUNT`` previews
    and confirms): while it is off the run does nothing and its note says so. A push the
    mass-drop guard stops fails the run with the guard's reason (job log, dead letter); the
    listings skipped for unknown stock are named in the run's note.
    """
    account = context.account
    if not job_enabled(account.settings, JobKind.PUSH_STOCK):
        context.note = (
            f"stock sync is off for {account.name}: preview it with "
            f"`channelhub stock push {account.name}`"
        )
        return False
    connector = context.sales_channel(Capability.PUSH_QUANTITIES)
    rulebook = context.rulebook()
    summary = await push_stock(
        context.session_factory,
        account=account.name,
        connector=connector,
        rules=rulebook.stock,
        now=context.now(),
        timing=context.options.stock_timing,
        allowed_warehouses=rulebook.allocation.allowed_for(account.platform, account.name),
        safety=PushSafety(mass_drop_share_for(account.settings, context.options.mass_drop_share)),
        fence=context.fence,
    )
    if summary.blocked is not None:
        raise StockPushStopped("; ".join(summary.notes()))
    context.note = "; ".join(summary.notes()) or None

    def write(session: Session) -> RunCounts:
        for item in summary.rejected:
            if item.retryable:
                continue  # the next run pushes it again
            record_dead_letter(
                session,
                account=account.name,
                platform=account.platform,
                job_kind=context.kind.value,
                subject="stock_push",
                reason=f"{item.listing} = {item.quantity} rejected: {item.reason}",
                now=context.now(),
                external_id=item.listing,
                payload={"listing": item.listing, "quantity": item.quantity},
                run_id=context.run_id,
                dedupe_key=f"stock_push:{item.listing}:{item.quantity}",
            )
        return RunCounts(
            updated=len(summary.confirmed),
            unchanged=summary.unchanged,
            failed=len(summary.rejected),
        )

    context.commit_page(write)
    return False


# --- dispatch_outbox ---------------------------------------------------------------------------


def warehouse_codes(session: Session, account: str, settings: Mapping[str, Any]) -> list[str]:
    """The warehouse codes a warehouse account dispatches for (see the module docstring)."""
    codes = list(
        session.scalars(
            select(WarehouseRow.code).where(WarehouseRow.account == account).order_by("code")
        )
    )
    return codes or [str(settings.get("warehouse") or account)]


#: What a cancel or hold became when the warehouse did not answer it (the outbox's states:
#: pending is a cancel handed back untried while the order it cancels is being sent).
_UNANSWERED = frozenset(
    {OutboxState.FAILED.value, OutboxState.DEAD.value, OutboxState.PENDING.value}
)


async def dispatch_outbox_job(context: JobContext) -> bool:
    """Send the due outbound orders and cancels of this account's warehouses.

    Counts: sent, and cancels and holds answered -> updated, withdrawn unsent -> unchanged,
    retrying, dead or handed back untried (cancels and holds too) -> failed (a dead message
    stays in the outbox to be replayed). A warehouse that gave no answer at all ends the
    catch-up: the messages handed back wait for the retry time, not for the next unit of
    this tick.
    """
    connector = context.connector()
    if not isinstance(connector, Warehouse):
        raise ConfigError(f"account {context.account.name!r} is not a warehouse")
    with context.session_factory() as session:
        codes = warehouse_codes(session, context.account.name, context.account.settings)
    summary = await dispatch_outbox(
        context.session_factory,
        warehouses=dict.fromkeys(codes, connector),
        now=context.now(),
        limit=BATCH,
        fence=context.fence,
    )
    answered = [s for _, s in summary.cancels + summary.holds if s not in _UNANSWERED]
    unanswered = len(summary.cancels) + len(summary.holds) - len(answered)
    handled = (
        len(summary.sent)
        + len(summary.cancels)
        + len(summary.holds)
        + len(summary.withdrawn)
        + len(summary.retrying)
        + len(summary.dead)
    )
    _record(
        context,
        RunCounts(
            updated=len(summary.sent) + len(answered),
            unchanged=len(summary.withdrawn),
            failed=len(summary.retrying) + len(summary.dead) + len(summary.deferred) + unanswered,
        ),
    )
    if summary.deferred:
        context.note = (
            f"{len(summary.deferred)} message(s) handed back untried: {summary.deferred[0][1]}"
        )
        return False
    return handled >= BATCH


# --- push_tracking -----------------------------------------------------------------------------


def _orders_every(context: JobContext) -> timedelta | None:
    """How often this account's orders are imported (None: its imports are off), which
    says how long its tracking pushes wait for an import to confirm them."""
    if not job_enabled(context.account.settings, JobKind.PULL_ORDERS):
        return None
    return context.options.orders_every


async def push_tracking_job(context: JobContext) -> bool:
    """Push the due fulfilments (one per package) of this channel account's orders."""
    connector = context.sales_channel(Capability.PUSH_FULFILMENT)
    key = f"{context.account.platform}:{context.account.name}"
    overrides = context.account.settings.get("carrier_codes")
    summary = await push_tracking(
        context.session_factory,
        channels={key: connector},
        now=context.now(),
        limit=BATCH,
        carrier_overrides={context.account.platform: overrides} if overrides else None,
        fence=context.fence,
        confirm_within=confirm_window(_orders_every(context)),
    )
    taken = len(summary.pushed) + len(summary.awaiting)  # the channel took them all
    if summary.awaiting:
        context.note = (
            f"{len(summary.awaiting)} accepted, to be confirmed by the next read of their order"
        )
    _record(context, RunCounts(updated=taken, failed=len(summary.failures)))
    return taken + len(summary.failures) >= BATCH


# --- poll_shipments ----------------------------------------------------------------------------


class _EveryCarrier(Mapping[str, Carrier]):
    """An aggregator answers for any carrier name."""

    def __init__(self, connector: Carrier) -> None:
        self._connector = connector

    def __getitem__(self, name: str) -> Carrier:
        return self._connector

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


def carriers_served(platform: str, settings: Mapping[str, Any]) -> list[str] | None:
    """The carrier names an account answers for; None = every carrier (an aggregator)."""
    configured = settings.get("carriers")
    if configured is None:
        return None if platform in AGGREGATORS else [platform]
    names = [str(name) for name in configured]
    return None if "*" in names else names


async def poll_shipments_job(context: JobContext) -> bool:
    """Ask this carrier account about the open tracking numbers of the carriers it serves.

    Counts: new scans -> new, orders delivered -> updated, numbers it failed on -> failed
    (numbers of carriers it does not serve are another account's and not counted).
    """
    connector = context.connector()
    if not isinstance(connector, Carrier):
        raise ConfigError(f"account {context.account.name!r} is not a carrier")
    names = carriers_served(context.account.platform, context.account.settings)
    carriers: Mapping[str, Carrier] = (
        _EveryCarrier(connector)
        if names is None
        else {n: connector for name in names for n in (name, name.lower())}
    )
    now = context.now()
    aside = SetAside(
        context.account.platform, context.account.name, context.kind.value, now, context.run_id
    )
    summary = await poll_shipments(
        context.session_factory, carriers=carriers, now=now, limit=POLL_BATCH, aside=aside
    )
    failed = [f for f in summary.failures if not f[1].startswith("no carrier connector")]
    _record(
        context,
        RunCounts(new=summary.new_events, updated=len(summary.delivered), failed=len(failed)),
    )
    return False
