"""What warehouses and carriers report by callback, applied once and never lost.

A verified delivery is handled in ONE transaction: its raw body archived, the delivery
recorded on its event id (``webhook_deliveries``, ``ON CONFLICT DO NOTHING``: a redelivery is
answered "duplicate" and changes nothing) and its report applied — a shipment
(:func:`~channelhub.jobs.fulfilment.shipments.apply_shipment`), an intercept / cancellation result
(:func:`~channelhub.jobs.fulfilment.intercept.apply_intercept_result`), a stock snapshot (ledger
ADJUST
movements, :func:`apply_snapshot`) or tracking events. When applying fails with a hub error
(an over-shipment, an outbound the hub never sent, a warehouse the account does not serve)
that transaction is rolled back and a second one keeps the raw body, the delivery and a dead
letter (``subject="warehouse_callback"``) that :mod:`channelhub.jobs.engine.replay` re-parses and
applies once the cause is fixed. Any other error one delivery raises is set aside the same
way: the sender gets 200 and the delivery is kept, never a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.results import RawRecord
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.fulfilment import Shipment, TrackingEvent
from channelhub.core.stock import StockMovement
from channelhub.core.warehouse_reports import InterceptResult, StockSnapshot, snapshot_adjustments
from channelhub.jobs.engine.isolation import archive
from channelhub.jobs.fulfilment.intercept import apply_intercept_result
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.fulfilment.tracking import apply_tracking_events
from channelhub.mappings import outbound_protocol, shipbob
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import record_dead_letter, record_webhook_delivery
from channelhub.store.repos.stock import record_movement, stock_balances
from channelhub.store.repos.warehouses import warehouses_of_account, wms_names

log = logging.getLogger(__name__)

CALLBACK_SUBJECT = "warehouse_callback"
Report = Shipment | InterceptResult | StockSnapshot | TrackingEvent | list[TrackingEvent] | None


@dataclass(frozen=True)
class Delivery:
    """One verified delivery: who sent it, its id and topic, and the raw body."""

    platform: str
    account: str
    event_id: str
    topic: str
    raw: RawRecord
    #: the warehouse codes the account may report for (None: any, e.g. a carrier)
    warehouses: tuple[str, ...] | None = None


def apply_snapshot(session: Session, snapshot: StockSnapshot, *, now: datetime) -> list[str]:
    """ADJUST movements closing the gap between the ledger and the warehouse's count; each
    says what it explains (count vs ledger, snapshot id). Returns the movements' reasons."""
    balances = stock_balances(session, warehouse=snapshot.warehouse)
    ledger = {sku: balance for (_, sku), balance in balances.items()}
    made: list[StockMovement] = snapshot_adjustments(snapshot, ledger)
    for movement in made:
        record_movement(
            session,
            movement,
            now=now,
            dedupe_key=f"snapshot:{snapshot.warehouse}:{snapshot.snapshot_id}:{movement.sku}",
        )
    return [f"{m.sku} {m.quantity:+d}: {m.reason}" for m in made]


def apply_report(session: Session, report: Report, *, now: datetime) -> dict[str, Any]:
    """Apply one parsed report in the caller's transaction; says what it did."""
    if isinstance(report, Shipment):
        outcome = apply_shipment(session, report, now=now)
        status = outcome.order_status.value if outcome.order_status else None
        return {
            "applied": "shipment",
            "duplicate": outcome.duplicate,
            "order_status": status,
            "pushes": list(outcome.pushes),
        }
    if isinstance(report, InterceptResult):
        changed = apply_intercept_result(session, report, now=now)
        return {"applied": "intercept_result", "changed": changed}
    if isinstance(report, StockSnapshot):
        return {
            "applied": "stock_snapshot",
            "adjustments": apply_snapshot(session, report, now=now),
        }
    if isinstance(report, TrackingEvent | list):
        events = [report] if isinstance(report, TrackingEvent) else report
        tracked = apply_tracking_events(session, events, now=now)
        return {
            "applied": "tracking",
            "new_events": tracked.new_events,
            "delivered": list(tracked.delivered),
        }
    return {"applied": "nothing"}


