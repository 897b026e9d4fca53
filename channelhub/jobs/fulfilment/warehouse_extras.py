"""The parts of a warehouse poll that some warehouses need: tracking asked by order, and the
fees an order was charged.

- :class:`OrderTracker` (Goodcang): the warehouse tracks parcels by the order's reference,
  many orders per call, not by a package number. Each outbound of the polled warehouses with
  a package still without a final scan is asked once per poll; the events go through
  :func:`~channelhub.jobs.fulfilment.tracking.apply_tracking_events` (stored once each,
  delivering the orders they complete).
- :class:`~channelhub.connectors.fees.FeeReader` (Goodcang, WINIT, 4PX alike): each shipped
  or cancelled outbound of the polled warehouses whose fee record is not in the money ledger
  yet is read; a final record goes to the ledger in one transaction -- the raw record in
  ``money_records`` (kind ``warehouse_fees``) and one line per charge in ``money_lines``
  (source warehouse, the warehouse account, ``provider_txn_id`` = the dispatch id, which every
  warehouse keys the order's fees by), linked to the channel order the outbound served. A
  record not final yet is stored nothing and read again by the next poll; a record stored is
  never read again (the ledger is append-only, and :func:`record_money` dedupes anyway).
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
from channelhub.core.settlement import WAREHOUSE_FEES, warehouse_fee_record
from channelhub.jobs.fulfilment.outbound import parse_order_key
from channelhub.jobs.fulfilment.tracking import FINAL_TRACKING, apply_tracking_events
from channelhub.store.repos.money import record_money
from channelhub.store.tables.fulfilment import (
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
    TrackingEventRow,
)
from channelhub.store.tables.money import MoneyRecordRow

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
    session: Session, account: str, warehouses: Sequence[str], *, limit: int
) -> list[tuple[str, str, str | None]]:
    """(key, order key, warehouse order id) of the warehouses' shipped or cancelled outbounds
    whose fee record ``account`` has not put in the money ledger yet, oldest first."""
    recorded = (
        select(MoneyRecordRow.provider_txn_id)
        .where(
            MoneyRecordRow.account == account,
            MoneyRecordRow.provider_txn_id == OutboundOrderRow.idempotency_key,
            MoneyRecordRow.kind == WAREHOUSE_FEES,
        )
        .exists()
    )
    rows = session.execute(
        select(
            OutboundOrderRow.idempotency_key,
            OutboundOrderRow.order_key,
            OutboundOrderRow.warehouse_order_id,
        )
        .where(
            OutboundOrderRow.warehouse.in_(list(warehouses)),
            OutboundOrderRow.state.in_([s.value for s in _BILLED]),
            ~recorded,
        )
        .order_by(OutboundOrderRow.id)
        .limit(limit)
    )
    return [(key, order_key, number) for key, order_key, number in rows]


async def read_fees(
    session_factory: SessionFactory,
    connector: FeeReader,
    account: str,
    warehouses: Sequence[str],
    now: datetime,
    limit: int,
    summary: WarehousePollSummary,
) -> None:
    """Read the fees of the unbilled outbounds; record each final one (see the module)."""
    with session_factory() as session:
        unbilled = unbilled_outbounds(session, account, warehouses, limit=limit)
    for key, order_key, number in unbilled:
        try:
            fees = await connector.outbound_fees(key)
        except (RetryableError, FatalError, NotFoundError) as error:
            summary.failures.append((key, str(error)))
            continue
        if not fees.final:
            continue  # not charged yet: the next poll asks again
        channel_order = parse_order_key(order_key)
        record = warehouse_fee_record(
            record_id=key,
            payload=dict(fees.raw),
            charges=fees.charges,
            posted_at=fees.posted_at or now,
            order_ref=channel_order.external_id,
            order_channel=channel_order.channel,
            package_ref=fees.warehouse_order_id or number,
        )
        with session_factory() as session, session.begin():
            added = record_money(session, account, [record], now)
        summary.fees += added.records
