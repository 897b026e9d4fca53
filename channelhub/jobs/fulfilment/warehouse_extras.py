"""The parts of a warehouse poll that some warehouses need: tracking asked by order, and the
fees an order was charged.

- :class:`OrderTracker` (Goodcang): the warehouse tracks parcels by the order's reference,
  many orders per call, not by a package number. Each outbound of the polled warehouses with
  a package still without a final scan is asked once per poll; the events go through
  :func:`~channelhub.jobs.fulfilment.tracking.apply_tracking_events` (stored once each,
  delivering the orders they complete).
- :class:`~channelhub.connectors.fees.FeeReader`: each shipped or cancelled outbound whose
  fee record is missing or not final yet is read and kept in ``warehouse_fees``
  (:func:`~channelhub.store.repos.cartons.save_fees`) for settlement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, NotFoundError, RetryableError
from channelhub.connectors.fees import FeeReader
from channelhub.core.fulfilment import OutboundState, TrackingEvent
from channelhub.jobs.fulfilment.tracking import FINAL_TRACKING, apply_tracking_events
from channelhub.store.repos.cartons import save_fees
from channelhub.store.tables.fulfilment import (
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
    TrackingEventRow,
)
from channelhub.store.tables.warehouse_terms import WarehouseFeeRow

if TYPE_CHECKING:
    from channelhub.jobs.fulfilment.warehouse_poll import WarehousePollSummary

SessionFactory = Callable[[], Session]
_BILLED = (OutboundState.SHIPPED, OutboundState.PARTIALLY_SHIPPED, OutboundState.CANCELLED)


@runtime_checkable
class OrderTracker(Protocol):
    """A warehouse that tracks the parcels of its orders by the hub's dispatch ids."""

    async def order_tracking(self, idempotency_keys: Sequence[str]) -> list[TrackingEvent]: ...


def untracked_outbounds(session: Session, warehouses: Sequence[str], *, limit: int) -> list[str]:
    """Outbound keys of the warehouses' shipments with a package without a final scan."""
    final = select(TrackingEventRow.tracking_number).where(
        TrackingEventRow.status.in_([s.value for s in FINAL_TRACKING])
    )
    rows = session.execute(
        select(ShipmentRow.outbound_key, ShipmentRow.id)
        .join(PackageRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(
            ShipmentRow.warehouse.in_(list(warehouses)), PackageRow.tracking_number.not_in(final)
        )
        .order_by(ShipmentRow.id)
        .limit(limit)
    )
    return list(dict.fromkeys(key for key, _ in rows))


async def track_orders(
    session_factory: SessionFactory,
    connector: OrderTracker,
    warehouses: Sequence[str],
    now: datetime,
    limit: int,
    summary: WarehousePollSummary,
) -> None:
    with session_factory() as session:
        keys = untracked_outbounds(session, warehouses, limit=limit)
    if not keys:
        return
    try:
        events = await connector.order_tracking(keys)
    except (RetryableError, FatalError) as error:
        summary.failures.append(("tracking", str(error)))
        return
    summary.packages += len({e.tracking_number for e in events})
    with session_factory() as session, session.begin():
        outcome = apply_tracking_events(session, events, now=now)
    summary.new_events += outcome.new_events
    summary.delivered.extend(outcome.delivered)


def unbilled_outbounds(
    session: Session, warehouses: Sequence[str], *, limit: int
) -> list[tuple[str, str]]:
    """(key, warehouse) of the warehouses' shipped or cancelled outbounds without a final
    fee record."""
    settled = select(WarehouseFeeRow.outbound_key).where(WarehouseFeeRow.final.is_(True))
    return [
        (key, warehouse)
        for key, warehouse in session.execute(
            select(OutboundOrderRow.idempotency_key, OutboundOrderRow.warehouse)
            .where(
                OutboundOrderRow.warehouse.in_(list(warehouses)),
                OutboundOrderRow.state.in_([s.value for s in _BILLED]),
                OutboundOrderRow.idempotency_key.not_in(settled),
            )
            .order_by(OutboundOrderRow.id)
            .limit(limit)
        )
    ]


async def read_fees(
    session_factory: SessionFactory,
    connector: FeeReader,
    warehouses: Sequence[str],
    now: datetime,
    limit: int,
    summary: WarehousePollSummary,
) -> None:
    with session_factory() as session:
        keys = unbilled_outbounds(session, warehouses, limit=limit)
    for key, warehouse in keys:
        try:
            fees = await connector.outbound_fees(key)
        except (RetryableError, FatalError, NotFoundError) as error:
            summary.failures.append((key, str(error)))
            continue
        with session_factory() as session, session.begin():
            changed = save_fees(
                session,
                outbound_key=key,
                warehouse=warehouse,
                warehouse_order_id=fees.warehouse_order_id,
                total=fees.total,
                raw=fees.raw,
                final=fees.final,
                now=now,
            )
        summary.fees += int(changed)
