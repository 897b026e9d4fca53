"""Applying the safe repairs a reconciliation run found, one transaction each.

Every repair is idempotent: a backfill is an upsert guarded by ``updated_at``; pushes go
through the outbox under an idempotency key (a second run finds the message already queued);
ledger movements carry a dedupe key naming the run. A repair that fails is recorded on its
discrepancy with the reason and never stops the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.roles import SalesChannel
from channelhub.core.discrepancy import RepairKind
from channelhub.core.errors import ChannelhubError, NotFound
from channelhub.core.fulfilment import Package
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.core.reconcile import ListingQuantity
from channelhub.core.stock import MovementKind, StockMovement
from channelhub.jobs.fulfilment.outbound import FULFILMENT, channel_target
from channelhub.jobs.fulfilment.shipments import fulfilment_key
from channelhub.jobs.orders.backfill import store_fetched_order
from channelhub.jobs.orders.pipeline import stop_order
from channelhub.jobs.reconciliation.quantities import PushedQuantities, StockSyncQuantities
from channelhub.store.repos.outbox import enqueue, replay
from channelhub.store.repos.reconcile import StoredDiscrepancy, mark_repair
from channelhub.store.repos.stock import record_movement
from channelhub.store.tables.fulfilment import OutboundOrderRow, PackageRow, ShipmentRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState

#: The fulfilment push kind the shipment job queues and the tracking sender sends.
FULFILMENT_KIND = FULFILMENT
ACTOR = "reconcile"


class RepairContext:
    """What every repair needs: the run, the account's channel (if any) and the time."""

    def __init__(
        self,
        *,
        run_id: int,
        channel: str,
        account: str,
        now: datetime,
        connector: SalesChannel | None = None,
        quantities: PushedQuantities | None = None,
    ) -> None:
        self.run_id = run_id
        self.channel = channel
        self.account = account
        self.now = now
        self.connector = connector
        self.quantities: PushedQuantities = quantities or StockSyncQuantities()

    def order_key(self, external_id: str) -> OrderKey:
        return OrderKey(channel=self.channel, account=self.account, external_id=external_id)


async def apply_safe_repairs(
    sessions: sessionmaker[Session], pending: Sequence[StoredDiscrepancy], ctx: RepairContext
) -> tuple[int, int]:
    """Apply each pending (safe) repair; returns (applied, failed). Outcomes are stored."""
    applied = failed = 0
    for item in pending:
        try:
            note = await _apply(sessions, item, ctx)
        except (ChannelhubError, ConnectorError) as exc:
            failed += 1
            with sessions.begin() as session:
                mark_repair(session, item.id, status="failed", note=str(exc), now=ctx.now)
            continue
        applied += 1
        with sessions.begin() as session:
            mark_repair(session, item.id, status="applied", note=note, now=ctx.now)
    return applied, failed


async def _apply(
    sessions: sessionmaker[Session], item: StoredDiscrepancy, ctx: RepairContext
) -> str:
    kind = RepairKind(item.repair_kind)
    params = item.repair_parameters
    if kind is RepairKind.BACKFILL_ORDER:
        return await _backfill(sessions, str(params["external_id"]), ctx)
    with sessions.begin() as session:
        if kind is RepairKind.CANCEL_ORDER:
            return _cancel(session, str(params["external_id"]), ctx)
        if kind is RepairKind.PUSH_FULFILMENT:
            return _push_fulfilment(
                session, str(params["external_id"]), list(params["tracking_numbers"]), ctx
            )
        if kind is RepairKind.PUSH_QUANTITY:
            return _push_quantity(session, params, ctx)
        if kind is RepairKind.ADJUST_STOCK:
            return _adjust(session, params, ctx)
    raise NotFound(f"no way to apply a {kind.value} repair automatically")


async def _backfill(sessions: sessionmaker[Session], external_id: str, ctx: RepairContext) -> str:
    if ctx.connector is None:
        raise NotFound(f"order {external_id}: no sales channel connector to backfill it from")
    fetched = await ctx.connector.get_order(external_id)
    with sessions.begin() as session:
        # The same intake as imports and webhooks: raw body archived, guarded upsert, a
        # modified allocated order released; the next pull_orders run plans it.
        result = store_fetched_order(
            session, fetched, platform=ctx.channel, account=ctx.account, now=ctx.now
        )
    return f"backfilled order {external_id} ({result.outcome.value}, row {result.id})"


