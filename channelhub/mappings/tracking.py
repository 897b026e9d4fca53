"""The canonical tracking vocabulary: each carrier's codes -> TrackingStatus, and the timeline.

Why a table per carrier: carriers speak in their own codes (UPS status *types* like ``I``/``D``,
EasyPost words like ``pre_transit``). The hub decides on one vocabulary, but the carrier's raw
code is always kept beside it, and a code nobody mapped yet becomes ``unknown`` (kept raw)
instead of being dropped: a new code must never lose a scan.

``clean_timeline`` turns the scans into what a buyer should read: sorted, without repeated
scans of the same step and without the carrier-internal bookkeeping lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from channelhub.core.fulfilment import TrackingEvent, TrackingStatus

S = TrackingStatus

#: UPS Track API ``status.type`` (the activity status type; Tracking.yaml example ``X``).
#: The letters are UPS's documented status types (appendix of the Track API).
UPS_STATUS_TYPES: Mapping[str, TrackingStatus] = {
    "M": S.INFO_RECEIVED,  # manifest / billing information received (label created)
    "MV": S.EXPIRED,  # billing information voided: the label will never move
    "P": S.IN_TRANSIT,  # pickup scan
    "I": S.IN_TRANSIT,  # in transit
    "W": S.IN_TRANSIT,  # in a warehouse (freight)
    "DO": S.IN_TRANSIT,  # delivered to origin container freight station
    "DD": S.IN_TRANSIT,  # delivered to destination container freight station
    "O": S.OUT_FOR_DELIVERY,  # out for delivery
    "D": S.DELIVERED,
    "X": S.EXCEPTION,
    "RS": S.RETURNED,  # returned to shipper
    "NA": S.UNKNOWN,  # not available
}

#: UPS ``status.statusCode`` values that say more than their type does. Only the ones whose
#: meaning differs from their type's are listed; every other code falls back to its type.
UPS_STATUS_CODES: Mapping[str, TrackingStatus] = {
    "003": S.INFO_RECEIVED,  # label created, not yet handed to UPS
    "017": S.AVAILABLE_FOR_PICKUP,  # held for customer pickup
    "021": S.OUT_FOR_DELIVERY,  # out for delivery
    "072": S.OUT_FOR_DELIVERY,  # loaded on delivery vehicle
    "022": S.DELIVERY_FAILED,  # first delivery attempt made
    "023": S.DELIVERY_FAILED,  # second delivery attempt made
    "024": S.DELIVERY_FAILED,  # final delivery attempt made
    "034": S.RETURNED,  # returned to sender
}

#: EasyPost tracker / tracking detail ``status`` values.
EASYPOST_STATUSES: Mapping[str, TrackingStatus] = {
    "pre_transit": S.INFO_RECEIVED,
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.OUT_FOR_DELIVERY,
    "available_for_pickup": S.AVAILABLE_FOR_PICKUP,
    "delivered": S.DELIVERED,
    "failure": S.DELIVERY_FAILED,
    "return_to_sender": S.RETURNED,
    "cancelled": S.EXPIRED,  # the tracker was cancelled: no more scans will come
    "error": S.EXCEPTION,
    "unknown": S.UNKNOWN,
}

#: ShipBob tracking ``status`` (Tracking.ShipmentTrackingResponse / TrackingHistoryItem enum).
SHIPBOB_STATUSES: Mapping[str, TrackingStatus] = {
    "PreTransit": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "Available for Pickup": S.AVAILABLE_FOR_PICKUP,
    "Delivery attempt Failed": S.DELIVERY_FAILED,
    "Delivered": S.DELIVERED,
    "DeliveryException": S.EXCEPTION,
    "Exception": S.EXCEPTION,
    "Failed": S.EXCEPTION,
    "Return to sender": S.RETURNED,
    "Cancelled": S.EXPIRED,
}
#: ShipBob ``substatus`` values that say more than their status does.
SHIPBOB_SUBSTATUSES: Mapping[str, TrackingStatus] = {"OutForDelivery": S.OUT_FOR_DELIVERY}

#: Raw codes that are the carrier's own bookkeeping, never shown to a buyer.
INTERNAL_RAW_CODES: frozenset[str] = frozenset({"NA", "MV"})


def ups_status(status_type: str | None, status_code: str | None = None) -> TrackingStatus:
    """The canonical status of one UPS activity; unknown type and code -> ``unknown``."""
    if status_code and status_code in UPS_STATUS_CODES:
        return UPS_STATUS_CODES[status_code]
    return UPS_STATUS_TYPES.get((status_type or "").strip().upper(), S.UNKNOWN)


def ups_raw_code(status_type: str | None, status_code: str | None) -> str:
    """The raw code kept on the event: ``type/statusCode`` (either part may be absent)."""
    kind = (status_type or "").strip()
    code = (status_code or "").strip()
    return f"{kind}/{code}" if kind and code else (kind or code or "?")


def easypost_status(status: str | None) -> TrackingStatus:
    """The canonical status of an EasyPost status word; anything unmapped -> ``unknown``."""
    return EASYPOST_STATUSES.get((status or "").strip().lower(), S.UNKNOWN)


def easypost_raw_code(status: str | None, status_detail: str | None) -> str:
    """The raw code kept on the event: ``status/status_detail`` (detail only when given)."""
    word = (status or "").strip() or "?"
    detail = (status_detail or "").strip()
    return f"{word}/{detail}" if detail else word


def shipbob_status(status: str | None, substatus: str | None = None) -> TrackingStatus:
    """The canonical status of a ShipBob tracking status (+ substatus); unmapped -> unknown."""
    if substatus and substatus in SHIPBOB_SUBSTATUSES:
        return SHIPBOB_SUBSTATUSES[substatus]
    return SHIPBOB_STATUSES.get((status or "").strip(), S.UNKNOWN)


def _is_internal(event: TrackingEvent) -> bool:
    first = event.raw_code.split("/", 1)[0]
    if first in INTERNAL_RAW_CODES:
        return True
    return event.status is S.UNKNOWN and not (event.description or "").strip()


def _step(event: TrackingEvent) -> tuple[str, str, str, str]:
    text = " ".join((event.description or "").lower().split())
    where = " ".join((event.location or "").lower().split())
    return (event.tracking_number, event.status.value, text, where)


def clean_timeline(events: Iterable[TrackingEvent]) -> list[TrackingEvent]:
    """The buyer-facing timeline: oldest first, one line per meaningful step.

    Exact repeats (the same scan delivered twice, or by two feeds) are dropped, a run of
    consecutive scans of the same step (same status, text and place) keeps only its first,
    and carrier-internal lines are left out. The input is not changed.
    """
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.status.value, e.raw_code))
    timeline: list[TrackingEvent] = []
    last_step: dict[str, tuple[str, str, str, str]] = {}
    for event in ordered:
        if _is_internal(event):
            continue
        step = _step(event)
        if last_step.get(event.tracking_number) == step:
            continue
        last_step[event.tracking_number] = step
        timeline.append(event)
    return timeline


def latest_status(events: Iterable[TrackingEvent]) -> TrackingStatus:
    """The status of the most recent meaningful event, ``unknown`` when there is none."""
    timeline = clean_timeline(events)
    return timeline[-1].status if timeline else S.UNKNOWN
