"""The demo's stages, in order, each calling the hub's real components and counting what they
did into a :class:`~channelhub.demo.summary.DemoSummary`.

Every stage runs the hub as ``channelhub run`` and ``channelhub serve`` would:
:func:`~channelhub.jobs.engine.runner.run_job` with the handler registered in ``JOB_HANDLERS``
(lease, run log, cursor, rulebook from ``<home>/rules.toml``, dead letters) for the imports
(which run the order pipeline after each page), dispatch, tracking push, carrier polling and
stock push; the warehouses' signed callbacks go to the hub's own FastAPI app
(``/callbacks/warehouse/{account}``) in process. Nothing here re-implements a hub
piece.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app as create_api
from channelhub.connectors.errors import ConnectorError
from channelhub.core.bindings import PairingConflict
from channelhub.core.errors import ChannelhubError
from channelhub.core.lifecycle import HubStatus
from channelhub.core.pairing import PairingConfig, suggest
from channelhub.core.rulebook import Rulebook
from channelhub.demo.scenario import (
    AMAZON_ACCOUNT,
    SHOPIFY_ACCOUNT,
    UNPAIRED_LISTING,
    UPS_ACCOUNT,
    WAREHOUSES,
    unpaired_binding,
)
from channelhub.demo.summary import DemoSummary
from channelhub.demo.world import World
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobOptions, JobResult, run_job
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.jobs.orders.pipeline import (
    OUTBOUND_CREATE,
    PipelineSettings,
)
from channelhub.jobs.orders.pipeline_intake import pipeline_settings
from channelhub.jobs.orders.replan import rebind
from channelhub.jobs.stock.compute import load_rules
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.catalog import load_catalog
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.listings import listing_refs
from channelhub.store.repos.orders import order_history
from channelhub.store.repos.pairings import load_book
from channelhub.store.repos.stock_sync import latest_pushes
from channelhub.store.tables.fulfilment import PackageRow, ShipmentRow
from channelhub.store.tables.listings import ListingRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock_sync import PushState

Progress = Callable[[str], None]
#: How a finished stage is reported to ``progress`` (the first character of the message).
DONE, FAILED = "✓", "✗"


@dataclass
class Hub:
    """The demo hub: its database, connectors and clock, and what it has counted."""

    sessions: sessionmaker[Session]
    vault: Any
    home: Path
    world: World
    summary: DemoSummary
    progress: Progress
    connectors: ConnectorFactory | None = None
    _open: dict[str, Any] = field(default_factory=dict)
    _api: httpx.AsyncClient | None = None
    callback_errors: list[str] = field(default_factory=list)
    #: Set by ``demo --keep`` once the hub serves HTTP: callbacks then go there over loopback.
    callback_url: str | None = None
    _loopback: httpx.AsyncClient | None = None

    def now(self) -> datetime:
        return self.world.clock()

    def rulebook(self) -> Rulebook:
        """The demo home's ``rules.toml``, as every job run reads it."""
        return load_rules(None, home=self.home)

    def pipeline_settings(self) -> PipelineSettings:
        return pipeline_settings(self.rulebook())

    def factory(self) -> ConnectorFactory:
        """The hub's connector factory (account row -> connector), as the jobs use it; its
        waits and clocks are the demo clock's (see :class:`~channelhub.demo.world.DemoClock`)."""
        if self.connectors is None:
            clock = self.world.clock
            self.connectors = ConnectorFactory(
                self.vault, now=self.now, clock=clock.monotonic, sleep=clock.sleep
            )
        return self.connectors

    def connector(self, account: str) -> Any:
        """The account's connector (one per account for the whole demo)."""
        if account not in self._open:
            factory = self.factory()
            with self.sessions() as session:
                row = get_account(session, account)
            self._open[account] = factory(row)
        return self._open[account]

    async def aclose(self) -> None:
        for connector in self._open.values():
            await connector.aclose()
        self._open.clear()
        for client in (self._api, self._loopback):
            if client is not None:
                await client.aclose()

    async def stage(self, name: str, run: Callable[[], Awaitable[None]]) -> bool:
        """Run one stage; a hub or connector error marks it failed (the next stages still run).

        Reports ``name`` when it starts and ``"<mark> name (seconds)"`` when it ends (mark
        DONE or FAILED), so a console can show a spinner and then the outcome."""
        self.progress(name)
        started = time.monotonic()
        self.world.clock.tick(timedelta(minutes=10))  # time passes between stages
        mark, done = DONE, True
        try:
            await run()
        except (ChannelhubError, ConnectorError) as error:
            self.summary.mark(name, f"failed: {error}")
            mark, done = FAILED, False
        else:
            self.summary.mark(name)
        self.progress(f"{mark} {name} ({time.monotonic() - started:.1f} s)")
        return done

    # --- warehouse callbacks: into the hub's own HTTP API, in process ----------------------

    def api(self) -> httpx.AsyncClient:
        """A client of the hub's FastAPI app (``channelhub serve``), served in process."""
        if self._api is None:
            app = create_api(
                session_factory=self.sessions, connector_factory=self.factory(), now=self.now
            )
            self._api = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://hub"
            )
        return self._api

    def _callback_client(self) -> httpx.AsyncClient:
        """In process until the hub serves HTTP (``demo --keep``), then over loopback."""
        if self.callback_url is None:
            return self.api()
        if self._loopback is None:
            self._loopback = httpx.AsyncClient(base_url=self.callback_url, timeout=10.0)
        return self._loopback

    def callback_handler(self, code: str) -> Callable[[str, dict[str, str], bytes], Awaitable[int]]:
        """What warehouse ``code`` POSTs its signed callbacks to: the hub's
        ``/callbacks/warehouse/{account}`` route (verify, archive, dedupe, apply)."""

        async def handle(url: str, headers: dict[str, str], body: bytes) -> int:
            path = httpx.URL(url).path
            answer = await self._callback_client().post(path, headers=headers, content=body)
            if answer.status_code != 200:
                self.callback_errors.append(f"{path}: HTTP {answer.status_code}")
            elif answer.json().get("status") == "dead_letter":
                self.callback_errors.append(f"{path}: {answer.json().get('reason')}")
            else:
                self.summary.callbacks += 1
            return answer.status_code

        return handle


