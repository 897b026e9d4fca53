"""UPS Track API (contracts/carriers/ups/Tracking.yaml) -> canonical TrackingEvents.

Accepts the whole ``TrackApiResponse`` (``{"trackResponse": {"shipment": [...]}}``), one
``Shipment`` or one ``Package``. Every ``activity`` of every package becomes one event with
the UPS ``type/statusCode`` kept as the raw code, because the hub's vocabulary is coarser
than UPS's and a reconciliation must be able to show what UPS actually said.

Times: UPS gives the local ``date``/``time`` plus ``gmtDate``/``gmtTime``/``gmtOffset``. The
GMT pair is used when present (``gmtTime`` may drop its leading zero: ``74700`` = 07:47:00);
otherwise the local pair with ``gmtOffset``. An activity with no way to know its zone is
refused with the field named rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import items, obj
from channelhub.mappings.tracking import ups_raw_code, ups_status

CARRIER = "ups"
SOURCE = "ups tracking"


def _mapping(value: object, path: str) -> Mapping[str, object]:
    return obj(value, path, source=SOURCE)


def _list(value: object, path: str) -> Sequence[object]:
    return items(value, path, source=SOURCE)


def _text(value: object, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput.field(path, value, "is not text", source=SOURCE)
    return strict.opt_text(value, path, limit=strict.TITLE_CHARS, source=SOURCE)


def _parse_offset(offset: str, path: str) -> timezone:
    sign = -1 if offset.startswith("-") else 1
    try:
        hours, minutes = offset.lstrip("+-").split(":")
        if not (hours.isascii() and minutes.isascii() and len(hours) <= 2 and len(minutes) <= 2):
            raise ValueError(offset)
        return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
    except ValueError:
        raise InvalidInput.field(path, offset, "is not a UTC offset like '-05:00'") from None


def _parse_stamp(day: str, clock: str, zone: timezone, path: str) -> datetime:
    try:
        return datetime.strptime(day + clock.zfill(6), "%Y%m%d%H%M%S").replace(tzinfo=zone)
    except ValueError:
        raise InvalidInput.field(
            path, f"{day} {clock}", "is not a date YYYYMMDD and time HHMMSS", source=SOURCE
        ) from None


def activity_time(activity: Mapping[str, object], path: str) -> datetime:
    """When an activity happened, in UTC (see the module docstring for the rules)."""
    gmt_date = _text(activity.get("gmtDate"), f"{path}.gmtDate")
    gmt_time = _text(activity.get("gmtTime"), f"{path}.gmtTime")
    if gmt_date and gmt_time:
        stamp = _parse_stamp(gmt_date, gmt_time, UTC, f"{path}.gmtDate")
        return strict.instant(stamp, f"{path}.gmtDate", shown=gmt_date, source=SOURCE)
    day = _text(activity.get("date"), f"{path}.date")
    clock = _text(activity.get("time"), f"{path}.time") or "000000"
    offset = _text(activity.get("gmtOffset"), f"{path}.gmtOffset")
    if not day:
        raise InvalidInput.field(f"{path}.date", activity.get("date"), "is missing", source=SOURCE)
    if not offset:
        raise InvalidInput.field(
            f"{path}.gmtOffset", None, "is missing: the local time has no zone", source=SOURCE
        )
    local = _parse_stamp(day, clock, _parse_offset(offset, f"{path}.gmtOffset"), path)
    return strict.instant(local, f"{path}.date", shown=f"{day} {clock} {offset}", source=SOURCE)


def _location(activity: Mapping[str, object], path: str) -> str | None:
    location = activity.get("location")
    if location is None:
        return None
    address = _mapping(location, f"{path}.location").get("address")
    if address is None:
        return None
    parts = _mapping(address, f"{path}.location.address")
    country = parts.get("countryCode") or parts.get("country")
    names = [parts.get("city"), parts.get("stateProvince"), country]
    text = ", ".join(str(p).strip() for p in names if isinstance(p, str) and p.strip())
    return text or None


def package_events(package: Mapping[str, object], path: str = "package") -> list[TrackingEvent]:
    """The events of one UPS ``Package`` (its ``activity`` list), in the order UPS gave."""
    number = _text(package.get("trackingNumber"), f"{path}.trackingNumber")
    if not number:
        raise InvalidInput.field(
            f"{path}.trackingNumber", package.get("trackingNumber"), "is missing", source=SOURCE
        )
    events: list[TrackingEvent] = []
    for index, item in enumerate(_list(package.get("activity"), f"{path}.activity")):
        at = f"{path}.activity[{index}]"
        activity = _mapping(item, at)
        status = _mapping(activity.get("status") or {}, f"{at}.status")
        kind = _text(status.get("type"), f"{at}.status.type")
        code = _text(status.get("statusCode"), f"{at}.status.statusCode")
        description = _text(status.get("description"), f"{at}.status.description")
        event = build(
            TrackingEvent,
            source=SOURCE,
            tracking_number=number,
            carrier=CARRIER,
            status=ups_status(kind, code),
            raw_code=ups_raw_code(kind, code),
            description=description.strip() if description else None,
            location=_location(activity, at),
            occurred_at=activity_time(activity, at),
        )
        events.append(event)
    return events


def _shipment_events(shipment: Mapping[str, object], path: str) -> list[TrackingEvent]:
    events: list[TrackingEvent] = []
    for index, item in enumerate(_list(shipment.get("package"), f"{path}.package")):
        events.extend(
            package_events(_mapping(item, f"{path}.package[{index}]"), f"{path}.package[{index}]")
        )
    return events


def normalize_tracking(payload: object) -> list[TrackingEvent]:
    """Every activity in a UPS tracking payload (whole response, a shipment or a package).

    A shipment that UPS answered with only ``warnings`` (number not found yet) yields no
    events; that is not an error.
    """
    root = _mapping(payload, "(payload)")
    if "trackResponse" in root:
        response = _mapping(root["trackResponse"], "trackResponse")
        events: list[TrackingEvent] = []
        shipments = _list(response.get("shipment"), "trackResponse.shipment")
        for index, item in enumerate(shipments):
            path = f"trackResponse.shipment[{index}]"
            events.extend(_shipment_events(_mapping(item, path), path))
        return events
    if "package" in root or "inquiryNumber" in root:
        return _shipment_events(root, "shipment")
    if "trackingNumber" in root:
        return package_events(root)
    raise InvalidInput.field(
        "(payload)",
        sorted(root)[:5],
        "is not a UPS tracking response, shipment or package",
        source=SOURCE,
    )


def warnings(payload: object) -> list[str]:
    """UPS's per-shipment warnings (e.g. tracking number not found), as ``code: message``."""
    root = _mapping(payload, "(payload)")
    response = _mapping(root.get("trackResponse") or {}, "trackResponse")
    found: list[str] = []
    for item in _list(response.get("shipment"), "trackResponse.shipment"):
        for warning in _list(_mapping(item, "shipment").get("warnings"), "shipment.warnings"):
            entry = _mapping(warning, "shipment.warnings[]")
            found.append(f"{entry.get('code')}: {entry.get('message')}")
    return found
