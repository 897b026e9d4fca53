"""The reconcile job: gather each side, classify with :mod:`channelhub.core.reconcile`, store
the run and its discrepancies, and (with ``repair=True``) apply the safe repairs.

- a sales channel account: its orders changed since ``since`` (pulled through the connector)
  against the hub's orders streamed from the store, confirmed shipments against the channel's
  fulfilments (taken from the pulled orders' own bodies when they carry them, else read back
  for the orders the hub shipped, when the connector can), and its listings' quantities
  against the last quantities the hub pushed (sent outbox messages);
- a warehouse account: its stock levels against the ledger, with units in flight.

The channel and warehouse sides arrive page by page in the platform's order; they are reduced
to compact views and sorted once (bounded by the ``since`` window / the catalogue). The hub side
streams from the database in key order. The run is recorded first and closed as ``failed``
with the error if anything breaks, so no attempt is silent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.results import RecordFailure
from channelhub.connectors.roles import (
    Capability,
    SalesChannel,
    Warehouse,
    require,
)
from channelhub.core.errors import InvalidInput
from channelhub.core.order import ChannelOrderState
from channelhub.core.reconcile import (
    ChannelOrderView,
    ListingQuantity,
    StockCount,
    every_line_cancelled,
    reconcile_listings,
    reconcile_orders,
    reconcile_stock,
)
from channelhub.jobs.fulfilment.confirmations import reads_showing_fulfilments
from channelhub.jobs.reconciliation.quantities import PushedQuantities, StockSyncQuantities
from channelhub.jobs.reconciliation.repairs import (
    FULFILMENT_KIND,
    RepairContext,
    apply_safe_repairs,
)
from channelhub.jobs.stock.pull import partial_warehouses
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.reconcile import (
    StoredDiscrepancy,
    add_discrepancies,
    finish_run,
    iter_hub_orders,
    iter_in_flight,
    iter_ledger_on_hand,
    list_discrepancies,
    start_run,
)
from channelhub.store.repos.warehouses import level_resolver, warehouses_of_account

if TYPE_CHECKING:  # the runner imports handlers lazily; no import cycle at run time
    from channelhub.jobs.engine.runner import JobContext

__all__ = [
    "FULFILMENT_KIND",
    "PushedQuantities",
    "ReconcileReport",
    "StockSyncQuantities",
    "reconcile_account",
    "reconcile_job",
    "reconcile_sales_channel",
    "reconcile_warehouse",
]


@dataclass(frozen=True)
class ReconcileReport:
    """One run's outcome: what was compared, what was found, what was repaired."""

    run_id: int
    account: str
    platform: str
    scope: str
    counts: dict[str, Any]
    discrepancies: list[StoredDiscrepancy] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "account": self.account,
            "platform": self.platform,
            "scope": self.scope,
            "counts": self.counts,
            "discrepancies": [d.to_json() for d in self.discrepancies],
        }