def _cancel(session: Session, external_id: str, ctx: RepairContext) -> str:
    """Through the order pipeline's own stop: release the reservation, cancel any queued
    outbound order, record the decision and the transition (refused once dispatched)."""
    released = stop_order(
        session,
        ctx.order_key(external_id),
        target=HubStatus.CANCELLED,
        reason=f"cancelled on the channel (reconciliation run {ctx.run_id})",
        now=ctx.now,
        actor=ACTOR,
    )
    units = sum(movement.quantity for movement in released)
    return f"cancelled order {external_id}, released {units} reserved units"


def _push_fulfilment(
    session: Session, external_id: str, tracking_numbers: list[str], ctx: RepairContext
) -> str:
    """Queue each missing package's fulfilment push as the shipment job does: a message that
    died or failed is replayed; one still queued is left alone; one marked sent although the
    channel lacks it is queued again under a key naming this run."""
    order_key = str(ctx.order_key(external_id))
    rows = session.execute(
        select(PackageRow, ShipmentRow)
        .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
        .join(OutboundOrderRow, OutboundOrderRow.idempotency_key == ShipmentRow.outbound_key)
        .where(
            OutboundOrderRow.order_key == order_key,
            PackageRow.tracking_number.in_(tracking_numbers),
        )
        .order_by(PackageRow.tracking_number)
    ).all()
    if not rows:
        raise NotFound(f"order {external_id}: no confirmed package with {tracking_numbers}")
    done = []
    for package, shipment in rows:
        key = fulfilment_key(order_key, package.tracking_number)
        existing = session.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == key)
        ).one_or_none()
        if existing is not None and existing.state in (OutboxState.DEAD, OutboxState.FAILED):
            replay(session, existing.id, now=ctx.now)
            done.append(f"{package.tracking_number} replayed (message {existing.id})")
            continue
        if existing is not None and existing.state != OutboxState.SENT:
            done.append(f"{package.tracking_number} already queued (message {existing.id})")
            continue
        if existing is not None:
            key = f"{key}#reconcile{ctx.run_id}"
        queued = enqueue(
            session,
            idempotency_key=key[:200],
            target=channel_target(ctx.order_key(external_id)),
            kind=FULFILMENT_KIND,
            payload={
                "order_key": order_key,
                "order_external_id": external_id,
                "outbound_key": shipment.outbound_key,
                "shipment_id": shipment.shipment_id,
                "shipped_at": shipment.shipped_at.isoformat(),
                "package": _package_json(package),
            },
            now=ctx.now,
        )
        verb = "queued" if queued.is_new else "already queued"
        done.append(f"{package.tracking_number} {verb} (message {queued.id})")
    return f"fulfilment of order {external_id}: " + "; ".join(done)


def _package_json(row: PackageRow) -> dict[str, Any]:
    """The package as the canonical model dumps it (what the tracking sender reads back)."""
    package = Package.model_validate(
        {
            "package_id": row.package_id,
            "tracking_number": row.tracking_number,
            "carrier": row.carrier,
            "service": row.service,
            "lines": list(row.lines or []),
            "weight_grams": row.weight_grams,
            "tracking_url": row.tracking_url,
        },
        strict=False,
    )
    return package.model_dump(mode="json")


def _push_quantity(session: Session, params: dict[str, Any], ctx: RepairContext) -> str:
    listing = ListingQuantity(
        str(params["listing_id"]), int(params["quantity"]), str(params.get("variation_id") or "")
    )
    return ctx.quantities.repush(
        session, listing, channel=ctx.channel, account=ctx.account, run_id=ctx.run_id, now=ctx.now
    )


def _adjust(session: Session, params: dict[str, Any], ctx: RepairContext) -> str:
    warehouse, sku, quantity = str(params["warehouse"]), str(params["sku"]), int(params["quantity"])
    recorded = record_movement(
        session,
        StockMovement(
            warehouse=warehouse,
            sku=sku,
            kind=MovementKind.ADJUST,
            quantity=quantity,
            reason=f"reconciliation run {ctx.run_id}: match the warehouse's count",
            reference=f"reconcile-run:{ctx.run_id}",
            at=ctx.now,
        ),
        now=ctx.now,
        dedupe_key=f"reconcile:{ctx.run_id}:adjust:{warehouse}:{sku}",
    )
    state = "recorded" if recorded else "already recorded"
    return f"adjustment {quantity:+d} of {sku} in {warehouse} {state}"
