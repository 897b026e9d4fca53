"""Polling a warehouse that calls nobody back (Amazon MCF: its notifications go through SQS):
shipments, the outcomes a person must see, and package tracking.

One run for one warehouse account (``POLLED_OUTBOUND``):

1. each live outbound order of its warehouses (accepted, picking, packed, partly shipped,
   cancel requested or too late to cancel; its order not already an exception, cancelled or
   delivered), oldest first: ``get_outbound``, then in one transaction every shipment applied
   (:func:`~channelhub.jobs.fulfilment.shipments.apply_shipment`, idempotent on the shipment id)
   and the
   outcome acted on:

   - the warehouse cancelled or refused the order by itself (Amazon ``Unfulfillable``,
     ``Invalid``, or cancelled without our asking): the answer goes
     through
     :func:`~channelhub.jobs.fulfilment.intercept.apply_cancel_answer` — the reservation is
     released and
     the order becomes an exception, with the warehouse's words;
   - a final order shipped only in part (``CompletePartialled``), or lines it says it cannot
     fulfil: what is still reserved for it is released (once) and the order becomes an
     exception naming the units;


2. each package of its shipments without a final scan that the warehouse numbers
   (``package_id``): ``package_tracking`` -> tracking events, stored once each, delivering
   the orders they complete (:func:`~channelhub.jobs.fulfilment.tracking.apply_tracking_events`);
   a warehouse that tracks by order and tracking number instead (WINIT, 4PX:
   :class:`ParcelTracker`) is asked ``parcel_tracking`` for each such parcel;

3. a warehouse that bills per order (``FeeReader``: Goodcang, WINIT, 4PX): each shipped or
   cancelled outbound not yet in the money ledger has its fees read and, once final, recorded
   there (:func:`~channelhub.jobs.fulfilment.warehouse_extras.read_fees`).

Every step is idempotent, so a crash anywhere is repaired by the next run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, NotFoundError, RetryableError
from channelhub.connectors.fees import FeeReader
from channelhub.connectors.results import OutboundStatus
from channelhub.connectors.roles import Capability, Warehouse
from channelhub.core.errors import ChannelhubError, ConfigError
from channelhub.core.fulfilment import OutboundState, TrackingEvent
from channelhub.core.lifecycle import HubStatus
from channelhub.core.reservations import part_reference, release
from channelhub.jobs.engine.runner import JobContext
from channelhub.jobs.fulfilment.intercept import apply_cancel_answer
from channelhub.jobs.fulfilment.outbound import move_order, order_row
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.fulfilment.tracking import FINAL_TRACKING, apply_tracking_events
from channelhub.jobs.fulfilment.warehouse_extras import OrderTracker, read_fees, track_orders
from channelhub.jobs.orders.pipeline import open_movements
from channelhub.store.repos.decisions import record_decision
from channelhub.store.repos.fulfilment import get_outbound
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.stock import record_movement
from channelhub.store.tables.fulfilment import (
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
    TrackingEventRow,
)

SessionFactory = Callable[[], Session]
log = logging.getLogger(__name__)

_LIVE = frozenset(
    {
        OutboundState.ACCEPTED,
        OutboundState.PICKING,
        OutboundState.PACKED,
        OutboundState.PARTIALLY_SHIPPED,
        OutboundState.CANCEL_REQUESTED,
        OutboundState.CANCEL_TOO_LATE,  # an intercept came too late: it still ships
    }
)
_SETTLED = frozenset({HubStatus.EXCEPTION, HubStatus.CANCELLED, HubStatus.DELIVERED})
_STOPPED = frozenset({OutboundState.CANCELLED, OutboundState.REJECTED})


@runtime_checkable
class PackageTracker(Protocol):
    """A warehouse that tracks its own packages by its package number (Amazon MCF)."""

    async def package_tracking(self, package_number: int) -> list[TrackingEvent]: ...


@runtime_checkable
class ParcelTracker(Protocol):
    """A warehouse that tracks a parcel by its order and tracking number (WINIT, 4PX)."""

    async def parcel_tracking(
        self, idempotency_key: str, tracking_number: str, carrier: str
    ) -> list[TrackingEvent]: ...


@dataclass
class WarehousePollSummary:
    """One poll: orders read, shipments new to the hub, exceptions raised, scans stored."""

    polled: int = 0
    shipments: int = 0
    exceptions: list[tuple[str, str]] = field(default_factory=list)  # outbound key, reason
    packages: int = 0
    new_events: int = 0
    delivered: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # key or number, reason
    fees: int = 0  # fee records new to the money ledger (warehouse_extras)

    def render(self) -> str:
        lines = [
            f"polled {self.polled} order(s): {self.shipments} new shipment(s); "
            f"{self.packages} package(s) tracked, {self.new_events} new scan(s), "
            f"{len(self.delivered)} order(s) delivered"
        ]
        if self.fees:
            lines.append(f"  {self.fees} order fee record(s) recorded in the money ledger")
        lines += [f"  EXCEPTION {key}: {why}" for key, why in self.exceptions]
        lines += [f"  FAILED {what}: {why}" for what, why in self.failures]
        return "\n".join(lines)


def live_outbounds(session: Session, warehouses: Sequence[str], *, limit: int) -> list[str]:
    """Keys of the outbound orders still in the warehouses' hands, oldest first."""
    rows = session.execute(
        select(OutboundOrderRow.idempotency_key, OutboundOrderRow.order_key)
        .where(
            OutboundOrderRow.warehouse.in_(list(warehouses)),
            OutboundOrderRow.state.in_([s.value for s in _LIVE]),
        )
        .order_by(OutboundOrderRow.id)
        .limit(limit)
    )
    keys = []
    for key, order_key in rows:
        row = order_row(session, order_key)
        if row is None or HubStatus(row.hub_status) not in _SETTLED:
            keys.append(key)
    return keys