class _Counted:
    """Wraps a stream and counts the rows the core consumed."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for row in self._rows:
            self.count += 1
            yield row


async def reconcile_sales_channel(
    sessions: sessionmaker[Session],
    connector: SalesChannel,
    *,
    now: datetime,
    since: datetime | None = None,
    repair: bool = False,
    quantities: PushedQuantities | None = None,
    read_fulfilments: bool = True,
) -> ReconcileReport:
    """Reconcile one sales channel account's orders and listings with the hub.

    ``quantities`` is where the quantities last pushed are kept (default: the stock
    back-sync's confirmed pushes). ``read_fulfilments`` reads the channel's
    fulfilments back for every order the hub shipped in the window (one call per order) to
    catch differing tracking numbers; without it only the order's state is compared."""
    pushes = quantities or StockSyncQuantities()
    require(connector, Capability.PULL_ORDERS)
    scope = "orders,listings" if Capability.PULL_LISTINGS in connector.capabilities else "orders"
    run_id = _start(sessions, connector, scope=scope, since=since, repair=repair, now=now)
    channel, account = connector.platform, connector.account
    try:
        pulled = await _pull_order_states(connector, since)
        states, no_line_open, failures = pulled.states, pulled.no_line_open, pulled.failures
        tracking = (
            await _channel_tracking(sessions, connector, states, pulled.shown)
            if read_fulfilments
            else {}
        )
        listings = await _pull_listing_quantities(connector)
        with sessions.begin() as session:
            views = _Counted(
                iter(
                    ChannelOrderView(i, states[i], tracking.get(i), i in no_line_open)
                    for i in sorted(states)
                )
            )
            hub = _Counted(iter_hub_orders(session, channel=channel, account=account))
            pushed = pushes.last_pushed(session, channel=channel, account=account)
            found = chain(reconcile_orders(views, hub), reconcile_listings(listings, pushed))
            by_class = add_discrepancies(session, run_id, found)
        counts: dict[str, Any] = {
            "compared": {
                "channel_orders": views.count,
                "hub_orders": hub.count,
                "channel_order_failures": failures,
                "fulfilments_read": len(tracking),
                # of them, read back one call each (the rest came with the orders' pages)
                "fulfilments_read_back": len(tracking.keys() - pulled.shown.keys()),
                "channel_listings": len(listings),
                "last_pushed": len(pushed),
            },
            "discrepancies": dict(sorted(by_class.items())),
        }
        ctx = RepairContext(
            run_id=run_id,
            channel=channel,
            account=account,
            now=now,
            connector=connector,
            quantities=pushes,
        )
        return await _finish(sessions, run_id, counts, repair, ctx, connector, scope)
    except Exception as exc:  # close the run as failed whatever broke, then re-raise
        _fail(sessions, run_id, exc, now)
        raise


async def reconcile_warehouse(
    sessions: sessionmaker[Session],
    connector: Warehouse,
    *,
    now: datetime,
    repair: bool = False,
    tolerance: int | None = None,
) -> ReconcileReport:
    """Reconcile one warehouse account's stock levels with the ledger.

    ``tolerance`` is the largest adjustment (in units) applied without a person; None means
    every adjustment is only proposed.
    """
    require(connector, Capability.STOCK_LEVELS)
    run_id = _start(sessions, connector, scope="stock", since=None, repair=repair, now=now)
    try:
        with sessions.begin() as session:
            rows = warehouses_of_account(session, connector.account)
            codes, resolve = [row.code for row in rows], level_resolver(rows)
        levels, failures = await _pull_stock_levels(connector, resolve)
        served = sorted(set(codes) | {level.warehouse for level in levels})
        # a warehouse with rows set aside is compared only on the SKUs it listed: a SKU it
        # did not list may be the unreadable row, not a count of 0 (the pull files the row)
        partial = partial_warehouses(failures, resolve, served)
        listed = {(level.warehouse, level.sku) for level in levels}

        def compared(count: StockCount) -> bool:
            return count.warehouse not in partial or (count.warehouse, count.sku) in listed

        with sessions.begin() as session:
            ledger = _Counted(filter(compared, iter_ledger_on_hand(session, warehouses=served)))
            flight = _Counted(filter(compared, iter_in_flight(session, warehouses=served)))
            found = reconcile_stock(levels, ledger, flight, tolerance=tolerance)
            by_class = add_discrepancies(session, run_id, found)
        counts: dict[str, Any] = {
            "compared": {
                "warehouse_levels": len(levels),
                "ledger_balances": ledger.count,
                "in_flight": flight.count,
                "warehouses": served,
            },
            "tolerance": tolerance,
            "unreadable_levels": [f"{f.raw.external_id}: {f.reason}" for f in failures],
            "discrepancies": dict(sorted(by_class.items())),
        }
        ctx = RepairContext(
            run_id=run_id, channel=connector.platform, account=connector.account, now=now
        )
        return await _finish(sessions, run_id, counts, repair, ctx, connector, "stock")
    except Exception as exc:  # close the run as failed whatever broke, then re-raise
        _fail(sessions, run_id, exc, now)
        raise


async def reconcile_account(
    sessions: sessionmaker[Session],
    connector: object,
    *,
    now: datetime,
    since: datetime | None = None,
    repair: bool = False,
    tolerance: int | None = None,
) -> list[ReconcileReport]:
    """Reconcile whatever roles ``connector`` plays (a channel, a warehouse or both)."""
    reports: list[ReconcileReport] = []
    if isinstance(connector, SalesChannel):
        reports.append(
            await reconcile_sales_channel(sessions, connector, now=now, since=since, repair=repair)
        )
    if isinstance(connector, Warehouse):
        reports.append(
            await reconcile_warehouse(
                sessions, connector, now=now, repair=repair, tolerance=tolerance
            )
        )
    if not reports:
        raise InvalidInput.field(
            "account",
            getattr(connector, "account", "?"),
            "is neither a sales channel nor a warehouse",
        )
    return reports


#: Account settings the scheduled job reads.
LOOKBACK_SETTING = "reconcile_lookback_days"  # how far back channel orders are compared
REPAIR_SETTING = "reconcile_repair"  # apply the safe repairs on schedule (default: report only)
TOLERANCE_SETTING = "reconcile_tolerance"  # largest stock adjustment applied unattended


async def reconcile_job(ctx: JobContext) -> bool:
    """The scheduled ``reconcile`` job (a :data:`~channelhub.jobs.engine.runner.JOB_HANDLERS`
    handler): one full reconciliation of the context's account, judged by its settings.

    The run log counts discrepancies found as ``new``, repairs made as ``updated`` and repairs
    that failed as ``failed``; the discrepancies themselves are in ``reconcile_runs``.
    """
    settings = dict(ctx.account.settings or {})
    now: datetime = ctx.now()
    try:
        days = float(settings.get(LOOKBACK_SETTING, 7))
        tolerance = settings.get(TOLERANCE_SETTING)
        tolerance = None if tolerance is None else int(tolerance)
    except (TypeError, ValueError):
        raise InvalidInput.field(
            f"account {ctx.account.name} settings",
            {k: settings.get(k) for k in (LOOKBACK_SETTING, TOLERANCE_SETTING)},
            "must be numbers",
        ) from None
    reports = await reconcile_account(
        ctx.session_factory,
        ctx.connector(),
        now=now,
        since=now - timedelta(days=days),
        repair=str(settings.get(REPAIR_SETTING, "")).lower() in ("1", "true", "yes"),
        tolerance=tolerance,
    )
    found = sum(len(r.discrepancies) for r in reports)
    repairs = [r.counts.get("repairs", {}) for r in reports]
    counts = RunCounts(
        new=found,
        updated=sum(r.get("applied", 0) for r in repairs),
        failed=sum(r.get("failed", 0) for r in repairs),
    )
    ctx.commit_page(lambda _session: counts)
    return False


# --- gathering the other side --------------------------------------------------------------


@dataclass
class _ChannelOrders:
    """What the pull of the channel's orders gave: each order's latest state (later pages
    win), the orders whose every line the channel cancelled, the count of records the
    mapping refused (their raw bodies stay with the pull job), and, from a channel whose
    order reads carry their fulfilments (``FULFILMENTS_IN_ORDERS``), each order's tracking
    numbers as its latest read showed them."""

    states: dict[str, ChannelOrderState] = field(default_factory=dict)
    no_line_open: set[str] = field(default_factory=set)
    failures: int = 0
    shown: dict[str, frozenset[str]] = field(default_factory=dict)


async def _pull_order_states(connector: SalesChannel, since: datetime | None) -> _ChannelOrders:
    """Every order changed since ``since`` (see :class:`_ChannelOrders`)."""
    pulled = _ChannelOrders()
    shows = reads_showing_fulfilments(connector)
    async for page in connector.pull_orders(None, since=since):
        for order in page.items:
            pulled.states[order.external_id] = order.channel_state
            if every_line_cancelled(order):
                pulled.no_line_open.add(order.external_id)
            else:
                pulled.no_line_open.discard(order.external_id)
        pulled.failures += len(page.failures)
        if shows is not None:
            for raw in page.raw:
                fulfilments = shows.fulfilments_shown(raw)
                if raw.external_id is not None and fulfilments is not None:
                    numbers = (f.tracking_number for f in fulfilments if f.tracking_number)
                    pulled.shown[raw.external_id] = frozenset(numbers)
    return pulled


async def _channel_tracking(
    sessions: sessionmaker[Session],
    connector: SalesChannel,
    states: dict[str, ChannelOrderState],
    shown: dict[str, frozenset[str]],
) -> dict[str, frozenset[str]]:
    """The channel's tracking numbers for the orders the hub shipped (read-back capable
    channels only; the others are judged by the order's state): as the pull's own bodies
    showed them (``shown``), else read back, one call per order."""
    if Capability.READ_FULFILMENTS not in connector.capabilities or not states:
        return {}
    with sessions.begin() as session:
        shipped = [
            view.external_id
            for view in iter_hub_orders(
                session, channel=connector.platform, account=connector.account
            )
            if view.shipped_tracking and view.external_id in states
        ]
    tracking: dict[str, frozenset[str]] = {}
    for external_id in shipped:
        if external_id in shown:
            tracking[external_id] = shown[external_id]
            continue
        fulfilments = await connector.get_fulfilments(external_id)
        tracking[external_id] = frozenset(
            f.tracking_number for f in fulfilments if f.tracking_number
        )
    return tracking


async def _pull_listing_quantities(connector: SalesChannel) -> list[ListingQuantity]:
    """Listing quantities on the channel, sorted; none when the channel cannot list them."""
    if Capability.PULL_LISTINGS not in connector.capabilities:
        return []
    quantities: dict[tuple[str, str], int] = {}
    async for page in connector.pull_listings(None):
        for listing in page.items:
            if listing.quantity is not None:
                quantities[(listing.listing_id, listing.variation_id or "")] = listing.quantity
    return [ListingQuantity(lid, qty, vid) for (lid, vid), qty in sorted(quantities.items())]


async def _pull_stock_levels(
    connector: Warehouse, resolve: Callable[[str], str | None]
) -> tuple[list[StockCount], list[RecordFailure]]:
    """On hand per (warehouse, sku), summed over repeats (several locations), sorted; a level
    no registered warehouse matches keeps the WMS's name (reported, never adjusted). With
    them, the rows the mapping could not read (the stock pull files them as dead letters)."""
    on_hand: dict[tuple[str, str], int] = {}
    failures: list[RecordFailure] = []
    async for page in connector.get_stock_levels(None, None):
        failures.extend(page.failures)
        for level in page.items:
            key = (resolve(level.warehouse) or level.warehouse, level.sku)
            on_hand[key] = on_hand.get(key, 0) + level.on_hand
    levels = [StockCount(wh, sku, qty) for (wh, sku), qty in sorted(on_hand.items())]
    return levels, failures


# --- run bookkeeping -----------------------------------------------------------------------


def _start(
    sessions: sessionmaker[Session],
    connector: Any,
    *,
    scope: str,
    since: datetime | None,
    repair: bool,
    now: datetime,
) -> int:
    with sessions.begin() as session:
        return start_run(
            session,
            account=connector.account,
            platform=connector.platform,
            scope=scope,
            since=since,
            repair=repair,
            now=now,
        )


async def _finish(
    sessions: sessionmaker[Session],
    run_id: int,
    counts: dict[str, Any],
    repair: bool,
    ctx: RepairContext,
    connector: Any,
    scope: str,
) -> ReconcileReport:
    if repair:
        with sessions.begin() as session:
            pending: Sequence[StoredDiscrepancy] = list_discrepancies(
                session, run_id, repair_status="pending"
            )
        applied, failed = await apply_safe_repairs(sessions, pending, ctx)
        counts["repairs"] = {"applied": applied, "failed": failed}
    with sessions.begin() as session:
        finish_run(session, run_id, counts=counts, now=ctx.now)
        found = list_discrepancies(session, run_id)
    return ReconcileReport(run_id, connector.account, connector.platform, scope, counts, found)


def _fail(sessions: sessionmaker[Session], run_id: int, exc: Exception, now: datetime) -> None:
    with sessions.begin() as session:
        finish_run(session, run_id, counts={}, now=now, error=f"{type(exc).__name__}: {exc}")
