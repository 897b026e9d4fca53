"""getPackageTrackingDetails -> canonical tracking events, the ``EventCode`` kept raw.

Each ``TrackingEvent`` of the package becomes one event; a code nobody mapped (a new one
Amazon adds) becomes ``unknown`` with its raw code, never dropped (as in
:mod:`channelhub.mappings.tracking`).
"""

from __future__ import annotations

from collections.abc import Mapping

from channelhub.core import strict
from channelhub.core.fulfilment import TrackingEvent, TrackingStatus
from channelhub.core.validation import build
from channelhub.mappings.amazon._wire import Wire
from channelhub.mappings.carriers import canonical_carrier_or_raw

SOURCE = "amazon_mcf"
S = TrackingStatus

#: ``EventCode`` (fulfillmentOutbound 2020-07-01) -> status; the model's descriptions beside.
EVENT_CODES: Mapping[str, TrackingStatus] = {
    "EVENT_101": S.INFO_RECEIVED,  # carrier notified to pick up package
    "EVENT_102": S.IN_TRANSIT,  # picked up from seller's facility
    "EVENT_201": S.IN_TRANSIT,  # arrival scan
    "EVENT_202": S.IN_TRANSIT,  # departure scan
    "EVENT_203": S.IN_TRANSIT,  # arrived at destination country
    "EVENT_204": S.IN_TRANSIT,  # initiated customs clearance
    "EVENT_205": S.IN_TRANSIT,  # completed customs clearance
    "EVENT_206": S.IN_TRANSIT,  # in transit to pickup location
    "EVENT_301": S.DELIVERED,
    "EVENT_302": S.OUT_FOR_DELIVERY,
    "EVENT_304": S.DELIVERY_FAILED,  # delivery attempted
    "EVENT_306": S.IN_TRANSIT,  # customer contacted to arrange delivery
    "EVENT_307": S.IN_TRANSIT,  # delivery appointment scheduled
    "EVENT_308": S.AVAILABLE_FOR_PICKUP,
    "EVENT_309": S.RETURNED,  # returned to seller
    "EVENT_401": S.EXCEPTION,  # held by carrier - incorrect address
    "EVENT_402": S.EXCEPTION,  # customs clearance delay
    "EVENT_403": S.EXCEPTION,  # customer moved
    "EVENT_404": S.EXCEPTION,  # delay due to external factors
    "EVENT_405": S.EXCEPTION,  # shipment damaged
    "EVENT_406": S.EXCEPTION,  # held by carrier
    "EVENT_407": S.DELIVERY_FAILED,  # customer refused delivery
    "EVENT_408": S.RETURNED,  # returning to seller
    "EVENT_409": S.EXCEPTION,  # lost by carrier
    "EVENT_411": S.EXCEPTION,  # paperwork received - did not receive shipment
    "EVENT_412": S.EXCEPTION,  # shipment received - did not receive paperwork
    "EVENT_413": S.DELIVERY_FAILED,  # refused due to customs charges
    "EVENT_414": S.EXCEPTION,  # missorted by carrier
    "EVENT_415": S.IN_TRANSIT,  # received from prior carrier
    "EVENT_416": S.EXCEPTION,  # undeliverable
    "EVENT_417": S.EXCEPTION,  # shipment missorted
    "EVENT_418": S.EXCEPTION,  # shipment delayed
    "EVENT_419": S.IN_TRANSIT,  # address corrected - delivery rescheduled
    "EVENT_801": S.AVAILABLE_FOR_PICKUP,  # delivered to locker
    "EVENT_804": S.DELIVERED,  # picked up from locker
}


def _location(node: Wire | None) -> str | None:
    if node is None:
        return None
    parts = [node.opt_text(k) for k in ("city", "state", "country")]
    return ", ".join(p for p in parts if p) or None


def tracking_events(payload: object) -> list[TrackingEvent]:
    """The events of one package (a GetPackageTrackingDetailsResponse or its payload).

    The package's own ``trackingNumber`` and ``carrierCode`` label every event; a package
    without a tracking number yet has no events the hub can file.
    """
    root = Wire(payload, "", SOURCE)
    details = root.get("payload") or root
    number = details.opt_text("trackingNumber")
    if number is None:
        return []
    carrier = canonical_carrier_or_raw(details.opt_text("carrierCode") or "amazon")
    events = details.get("trackingEvents")
    found = []
    for event in events.items() if events is not None else []:
        code = event.req("eventCode").nonempty_text(strict.CODE_CHARS)
        found.append(
            build(
                TrackingEvent,
                source=SOURCE,
                tracking_number=number,
                carrier=carrier,
                status=EVENT_CODES.get(code, S.UNKNOWN),
                raw_code=code,
                description=event.opt_text("eventDescription", strict.TITLE_CHARS),
                location=_location(event.get("eventAddress")),
                occurred_at=event.req("eventDate").when(),
            )
        )
    return found
