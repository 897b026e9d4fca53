"""Reconciliation: the hub's side streamed in key order, and runs with their discrepancies.

The hub-side readers stream rows (``yield_per``) sorted bytewise — ``COLLATE "C"`` on
PostgreSQL, whose default collation would otherwise order ``a-1`` and ``a1`` differently from
Python — so :mod:`channelhub.core.reconcile` can merge-join them with the channel's and the
warehouse's sides without loading either.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from channelhub.core.discrepancy import Discrepancy, RepairKind
from channelhub.core.errors import NotFound
from channelhub.core.fulfilment import OutboundState
from channelhub.core.lifecycle import HubStatus
from channelhub.core.reconcile import HubOrderView, StockCount
from channelhub.core.stock import MovementKind
from channelhub.store.tables.fulfilment import (
    OutboundLineRow,
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
)
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.reconcile import DiscrepancyRow, ReconcileRunRow
from channelhub.store.tables.stock import StockMovementRow

STREAM_BATCH = 5_000
K = MovementKind

#: Outbound orders the warehouse holds but has not confirmed as shipped: their units may
#: already have left the shelf without the ledger knowing (an upper bound for partial ones).
IN_FLIGHT_STATES = tuple(
    s.value
    for s in (
        OutboundState.ACCEPTED,
        OutboundState.PICKING,
        OutboundState.PACKED,
        OutboundState.PARTIALLY_SHIPPED,
    )
)


def _bytewise(session: Session, column: Any) -> Any:
    """``column`` ordered by bytes on every dialect (SQLite already compares bytes)."""
    return column.collate("C") if session.get_bind().dialect.name == "postgresql" else column


def _stream(session: Session, statement: Any) -> Iterator[Any]:
    yield from session.execute(statement.execution_options(yield_per=STREAM_BATCH))


# --- the hub's side, streamed in key order ---------------------------------------------------


def iter_hub_orders(session: Session, *, channel: str, account: str) -> Iterator[HubOrderView]:
    """Every order of one account with the tracking numbers of its confirmed shipments,
    sorted by external id."""
    orders = _stream(
        session,
        select(OrderRow.external_id, OrderRow.hub_status)
        .where(OrderRow.channel == channel, OrderRow.account == account)
        .order_by(_bytewise(session, OrderRow.external_id)),
    )
    prefix = f"{channel}:{account}:"
    packages = _stream(
        session,
        select(OutboundOrderRow.order_key, PackageRow.tracking_number)
        .join(ShipmentRow, ShipmentRow.outbound_key == OutboundOrderRow.idempotency_key)
        .join(PackageRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(OutboundOrderRow.order_key.startswith(prefix, autoescape=True))
        .order_by(_bytewise(session, OutboundOrderRow.order_key)),
    )
    # order_key = prefix + external_id, so both streams share one order: merge them.
    shipped = (
        (key[len(prefix) :], frozenset(row.tracking_number for row in rows))
        for key, rows in groupby(packages, key=lambda row: row.order_key)
    )
    pending = next(shipped, None)
    for external_id, status in orders:
        while pending is not None and pending[0] < external_id:
            pending = next(shipped, None)  # shipments of an order not (or no longer) stored
        tracking: frozenset[str] = frozenset()
        if pending is not None and pending[0] == external_id:
            tracking = pending[1]
            pending = next(shipped, None)
        yield HubOrderView(external_id, HubStatus(status), tracking)


def _on_hand() -> ColumnElement[Any]:
    plus = [k.value for k in (K.RECEIVE, K.ADJUST, K.ASSEMBLE, K.DISASSEMBLE)]
    q, kind = StockMovementRow.quantity, StockMovementRow.kind
    return func.sum(case((kind.in_(plus), q), (kind == K.CONSUME.value, -q), else_=0))


def iter_ledger_on_hand(
    session: Session, *, warehouses: Sequence[str] | None = None
) -> Iterator[StockCount]:
    """On hand per (warehouse, sku) summed from the ledger, sorted by (warehouse, sku)."""
    wh, sku = StockMovementRow.warehouse, StockMovementRow.sku
    statement = (
        select(wh, sku, _on_hand())
        .group_by(wh, sku)
        .order_by(_bytewise(session, wh), _bytewise(session, sku))
    )
    if warehouses is not None:
        statement = statement.where(wh.in_(list(warehouses)))
    for warehouse, code, on_hand in _stream(session, statement):
        yield StockCount(warehouse, code, int(on_hand or 0))


def iter_in_flight(
    session: Session, *, warehouses: Sequence[str] | None = None
) -> Iterator[StockCount]:
    """Units of outbound orders a warehouse holds unconfirmed, per (warehouse, sku), sorted."""
    wh, sku = OutboundOrderRow.warehouse, OutboundLineRow.sku
    statement = (
        select(wh, sku, func.sum(OutboundLineRow.quantity))
        .join(OutboundLineRow, OutboundLineRow.outbound_id == OutboundOrderRow.id)
        .where(OutboundOrderRow.state.in_(IN_FLIGHT_STATES))
        .group_by(wh, sku)
        .order_by(_bytewise(session, wh), _bytewise(session, sku))
    )
    if warehouses is not None:
        statement = statement.where(wh.in_(list(warehouses)))
    for warehouse, code, quantity in _stream(session, statement):
        yield StockCount(warehouse, code, int(quantity))


# --- runs and their discrepancies ----------------------------------------------------------


@dataclass(frozen=True)
class StoredDiscrepancy:
    """A discrepancy as stored, with what happened to its repair."""

    id: int
    run_id: int
    discrepancy_class: str
    subject: dict[str, Any]
    subject_text: str  # the subject's keys in their order ("DE-1/MUG"): JSONB drops key order
    hub_value: Any
    other_value: Any
    explanation: str
    repair_kind: str
    repair_safe: bool
    repair_parameters: dict[str, Any]
    repair_status: str
    repair_note: str | None

    @classmethod
    def of(cls, row: DiscrepancyRow) -> StoredDiscrepancy:
        return cls(
            id=row.id,
            run_id=row.run_id,
            discrepancy_class=row.discrepancy_class,
            subject=dict(row.subject),
            subject_text=row.subject_text,
            hub_value=row.hub_value,
            other_value=row.other_value,
            explanation=row.explanation,
            repair_kind=row.repair_kind,
            repair_safe=row.repair_safe,
            repair_parameters=dict(row.repair_parameters or {}),
            repair_status=row.repair_status,
            repair_note=row.repair_note,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "class": self.discrepancy_class,
            "subject": self.subject,
            "hub_value": self.hub_value,
            "other_value": self.other_value,
            "explanation": self.explanation,
            "repair": {
                "kind": self.repair_kind,
                "safe": self.repair_safe,
                "parameters": self.repair_parameters,
                "status": self.repair_status,
                "note": self.repair_note,
            },
        }


def start_run(
    session: Session,
    *,
    account: str,
    platform: str,
    scope: str,
    since: datetime | None,
    repair: bool,
    now: datetime,
) -> int:
    """Record a run as ``running``; returns its id."""
    row = ReconcileRunRow(
        account=account,
        platform=platform,
        scope=scope,
        since=since,
        repair=repair,
        status="running",
        counts={},
        started_at=now,
    )
    session.add(row)
    session.flush()
    return row.id


def _initial_status(found: Discrepancy) -> str:
    if found.repair.kind is RepairKind.NONE:
        return "none"
    return "pending" if found.repair.safe else "proposed"


def add_discrepancies(
    session: Session, run_id: int, found: Iterable[Discrepancy], *, batch: int = 1_000
) -> Counter[str]:
    """Store discrepancies as they stream in (flushed in batches); returns counts by class."""
    counts: Counter[str] = Counter()
    rows: list[DiscrepancyRow] = []
    for item in found:
        data = item.to_json()
        repair = item.repair.to_json()
        rows.append(
            DiscrepancyRow(
                run_id=run_id,
                discrepancy_class=item.discrepancy_class.value,
                subject=dict(item.subject),
                subject_text=item.subject_text[:400],
                hub_value=data["hub_value"],
                other_value=data["other_value"],
                explanation=item.explanation,
                repair_kind=item.repair.kind.value,
                repair_safe=item.repair.safe,
                repair_parameters=repair["parameters"],
                repair_status=_initial_status(item),
            )
        )
        counts[item.discrepancy_class.value] += 1
        if len(rows) >= batch:
            session.add_all(rows)
            session.flush()
            rows = []
    session.add_all(rows)
    session.flush()
    return counts


def finish_run(
    session: Session,
    run_id: int,
    *,
    counts: dict[str, Any],
    now: datetime,
    error: str | None = None,
) -> None:
    """Close a run: ``finished``, or ``failed`` with ``error`` (already redacted)."""
    row = session.get(ReconcileRunRow, run_id)
    if row is None:
        raise NotFound(f"reconciliation run {run_id} does not exist")
    row.status = "failed" if error else "finished"
    row.error = error[:2000] if error else None
    row.counts = counts
    row.finished_at = now
    session.flush()


def get_run(session: Session, run_id: int) -> ReconcileRunRow:
    """One run or :class:`NotFound`."""
    row = session.get(ReconcileRunRow, run_id)
    if row is None:
        raise NotFound(f"reconciliation run {run_id} does not exist")
    return row


def list_discrepancies(
    session: Session,
    run_id: int,
    *,
    repair_status: str | None = None,
    discrepancy_class: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[StoredDiscrepancy]:
    """A run's discrepancies in the order found, optionally only those in ``repair_status``
    or of one class (``limit``/``offset``: one page of them)."""
    query = select(DiscrepancyRow).where(DiscrepancyRow.run_id == run_id)
    if repair_status is not None:
        query = query.where(DiscrepancyRow.repair_status == repair_status)
    if discrepancy_class is not None:
        query = query.where(DiscrepancyRow.discrepancy_class == discrepancy_class)
    query = query.order_by(DiscrepancyRow.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return [StoredDiscrepancy.of(row) for row in session.scalars(query)]


def mark_repair(
    session: Session, discrepancy_id: int, *, status: str, note: str | None, now: datetime
) -> None:
    """Record what applying a repair did: ``applied`` or ``failed``, with a sentence."""
    row = session.get(DiscrepancyRow, discrepancy_id)
    if row is None:
        raise NotFound(f"discrepancy {discrepancy_id} does not exist")
    row.repair_status = status
    row.repair_note = note[:2000] if note else None
    row.repaired_at = now
    session.flush()


def latest_runs(
    session: Session, *, account: str | None = None, limit: int = 20, offset: int = 0
) -> list[Any]:
    """The newest runs first (for ``channelhub reconcile`` history and the console)."""
    query = select(ReconcileRunRow).order_by(ReconcileRunRow.id.desc()).limit(limit).offset(offset)
    if account is not None:
        query = query.where(ReconcileRunRow.account == account)
    return list(session.scalars(query))
