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

A stock snapshot is read level by level (:func:`read_snapshot`, the stock pull's
:func:`~channelhub.connectors.stock_rows.stock_page`): a level its mapping cannot read is
archived as sent and filed, in the delivery's transaction, as a dead letter of its own
(``subject="stock_snapshot"``, named ``HUB-WAREHOUSE:SKU``, the snapshot's id and time as
its context); the other levels are applied, and a complete snapshot with a level set aside is
applied as partial, so the SKUs it did not list are left as they were rather than set to 0.
As a pull's, the letters are superseded by the next read: a complete snapshot of the warehouse
resolves all of its open ones, a partial one those of the SKUs it lists (a level still
unreadable is filed again). Replaying a letter reads its archived level again and applies it
as a one-level partial snapshot of the same id and time (:func:`parse_snapshot_level`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.records import shorten
from channelhub.connectors.results import RawRecord, RecordFailure
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.fulfilment import Shipment, TrackingEvent
from channelhub.core.stock import StockMovement
from channelhub.core.warehouse_reports import (
    InterceptResult,
    StockLevel,
    StockSnapshot,
    snapshot_adjustments,
)
from channelhub.jobs.engine.isolation import MAX_EXTERNAL_ID, archive, replay_payload
from channelhub.jobs.fulfilment.intercept import apply_intercept_result
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.fulfilment.tracking import apply_tracking_events
from channelhub.mappings import outbound_protocol, shipbob
from channelhub.mappings.warehouse_stock import SnapshotRows, StockRows
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import record_dead_letter, record_webhook_delivery, resolve_subject
from channelhub.store.repos.stock import record_movement, stock_balances
from channelhub.store.repos.warehouses import warehouses_of_account, wms_names

log = logging.getLogger(__name__)

CALLBACK_SUBJECT = "warehouse_callback"
#: the subject of a pushed snapshot's level the hub could not read (its raw record's kind)
SNAPSHOT_SUBJECT = "stock_snapshot"
#: how each platform's pushed snapshot levels are read (a replayed letter is read again so)
SNAPSHOT_LEVELS: dict[str, StockRows] = {"outbound_protocol": outbound_protocol.SNAPSHOT}
Report = Shipment | InterceptResult | SnapshotRows | TrackingEvent | list[TrackingEvent] | None
Located = Shipment | InterceptResult | SnapshotRows


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


@dataclass(frozen=True)
class Sender:
    """Who sent the report being applied, to file what of it cannot be read (a snapshot's
    level) under that account and callback."""

    platform: str
    account: str
    event_id: str


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


def read_snapshot(
    rows: SnapshotRows, *, now: datetime
) -> tuple[StockSnapshot, list[RecordFailure]]:
    """A pushed snapshot's levels read one by one: the snapshot of those that read (partial
    when one was set aside: it says nothing of the SKUs it did not list) and the failures,
    each with its level as sent, named ``WAREHOUSE:SKU``."""
    page = stock_page(
        rows.spec, rows.rows, warehouse=rows.warehouse, now=now, done=True, as_of=rows.taken_at
    )
    snapshot = StockSnapshot(
        warehouse=rows.warehouse,
        snapshot_id=rows.snapshot_id,
        taken_at=rows.taken_at,
        complete=rows.complete and not page.failures,
        levels=tuple(
            StockLevel(sku=level.sku, on_hand=level.on_hand, available=level.available)
            for level in page.items
        ),
    )
    return snapshot, list(page.failures)


def apply_snapshot_rows(
    session: Session, rows: SnapshotRows, *, now: datetime, sender: Sender | None
) -> dict[str, Any]:
    """Read a pushed snapshot level by level and apply the levels that read; with a
    ``sender``, the letters this read supersedes are resolved and each level set aside is
    filed (see the module docstring). Without one (a letter's level replayed) a level that
    still cannot be read raises, so the letter stays open."""
    snapshot, failures = read_snapshot(rows, now=now)
    if failures and sender is None:
        raise InvalidInput([failure.reason for failure in failures])
    names = [failure.raw.external_id or "?" for failure in failures]
    if sender is not None:
        listed = {f"{rows.warehouse}:{level.sku}" for level in snapshot.levels} | set(names)
        resolve_subject(
            session, account=sender.account, subject=SNAPSHOT_SUBJECT, now=now,
            external_ids=None if rows.complete else listed, warehouse=rows.warehouse,
        )  # fmt: skip
        told = {
            "warehouse": rows.warehouse,
            "snapshot_id": rows.snapshot_id,
            "taken_at": rows.taken_at.isoformat(),
            "event_id": sender.event_id,
        }
        for index, failure in enumerate(failures):
            _file_level(session, sender, failure, index, told, now=now)
    answer: dict[str, Any] = {
        "applied": "stock_snapshot",
        "adjustments": apply_snapshot(session, snapshot, now=now),
    }
    if names:
        answer["set_aside"] = names
    return answer


def _file_level(
    session: Session,
    sender: Sender,
    failure: RecordFailure,
    index: int,
    told: Mapping[str, Any],
    *,
    now: datetime,
) -> int:
    """Archive one level set aside as sent and file it; one letter per level of a delivery
    (two warehouses' identical levels share an archived body, never a letter)."""
    raw = replace(failure.raw, kind=SNAPSHOT_SUBJECT)
    payload_id = archive(session, platform=sender.platform, account=sender.account, raw=raw)
    name = (raw.external_id or "?")[:MAX_EXTERNAL_ID]
    return record_dead_letter(
        session,
        account=sender.account,
        platform=sender.platform,
        job_kind="callback",
        subject=SNAPSHOT_SUBJECT,
        reason=shorten(failure.reason),
        now=now,
        external_id=name,
        raw_payload_id=payload_id,
        payload=replay_payload(told),
        dedupe_key=f"{SNAPSHOT_SUBJECT}:{sender.account}:{sender.event_id}:{index}"[:255],
    )


def apply_report(
    session: Session, report: Report, *, now: datetime, sender: Sender | None = None
) -> dict[str, Any]:
    """Apply one parsed report in the caller's transaction; says what it did. ``sender``:
    where a pushed snapshot's unreadable levels are filed (none: such a level raises)."""
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
    if isinstance(report, SnapshotRows):
        return apply_snapshot_rows(session, report, now=now, sender=sender)
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
    if not isinstance(report, Located):
        return report
    rows = warehouses_of_account(session, account)
    code = wms_names(rows).get(report.warehouse)
    if code is None and len(rows) == 1:
        settings = get_account(session, account).settings or {}
        if report.warehouse == str(settings.get("warehouse") or account):
            code = rows[0].code
    if code is None or code == report.warehouse:
        return report
    if isinstance(report, SnapshotRows):
        return replace(report, warehouse=code)
    return report.model_copy(update={"warehouse": code})


def _warehouse_of(report: Report) -> str | None:
    if isinstance(report, Located):
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


def parse_snapshot_level(platform: str, body: bytes, told: Mapping[str, Any]) -> SnapshotRows:
    """A snapshot level set aside (its archived body, what its letter says of the snapshot)
    as a one-level partial snapshot of the same warehouse, id and time (used on replay)."""
    spec = SNAPSHOT_LEVELS.get(platform)
    if spec is None:
        raise InvalidInput.field("platform", platform, "pushes no stock snapshots")
    try:
        level: object = json.loads(body)
        taken_at = datetime.fromisoformat(str(told["taken_at"]))
        warehouse, snapshot_id = str(told["warehouse"]), str(told["snapshot_id"])
    except (ValueError, KeyError) as exc:
        raise InvalidInput.field("level letter", body[:40], f"is unusable ({exc})") from None
    return SnapshotRows(warehouse, snapshot_id, taken_at, False, (level,), spec)


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
            sender = Sender(delivery.platform, delivery.account, delivery.event_id)
            applied = apply_report(session, report, now=now, sender=sender)
            return {**answer, "status": "processed", **applied}
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
