"""Tracking: carrier events in, orders delivered, and the buyer-facing timeline.

Events come from carrier webhooks or from :func:`poll_shipments`; both go through
:func:`apply_tracking_events`, which stores each scan once (the store dedupes on carrier,
number, time and raw code) and moves an order to delivered when every one of its packages
has a delivered event. A delivered event that arrives before the shipment confirmation is
kept and acted on when the shipment lands (:func:`deliver_if_all_delivered`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.errors import FatalError, RetryableError
from channelhub.connectors.roles import Carrier
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent, TrackingStatus
from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.engine.isolation import SetAside
from channelhub.jobs.fulfilment.outbound import SessionFactory, move_order, order_row
from channelhub.mappings import easypost, ups
from channelhub.mappings.tracking import clean_timeline
from channelhub.store.repos.fulfilment import record_tracking_events, tracking_timeline
from channelhub.store.tables.fulfilment import (
    OutboundOrderRow,
    PackageRow,
    ShipmentRow,
    TrackingEventRow,
)

#: After these a carrier reports nothing new: stop polling the number.
FINAL_TRACKING = frozenset(
    {TrackingStatus.DELIVERED, TrackingStatus.RETURNED, TrackingStatus.EXPIRED}
)


@dataclass(frozen=True)
class TrackingOutcome:
    """How many events were new and which orders became delivered."""

    new_events: int
    delivered: tuple[str, ...] = ()


def _order_packages(session: Session, order_key: str) -> list[str]:
    return list(
        session.scalars(
            select(PackageRow.tracking_number)
            .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
            .join(OutboundOrderRow, ShipmentRow.outbound_key == OutboundOrderRow.idempotency_key)
            .where(OutboundOrderRow.order_key == order_key)
            .distinct()
        )
    )


def _orders_of(session: Session, tracking_numbers: Iterable[str]) -> list[str]:
    return list(
        session.scalars(
            select(OutboundOrderRow.order_key)
            .join(ShipmentRow, ShipmentRow.outbound_key == OutboundOrderRow.idempotency_key)
            .join(PackageRow, PackageRow.shipment_id == ShipmentRow.id)
            .where(PackageRow.tracking_number.in_(list(tracking_numbers)))
            .distinct()
        )
    )


def deliver_if_all_delivered(session: Session, order_key: str, *, now: datetime) -> bool:
    """Move a shipped order to delivered when each of its packages has a delivered event."""
    row = order_row(session, order_key)
    if row is None or row.hub_status != HubStatus.SHIPPED.value:
        return False
    numbers = _order_packages(session, order_key)
    delivered = set(
        session.scalars(
            select(TrackingEventRow.tracking_number).where(
                TrackingEventRow.tracking_number.in_(numbers),
                TrackingEventRow.status == TrackingStatus.DELIVERED.value,
            )
        )
    )
    if not numbers or delivered != set(numbers):
        return False
    reason = f"delivered: {', '.join(sorted(numbers))}"
    return move_order(session, row, [HubStatus.DELIVERED], reason=reason, now=now, actor="carrier")


def apply_tracking_events(
    session: Session, events: Iterable[TrackingEvent], *, now: datetime
) -> TrackingOutcome:
    """Store events (each scan once) and deliver the orders they complete, in one transaction."""
    batch = list(events)
    new = record_tracking_events(session, batch, now=now)
    numbers = {e.tracking_number for e in batch if e.status is TrackingStatus.DELIVERED}
    delivered = tuple(
        order_key
        for order_key in (_orders_of(session, numbers) if numbers else [])
        if deliver_if_all_delivered(session, order_key, now=now)
    )
    return TrackingOutcome(new, delivered)


def order_timeline(
    session: Session, order_key: str, *, cleaned: bool = True
) -> dict[str, list[TrackingEvent]]:
    """Each package's events, oldest first, keyed by tracking number (for ``orders show``).

    ``cleaned`` gives the buyer-facing timeline (repeats and carrier-internal scans dropped,
    :func:`channelhub.mappings.tracking.clean_timeline`); otherwise every stored scan.
    """
    timelines = {}
    for number in _order_packages(session, order_key):
        events = tracking_timeline(session, number)
        timelines[number] = clean_timeline(events) if cleaned else events
    return timelines


@dataclass
class PollSummary:
    """One polling run: numbers asked, events stored, orders delivered, failures with reason."""

    polled: int = 0
    new_events: int = 0
    delivered: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # tracking number, reason


def open_tracking_numbers(session: Session, *, limit: int) -> list[tuple[str, str]]:
    """(tracking number, carrier) of packages without a final event, oldest shipment first."""
    final = select(TrackingEventRow.tracking_number).where(
        TrackingEventRow.status.in_([s.value for s in FINAL_TRACKING])
    )
    rows = session.execute(
        select(PackageRow.tracking_number, PackageRow.carrier)
        .join(ShipmentRow, PackageRow.shipment_id == ShipmentRow.id)
        .where(PackageRow.tracking_number.not_in(final))
        .group_by(PackageRow.tracking_number, PackageRow.carrier)
        .order_by(PackageRow.tracking_number)
        .limit(limit)
    )
    return [(number, carrier) for number, carrier in rows]


def _carrier_for(carriers: Mapping[str, Carrier], name: str) -> Carrier | None:
    return carriers.get(name) or carriers.get(name.lower())


async def poll_shipments(
    session_factory: SessionFactory,
    *,
    carriers: Mapping[str, Carrier],
    now: datetime,
    limit: int = 100,
    aside: SetAside | None = None,
) -> PollSummary:
    """Ask the carriers (keyed by carrier name) about every open tracking number.

    A scan the carrier's mapping could not read (``Tracked.failures``) does not stop the
    number's other scans: it is filed with ``aside`` as a dead letter (replayed by
    :func:`replay_tracking`) and counted among the failures."""
    summary = PollSummary()
    with session_factory() as session:
        numbers = open_tracking_numbers(session, limit=limit)
    for number, carrier_name in numbers:
        connector = _carrier_for(carriers, carrier_name)
        if connector is None:
            summary.failures.append((number, f"no carrier connector for {carrier_name!r}"))
            continue
        summary.polled += 1
        try:
            events = await connector.track(number)
        except (RetryableError, FatalError) as error:
            summary.failures.append((number, str(error)))
            continue
        set_aside = getattr(events, "failures", ())  # scans the mapping could not read
        with session_factory() as session, session.begin():
            outcome = apply_tracking_events(session, events, now=now)
            if set_aside and aside is not None:
                aside.failures(session, set_aside)
        summary.new_events += outcome.new_events
        summary.delivered.extend(outcome.delivered)
        summary.failures.extend((number, failure.reason) for failure in set_aside)
    return summary


#: The dead-letter subject of a carrier scan set aside (its body: one scan, as the carrier
#: sent it, which the carrier's mapping reads again on replay).
TRACKING_SUBJECT = "tracking"


def replay_tracking(session: Session, platform: str, body: bytes, *, now: datetime) -> int:
    """Map a set-aside scan again with its carrier's mapping and store it; returns how many
    new events were stored."""
    mappings = {"ups": ups.normalize_tracking, "easypost": easypost.normalize_tracking}
    if platform not in mappings:
        raise InvalidInput.field("platform", platform, "has no tracking mapping to replay with")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise InvalidInput.field("tracking body", body[:40], f"is not JSON ({exc})") from None
    return apply_tracking_events(session, mappings[platform](payload), now=now).new_events