def in_hub_codes(session: Session, account: str, report: Report) -> Report:
    """The report with its warehouse named by the hub's code.

    A WMS names a warehouse its own way; the seller registered it under a code of their own
    (``warehouses add US-EAST --account my-wms``). A report naming a registered warehouse's
    external id (or code) is about that warehouse; one naming the account's own label for its
    warehouse (the ``warehouse`` setting, by default the account name: what the reference
    warehouse and ShipBob report) is about the account's warehouse when it serves exactly one.
    Any other name is left as it is, and the caller refuses it.
    """
    if not isinstance(report, Shipment | InterceptResult | StockSnapshot):
        return report
    rows = warehouses_of_account(session, account)
    code = wms_names(rows).get(report.warehouse)
    if code is None and len(rows) == 1:
        settings = get_account(session, account).settings or {}
        if report.warehouse == str(settings.get("warehouse") or account):
            code = rows[0].code
    if code is None or code == report.warehouse:
        return report
    return report.model_copy(update={"warehouse": code})


def _warehouse_of(report: Report) -> str | None:
    if isinstance(report, Shipment | InterceptResult | StockSnapshot):
        return report.warehouse
    return None


def parse_report(
    platform: str, body: bytes, *, topic: str, warehouse: str, received_at: datetime
) -> Report:
    """A raw callback body back to its report (used on receipt and on replay)."""
    try:
        payload: object = json.loads(body)
    except ValueError as exc:
        raise InvalidInput.field("callback body", body[:40], f"is not JSON ({exc})") from None
    if platform == "shipbob":
        return shipbob.parse_webhook(topic, payload, warehouse=warehouse, received_at=received_at)
    if platform == "outbound_protocol":
        return outbound_protocol.parse_callback(payload).payload
    raise InvalidInput.field("platform", platform, "sends no warehouse callbacks")


def receive(
    session_factory: sessionmaker[Session],
    delivery: Delivery,
    parse: Callable[[], Report],
    *,
    now: datetime,
    replay_info: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Archive, dedupe and apply one delivery (see the module docstring); the answer body."""
    answer = {"event_id": delivery.event_id}
    try:
        with session_factory.begin() as session:
            payload_id = _archive(session, delivery)
            if not _first_time(session, delivery, payload_id, now):
                return {**answer, "status": "duplicate"}
            report = in_hub_codes(session, delivery.account, parse())
            where = _warehouse_of(report)
            if delivery.warehouses is not None and where not in (*delivery.warehouses, None):
                raise InvalidInput.field(
                    "warehouse",
                    where,
                    f"is not served by account {delivery.account!r} "
                    f"({', '.join(delivery.warehouses)})",
                )
            return {**answer, "status": "processed", **apply_report(session, report, now=now)}
    except ChannelhubError as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - per-record isolation: kept as a dead letter
        reason = f"{type(exc).__name__}: {str(exc)[:400]}"
    log.warning(
        "%s callback %s for %s not applied (dead letter): %s",
        delivery.platform, delivery.event_id, delivery.account, reason,
    )  # fmt: skip
    with session_factory.begin() as session:
        payload_id = _archive(session, delivery)
        _first_time(session, delivery, payload_id, now)
        letter = record_dead_letter(
            session,
            account=delivery.account,
            platform=delivery.platform,
            job_kind="callback",
            subject=CALLBACK_SUBJECT,
            reason=reason,
            now=now,
            external_id=delivery.event_id,
            raw_payload_id=payload_id,
            payload={"topic": delivery.topic, "event_id": delivery.event_id, **(replay_info or {})},
            dedupe_key=f"{CALLBACK_SUBJECT}:{delivery.account}:{delivery.event_id}",
        )
    return {**answer, "status": "dead_letter", "dead_letter": letter, "reason": reason}


def _archive(session: Session, delivery: Delivery) -> int:
    return archive(session, platform=delivery.platform, account=delivery.account, raw=delivery.raw)


def _first_time(session: Session, delivery: Delivery, payload_id: int, now: datetime) -> bool:
    return record_webhook_delivery(
        session,
        account=delivery.account,
        event_id=delivery.event_id,
        topic=delivery.topic,
        received_at=now,
        raw_payload_id=payload_id,
    )