def open_packages(session: Session, warehouses: Sequence[str], *, limit: int) -> list[int]:
    """Package numbers of the warehouses' shipments without a final scan yet."""
    final = select(TrackingEventRow.tracking_number).where(
        TrackingEventRow.status.in_([s.value for s in FINAL_TRACKING])
    )
    rows = session.scalars(
        select(PackageRow.package_id)
        .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(
            ShipmentRow.warehouse.in_(list(warehouses)),
            PackageRow.package_id.is_not(None),
            PackageRow.tracking_number.not_in(final),
        )
        .order_by(PackageRow.id)
        .limit(limit)
    )
    return [int(n) for n in rows if n is not None and n.isdigit()]


def open_parcels(
    session: Session, warehouses: Sequence[str], *, limit: int
) -> list[tuple[str, str, str]]:
    """(outbound key, tracking number, carrier) of the warehouses' parcels without a final
    scan yet."""
    final = select(TrackingEventRow.tracking_number).where(
        TrackingEventRow.status.in_([s.value for s in FINAL_TRACKING])
    )
    rows = session.execute(
        select(ShipmentRow.outbound_key, PackageRow.tracking_number, PackageRow.carrier)
        .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(
            ShipmentRow.warehouse.in_(list(warehouses)),
            PackageRow.tracking_number.not_in(final),
        )
        .order_by(PackageRow.id)
        .limit(limit)
    )
    return [(key, number, carrier) for key, number, carrier in rows]


def _release_rest(session: Session, key: str, why: str, now: datetime) -> int:
    """Release what is still reserved for an outbound's part (once per SKU); units freed."""
    outbound, _ = get_outbound(session, key)
    reference = part_reference(outbound.order_key, outbound.part)
    freed = 0
    for movement in release(open_movements(session, reference), reference, at=now, reason=why):
        record_movement(
            session,
            movement,
            now=now,
            dedupe_key=f"unfulfilled-release:{key}:{movement.warehouse}:{movement.sku}",
        )
        freed += movement.quantity
    return freed


def apply_status(
    session: Session, status: OutboundStatus, *, now: datetime
) -> tuple[int, str | None]:
    """Apply one read of an outbound in the caller's transaction: (new shipments, the
    exception raised or None)."""
    key = status.idempotency_key
    new = sum(not apply_shipment(session, s, now=now).duplicate for s in status.shipments)
    outbound, current = get_outbound(session, key)
    if status.state in _STOPPED and current not in _STOPPED:
        reason = status.problem or f"the warehouse answered {status.state.value}"
        apply_cancel_answer(session, key, stopped=True, reason=reason, now=now)
        return new, reason
    if status.problem is None or not (status.final or status.state is OutboundState.REJECTED):
        return new, None
    row = order_row(session, outbound.order_key)
    if row is None or HubStatus(row.hub_status) in _SETTLED:
        return new, None
    freed = _release_rest(session, key, f"not shipped by {outbound.warehouse}", now)
    why = f"warehouse {outbound.warehouse}: {status.problem}" + (
        f" ({freed} unit(s) released)" if freed else ""
    )
    record_decision(
        session, row.id, kind="warehouse_outcome", reason=why, at=now, actor="warehouse"
    )
    move_order(session, row, [HubStatus.EXCEPTION], reason=why, now=now, actor="warehouse")
    return new, why