def orders_by_channel(session: Session) -> dict[str, int]:
    rows = session.execute(select(OrderRow.channel, func.count()).group_by(OrderRow.channel))
    return {channel: int(n) for channel, n in rows}


SHIPPED_STATUSES = (HubStatus.PARTIALLY_SHIPPED, HubStatus.SHIPPED, HubStatus.DELIVERED)


def _count_orders(session: Session, statuses: Sequence[HubStatus]) -> int:
    query = select(func.count()).select_from(OrderRow)
    query = query.where(OrderRow.hub_status.in_([s.value for s in statuses]))
    return int(session.scalar(query) or 0)


def channel_statuses(session: Session, status: HubStatus) -> dict[str, dict[str, int]]:
    """channel -> the channel's own status (as last imported) -> orders in hub ``status``."""
    rows = session.execute(
        select(OrderRow.channel, OrderRow.channel_status, func.count())
        .where(OrderRow.hub_status == status.value)
        .group_by(OrderRow.channel, OrderRow.channel_status)
    )
    found: dict[str, dict[str, int]] = {}
    for channel, channel_status, n in rows:
        found.setdefault(str(channel), {})[str(channel_status)] = int(n)
    return found


#: Failed runs of one job the demo runs again (a minute of demo time apart, as the scheduler's
#: next tick would) before it calls the stage failed.
RERUNS = 3


async def run_until_done(hub: Hub, account: str, kind: JobKind) -> list[JobResult]:
    """Run a registered job for ``account`` as the scheduler would, until it has no more.

    A failed run (its error is in the run log, a fatal one also dead-lettered) is run again
    on the next "tick", up to :data:`RERUNS` times, and counted in the summary."""
    results = []
    failures = 0
    while True:
        result = await run_job(
            hub.sessions,
            account,
            kind,
            connector_factory=hub.factory(),
            now=hub.now,
            options=JobOptions(home=hub.home),
        )
        results.append(result)
        if result.error:
            failures += 1
            hub.summary.reruns[f"{kind.value} {account}"] = result.error
            if failures > RERUNS:
                raise ChannelhubError(f"{kind.value} {account}: {result.error}")
            hub.world.clock.tick(timedelta(minutes=1))
            continue
        if result.skipped or not result.more:
            return results


