"""EasyPost trackers (contracts/carriers/easypost) -> canonical TrackingEvents.

Accepts a ``Tracker``, a trackers list (``{"trackers": [...]}``), an ``Event`` whose
``result`` is a tracker (what a webhook delivers: ``tracker.created`` / ``tracker.updated``),
or an events list. Each ``tracking_details`` entry becomes one event; the raw code kept is
``status/status_detail``. A tracker without details still yields one event from its own
status, so that a status (e.g. ``unknown``) is never silently absent.

Also builds the body of ``POST /v2/trackers``.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import items, obj
from channelhub.mappings.carriers import canonical_carrier_or_raw
from channelhub.mappings.tracking import easypost_raw_code, easypost_status

SOURCE = "easypost"
TRACKER_EVENTS = frozenset({"tracker.created", "tracker.updated"})


def _mapping(value: object, path: str) -> Mapping[str, object]:
    return obj(value, path, source=SOURCE)


def _list(value: object, path: str) -> Sequence[object]:
    return items(value, path, source=SOURCE)


def _text(value: object, path: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput.field(path, value, "is not text", source=SOURCE)
    return value.strip() or None


def _time(value: object, path: str) -> datetime:
    text = _text(value, path)
    if text is None:
        raise InvalidInput.field(path, value, "is missing", source=SOURCE)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.field(path, text, "is not an ISO 8601 time", source=SOURCE) from None
    if parsed.tzinfo is None:
        raise InvalidInput.field(path, text, "has no timezone", source=SOURCE)
    return parsed


def _location(value: object, path: str) -> str | None:
    if value is None:
        return None
    loc = _mapping(value, path)
    names = [loc.get("city"), loc.get("state"), loc.get("country")]
    text = ", ".join(str(p).strip() for p in names if isinstance(p, str) and p.strip())
    return text or None


def tracker_events(tracker: Mapping[str, object], path: str = "tracker") -> list[TrackingEvent]:
    """The events of one EasyPost ``Tracker``."""
    number = _text(tracker.get("tracking_code"), f"{path}.tracking_code")
    if number is None:
        raise InvalidInput.field(
            f"{path}.tracking_code", tracker.get("tracking_code"), "is missing", source=SOURCE
        )
    carrier = canonical_carrier_or_raw(_text(tracker.get("carrier"), f"{path}.carrier") or "")
    details = _list(tracker.get("tracking_details"), f"{path}.tracking_details")
    events: list[TrackingEvent] = []
    for index, item in enumerate(details):
        at = f"{path}.tracking_details[{index}]"
        detail = _mapping(item, at)
        status = _text(detail.get("status"), f"{at}.status")
        message = _text(detail.get("message"), f"{at}.message")
        description = message or _text(detail.get("description"), f"{at}.description")
        events.append(
            build(
                TrackingEvent,
                source=SOURCE,
                tracking_number=number,
                carrier=carrier,
                status=easypost_status(status),
                raw_code=easypost_raw_code(
                    status, _text(detail.get("status_detail"), f"{at}.status_detail")
                ),
                description=description,
                location=_location(detail.get("tracking_location"), f"{at}.tracking_location"),
                occurred_at=_time(detail.get("datetime"), f"{at}.datetime"),
            )
        )
    if not events:
        status = _text(tracker.get("status"), f"{path}.status")
        stamp = tracker.get("updated_at") or tracker.get("created_at")
        events.append(
            build(
                TrackingEvent,
                source=SOURCE,
                tracking_number=number,
                carrier=carrier,
                status=easypost_status(status),
                raw_code=easypost_raw_code(
                    status, _text(tracker.get("status_detail"), f"{path}.status_detail")
                ),
                description=None,
                location=None,
                occurred_at=_time(stamp, f"{path}.updated_at"),
            )
        )
    return events


def _event_events(event: Mapping[str, object], path: str) -> list[TrackingEvent]:
    kind = _text(event.get("description"), f"{path}.description")
    result = event.get("result")
    if kind not in TRACKER_EVENTS or result is None:
        return []  # not a tracker event, or an event listing without its result
    return tracker_events(_mapping(result, f"{path}.result"), f"{path}.result")


def normalize_tracking(payload: object) -> list[TrackingEvent]:
    """Every tracking event in an EasyPost tracker, trackers list, Event or events list."""
    root = _mapping(payload, "(payload)")
    kind = root.get("object")
    if kind == "Tracker":
        return tracker_events(root)
    if kind == "Event":
        return _event_events(root, "event")
    if "trackers" in root:
        found: list[TrackingEvent] = []
        for index, item in enumerate(_list(root["trackers"], "trackers")):
            found.extend(tracker_events(_mapping(item, f"trackers[{index}]"), f"trackers[{index}]"))
        return found
    if "events" in root:
        found = []
        for index, item in enumerate(_list(root["events"], "events")):
            found.extend(_event_events(_mapping(item, f"events[{index}]"), f"events[{index}]"))
        return found
    raise InvalidInput.field(
        "object", kind, "is not an EasyPost Tracker, Event or list of them", source=SOURCE
    )


def tracker_create_body(tracking_code: str, carrier: str | None = None) -> dict[str, object]:
    """The body of ``POST /v2/trackers``: ``{"tracker": {"tracking_code", "carrier"}}``."""
    tracker: dict[str, object] = {"tracking_code": tracking_code}
    if carrier:
        tracker["carrier"] = carrier
    return {"tracker": tracker}


SIGNATURE_HEADER = "X-Hmac-Signature"
SIGNATURE_PREFIX = "hmac-sha256-hex="


def webhook_signature(secret: str, body: bytes) -> str:
    """The ``X-Hmac-Signature`` value EasyPost sends: ``hmac-sha256-hex=<hex>`` over the raw
    body, keyed with the webhook secret (NFKD-normalised, as EasyPost's own libraries do)."""
    key = unicodedata.normalize("NFKD", secret).encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, header: str | None, body: bytes) -> None:
    """Raise InvalidInput unless ``header`` is the body's signature (constant-time compare).

    EasyPost signs no timestamp, so the replay window is the caller's: deduplicate on the
    Event ``id`` and refuse events whose ``created_at`` is too old.
    """
    if not header or not header.startswith(SIGNATURE_PREFIX):
        raise InvalidInput.field(
            SIGNATURE_HEADER, header and "(redacted)", "is missing or malformed"
        )
    given = header.strip().lower().encode()  # bytes: a non-ASCII forgery is a mismatch
    if not hmac.compare_digest(given, webhook_signature(secret, body).encode()):
        raise InvalidInput.field(SIGNATURE_HEADER, "(redacted)", "does not match the body")