async def poll_warehouse(
    session_factory: SessionFactory,
    connector: Warehouse,
    *,
    warehouses: Sequence[str],
    now: datetime,
    limit: int = 100,
) -> WarehousePollSummary:
    """Read the live outbound orders and open packages of ``warehouses`` (see the module)."""
    summary = WarehousePollSummary()
    with session_factory() as session:
        keys = live_outbounds(session, warehouses, limit=limit)
    for key in keys:
        try:
            status = await connector.get_outbound(key)
        except (RetryableError, FatalError) as error:
            summary.failures.append((key, str(error)))
            continue
        summary.polled += 1
        try:
            with session_factory() as session, session.begin():
                new, raised = apply_status(session, status, now=now)
        except ChannelhubError as error:  # more shipped than reserved: reconciliation looks
            summary.failures.append((key, str(error)))
            continue
        summary.shipments += new
        if raised:
            summary.exceptions.append((key, raised))
    if isinstance(connector, PackageTracker):
        await _track(session_factory, connector, warehouses, now, limit, summary)
    elif isinstance(connector, ParcelTracker):
        await _track_parcels(session_factory, connector, warehouses, now, limit, summary)
    if isinstance(connector, OrderTracker):
        await track_orders(session_factory, connector, warehouses, now, limit, summary)
    if isinstance(connector, FeeReader):
        await read_fees(
            session_factory, connector, connector.account, warehouses, now, limit, summary
        )
    return summary


async def _track_parcels(
    session_factory: SessionFactory,
    connector: ParcelTracker,
    warehouses: Sequence[str],
    now: datetime,
    limit: int,
    summary: WarehousePollSummary,
) -> None:
    with session_factory() as session:
        parcels = open_parcels(session, warehouses, limit=limit)
    for key, number, carrier in parcels:
        try:
            events = await connector.parcel_tracking(key, number, carrier)
        except (RetryableError, FatalError, NotFoundError) as error:
            summary.failures.append((number, str(error)))
            continue
        summary.packages += 1
        with session_factory() as session, session.begin():
            outcome = apply_tracking_events(session, events, now=now)
        summary.new_events += outcome.new_events
        summary.delivered.extend(outcome.delivered)


async def _track(
    session_factory: SessionFactory,
    connector: PackageTracker,
    warehouses: Sequence[str],
    now: datetime,
    limit: int,
    summary: WarehousePollSummary,
) -> None:
    with session_factory() as session:
        numbers = open_packages(session, warehouses, limit=limit)
    for number in numbers:
        try:
            events = await connector.package_tracking(number)
        except (RetryableError, FatalError, NotFoundError) as error:
            summary.failures.append((str(number), str(error)))
            continue
        summary.packages += 1
        with session_factory() as session, session.begin():
            outcome = apply_tracking_events(session, events, now=now)
        summary.new_events += outcome.new_events
        summary.delivered.extend(outcome.delivered)


async def poll_outbound_job(context: JobContext) -> bool:
    """The scheduled ``poll_outbound`` of one warehouse account; a warehouse that calls back
    (no ``POLLED_OUTBOUND``) is skipped quietly.

    Counts: new shipments, scans and fee records -> new, orders delivered -> updated,
    exceptions raised and failed reads -> failed.
    """
    from channelhub.jobs.engine.handlers import warehouse_codes  # the handlers import the runner

    connector = context.connector()
    if not isinstance(connector, Warehouse):
        raise ConfigError(f"account {context.account.name!r} is not a warehouse")
    if Capability.POLLED_OUTBOUND not in connector.capabilities:
        log.info("poll_outbound: %s reports by callback; skipped", context.account.name)
        return False
    with context.session_factory() as session:
        codes = warehouse_codes(session, context.account.name, context.account.settings)
    summary = await poll_warehouse(
        context.session_factory, connector, warehouses=codes, now=context.now()
    )
    counts = RunCounts(
        new=summary.shipments + summary.new_events + summary.fees,
        updated=len(summary.delivered),
        failed=len(summary.exceptions) + len(summary.failures),
    )
    context.commit_page(lambda _session: counts)
    return False