async def import_channels(hub: Hub) -> None:
    for account in (AMAZON_ACCOUNT, SHOPIFY_ACCOUNT):
        for kind in (JobKind.PULL_LISTINGS, JobKind.PULL_ORDERS):
            await run_until_done(hub, account, kind)
    with hub.sessions() as session:
        hub.summary.imported = orders_by_channel(session)
        rows = session.execute(
            select(ListingRow.channel, func.count()).group_by(ListingRow.channel)
        )
        hub.summary.listings = {channel: int(n) for channel, n in rows}


def _unpaired_listings(session: Session) -> list[str]:
    rows = session.execute(
        select(OrderLineRow.channel_sku)
        .join(OrderRow, OrderLineRow.order_id == OrderRow.id)
        .where(OrderRow.hub_status == HubStatus.AWAITING_PAIRING.value)
        .distinct()
    )
    return sorted(str(sku) for (sku,) in rows if sku)


async def plan_orders(hub: Hub) -> None:
    """What the pipeline did with the imported orders (it runs after each imported page:
    pair, review, allocate); then the seller binds the listing pairing could not match, and
    its waiting orders go through again."""
    with hub.sessions.begin() as session:
        hub.summary.unpaired = _unpaired_listings(session)
        if UNPAIRED_LISTING in hub.summary.unpaired:
            binding, plans = rebind(
                session,
                unpaired_binding(),
                settings=hub.pipeline_settings(),
                now=hub.now(),
                actor="seller",
            )
            hub.summary.bound[UNPAIRED_LISTING] = binding.sku
            hub.summary.reevaluated = len(plans)
    with hub.sessions() as session:
        held = session.execute(
            select(OrderRow.id, OrderRow.channel, OrderRow.account, OrderRow.external_id).where(
                OrderRow.hub_status == HubStatus.ON_HOLD.value
            )
        ).all()
        for order_id, channel, account, external_id in held:
            history = order_history(session, order_id)
            reason = history[-1].reason if history else "on hold"
            hub.summary.held[f"{channel}:{account}:{external_id}"] = reason
        parts = Counter(
            str(payload.get("order_key"))
            for payload in session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.kind == OUTBOUND_CREATE)
            )
        )
    hub.summary.allocated = len(parts)
    hub.summary.parts = sum(parts.values())
    hub.summary.split = sum(1 for n in parts.values() if n > 1)
    hub.summary.split_order = next((key for key, n in sorted(parts.items()) if n > 1), "")


async def run_rounds(hub: Hub, accounts: Sequence[str], kind: JobKind, rounds: int) -> RunCounts:
    """Run ``kind`` for each account as the scheduler would, a few rounds apart (5 demo
    minutes) while anything failed, so retryable failures get their next attempt."""
    total = RunCounts()
    for _ in range(rounds):
        failed = 0
        for account in accounts:
            for result in await run_until_done(hub, account, kind):
                total += result.counts
                failed += result.counts.failed
        if not failed:
            break
        hub.world.clock.tick(timedelta(minutes=5))
    return total


async def dispatch(hub: Hub) -> None:
    accounts = sorted({account for account, _ in WAREHOUSES.values()})
    counts = await run_rounds(hub, accounts, JobKind.DISPATCH_OUTBOX, rounds=5)
    hub.summary.dispatched = counts.updated
    hub.summary.per_warehouse = {
        code: len(w.orders) for code, w in sorted(hub.world.warehouses.items())
    }
    hub.summary.warehouse_orders = sum(hub.summary.per_warehouse.values())


async def ship(hub: Hub) -> None:
    """The warehouses pick, pack and ship as the clock passes, and call the hub back; the
    carrier receives the parcels."""
    for _ in range(4):
        await hub.world.advance(timedelta(hours=1, minutes=1))
    for _ in range(3):  # refused or held-back callbacks are resent on later advances
        if not any(w.pending for w in hub.world.warehouses.values()):
            break
        await hub.world.advance(timedelta(minutes=5))
    if hub.callback_errors:
        raise ChannelhubError(f"warehouse callback not applied: {hub.callback_errors[0]}")
    with hub.sessions() as session:
        shipped = session.execute(
            select(PackageRow.tracking_number, ShipmentRow.shipped_at).join(
                ShipmentRow, PackageRow.shipment_id == ShipmentRow.id
            )
        ).all()
        hub.summary.shipments = session.scalar(select(func.count()).select_from(ShipmentRow)) or 0
        hub.summary.orders_shipped = _count_orders(session, SHIPPED_STATUSES)
    hub.summary.packages = len(shipped)
    for tracking_number, shipped_at in shipped:  # the parcels reach the carrier
        hub.world.ups.add_package(tracking_number, shipped_at)


async def push_tracking(hub: Hub) -> None:
    channels = (AMAZON_ACCOUNT, SHOPIFY_ACCOUNT)
    counts = await run_rounds(hub, channels, JobKind.PUSH_TRACKING, rounds=3)
    hub.summary.tracking_pushed = counts.updated
    hub.world.clock.tick(timedelta(minutes=2))  # the channels' read limits refill
    # the scheduler's next import reads the channels' new status, and confirms the pushes
    # left to it (Amazon's: jobs/fulfilment/confirmations.py)
    for account in channels:
        await run_until_done(hub, account, JobKind.PULL_ORDERS)
    with hub.sessions() as session:
        refused = session.execute(
            select(OutboxMessage.payload, OutboxMessage.last_error).where(
                OutboxMessage.kind == FULFILMENT, OutboxMessage.state != OutboxState.SENT.value
            )
        ).all()
        for payload, error in refused:  # kept in the outbox for replay, with the reason
            number = str(payload.get("tracking_number") or payload.get("package_key"))
            hub.summary.tracking_failures[number] = str(error)
        shipped = session.execute(
            select(OrderRow.account, OrderRow.external_id).where(
                OrderRow.hub_status.in_([HubStatus.SHIPPED.value, HubStatus.DELIVERED.value])
            )
        ).all()
    # and the fulfilments the channels hold, order by order
    for account, external_id in shipped:
        fulfilments = await hub.connector(account).get_fulfilments(external_id)
        hub.summary.channel_fulfilments += len(fulfilments)


async def carrier_events(hub: Hub) -> None:
    hub.world.clock.tick(timedelta(days=3))
    await run_rounds(hub, (UPS_ACCOUNT,), JobKind.POLL_SHIPMENTS, rounds=1)
    with hub.sessions() as session:
        hub.summary.delivered = _count_orders(session, (HubStatus.DELIVERED,))
        hub.summary.delivered_on_channel = channel_statuses(session, HubStatus.DELIVERED)


async def push_stock(hub: Hub) -> None:
    channels = (AMAZON_ACCOUNT, SHOPIFY_ACCOUNT)
    counts = await run_rounds(hub, channels, JobKind.PUSH_STOCK, rounds=1)
    hub.summary.stock_pushed = counts.updated
    hub.summary.stock_considered = counts.updated + counts.unchanged + counts.failed
    with hub.sessions() as session:
        for account in channels:
            platform = get_account(session, account).platform
            pushes = latest_pushes(session, channel=platform, account=account)
            for key, record in sorted(pushes.items(), key=lambda item: str(item[0])):
                if record.state is PushState.REJECTED:
                    listing = f"{account} {key.listing_id}"
                    hub.summary.stock_problems[listing] = str(record.reason)
        hub.summary.left_unpaired = left_unpaired(session, hub.rulebook().pairing)


def left_unpaired(session: Session, config: PairingConfig) -> dict[str, str]:
    """Listings no binding resolves (no order paired them, so no stock is pushed to them):
    ``CHANNEL:ACCOUNT:SKU`` as ``pairing bind`` takes it -> the best candidate SKU ("" when
    pairing has none)."""
    book, catalog = load_book(session), load_catalog(session)
    found: dict[str, str] = {}
    for ref in listing_refs(session):
        try:
            if book.resolve(ref) is not None:
                continue
        except PairingConflict:
            pass  # ambiguous: the seller has to settle it like an unpaired one
        what = ref.channel_sku or f"listing={ref.listing_id}"
        candidates = suggest(ref, catalog, config)
        found[f"{ref.channel}:{ref.account}:{what}"] = candidates[0].sku if candidates else ""
    return found
