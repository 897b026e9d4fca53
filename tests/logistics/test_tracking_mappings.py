"""Tracking vocabulary, UPS and EasyPost tracking mappings, and the buyer timeline."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent, TrackingStatus
from channelhub.mappings import easypost, ups
from channelhub.mappings.tracking import (
    EASYPOST_STATUSES,
    clean_timeline,
    easypost_status,
    latest_status,
    ups_status,
)
from tests.contracts import contract_file
from tests.logistics.specs import example, schema_errors, ups_spec

S = TrackingStatus


def test_ups_example_is_a_valid_track_api_response() -> None:
    assert (
        schema_errors(
            ups_spec("Tracking.yaml"), "TrackApiResponse", example("ups", "tracking.json")
        )
        == []
    )


def test_ups_response_maps_every_activity_with_raw_code_and_utc_time() -> None:
    events = ups.normalize_tracking(example("ups", "tracking.json"))
    assert len(events) == 5
    delivered = events[0]
    assert delivered.status is S.DELIVERED
    assert delivered.raw_code == "D/011"
    assert delivered.carrier == "ups"
    assert delivered.location == "Wayne, NJ, US"
    assert delivered.occurred_at == datetime(2026, 1, 12, 19, 30, 12, tzinfo=UTC)
    assert events[1].status is S.OUT_FOR_DELIVERY
    # local time + offset when the GMT pair is missing
    assert events[2].occurred_at == datetime(2026, 1, 12, 3, 15, tzinfo=UTC)
    # gmtTime "74700" lost its leading zero: 07:47:00
    assert events[4].occurred_at == datetime(2026, 1, 10, 7, 47, tzinfo=UTC)
    assert events[4].status is S.INFO_RECEIVED


def test_ups_shapes_package_and_shipment_are_accepted() -> None:
    whole = example("ups", "tracking.json")
    shipment = whole["trackResponse"]["shipment"][0]
    package = shipment["package"][0]
    assert ups.normalize_tracking(shipment) == ups.normalize_tracking(whole)
    assert ups.normalize_tracking(package) == ups.normalize_tracking(whole)


def test_ups_unknown_type_is_kept_raw_not_dropped() -> None:
    payload = example("ups", "tracking.json")
    payload["trackResponse"]["shipment"][0]["package"][0]["activity"][0]["status"] = {
        "type": "ZZ",
        "statusCode": "999",
        "description": "Something new",
    }
    event = ups.normalize_tracking(payload)[0]
    assert event.status is S.UNKNOWN
    assert event.raw_code == "ZZ/999"


def test_ups_activity_without_zone_names_the_field() -> None:
    payload = example("ups", "tracking.json")
    activity = payload["trackResponse"]["shipment"][0]["package"][0]["activity"][2]
    del activity["gmtOffset"]
    with pytest.raises(InvalidInput, match=r"activity\[2\]\.gmtOffset"):
        ups.normalize_tracking(payload)


def test_ups_bad_date_names_field_and_value() -> None:
    payload = example("ups", "tracking.json")
    payload["trackResponse"]["shipment"][0]["package"][0]["activity"][0]["gmtDate"] = "2026-01-12"
    with pytest.raises(InvalidInput, match="2026-01-12"):
        ups.normalize_tracking(payload)


def test_ups_not_found_warning_is_no_event() -> None:
    payload = {
        "trackResponse": {
            "shipment": [
                {
                    "inquiryNumber": "1Z",
                    "warnings": [{"code": "TW0001", "message": "Tracking Information Not Found"}],
                }
            ]
        }
    }
    assert ups.normalize_tracking(payload) == []
    assert ups.warnings(payload) == ["TW0001: Tracking Information Not Found"]


def test_ups_rejects_what_it_is_not() -> None:
    with pytest.raises(InvalidInput, match="not a UPS tracking"):
        ups.normalize_tracking({"hello": 1})
    with pytest.raises(InvalidInput, match="not an object"):
        ups.normalize_tracking([1])


def test_status_tables() -> None:
    assert ups_status("I") is S.IN_TRANSIT
    assert ups_status("X", "022") is S.DELIVERY_FAILED
    assert ups_status(None, None) is S.UNKNOWN
    assert easypost_status("return_to_sender") is S.RETURNED
    assert easypost_status("brand_new") is S.UNKNOWN
    assert set(EASYPOST_STATUSES.values()) <= set(S)


def test_easypost_tracker_from_contract() -> None:
    tracker = json.loads(
        contract_file("carriers", "easypost", "trackers__trackers-retrieve.json").read_text()
    )
    events = easypost.normalize_tracking(tracker)
    assert [e.description for e in events] == [
        "Pre-Shipment Info Sent to USPS",
        "Shipping Label Created",
    ]
    assert all(e.carrier == "usps" and e.status is S.INFO_RECEIVED for e in events)
    assert events[0].raw_code == "pre_transit/status_update"
    assert events[1].location == "HOUSTON, TX"
    assert events[0].tracking_number == "EZ1000000001"


def test_easypost_list_and_webhook_event_shapes() -> None:
    listing = json.loads(
        contract_file("carriers", "easypost", "trackers__trackers-list.json").read_text()
    )
    assert easypost.normalize_tracking(listing)
    tracker = example("easypost", "tracker.json")
    event = json.loads(
        contract_file("carriers", "easypost", "events__events-retrieve.json").read_text()
    )
    event = {**event, "description": "tracker.updated", "result": tracker}
    assert easypost.normalize_tracking(event) == easypost.normalize_tracking(tracker)
    # an event that is not about a tracker carries no tracking
    assert easypost.normalize_tracking({**event, "description": "batch.created"}) == []


def test_easypost_tracker_without_details_keeps_its_status() -> None:
    tracker = copy.deepcopy(example("easypost", "tracker.json"))
    tracker["tracking_details"] = []
    tracker["status"] = "weird_new_status"
    (event,) = easypost.normalize_tracking(tracker)
    assert event.status is S.UNKNOWN and event.raw_code.startswith("weird_new_status")


def test_easypost_bad_datetime_names_the_field() -> None:
    tracker = copy.deepcopy(example("easypost", "tracker.json"))
    tracker["tracking_details"][1]["datetime"] = "yesterday"
    with pytest.raises(InvalidInput, match=r"tracking_details\[1\]\.datetime"):
        easypost.normalize_tracking(tracker)


def _event(
    minutes: int, status: S, text: str | None = "x", raw: str = "I/005", where: str | None = "A"
) -> TrackingEvent:
    return TrackingEvent(
        tracking_number="1Z1",
        carrier="ups",
        status=status,
        raw_code=raw,
        description=text,
        location=where,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes),
    )


def test_clean_timeline_sorts_dedupes_and_drops_internal() -> None:
    events = [
        _event(30, S.DELIVERED, "Delivered", "D/011"),
        _event(10, S.IN_TRANSIT, "Arrived"),
        _event(10, S.IN_TRANSIT, "Arrived"),  # duplicated scan
        _event(11, S.IN_TRANSIT, "arrived "),  # same step again, re-scanned
        _event(12, S.IN_TRANSIT, "Departed"),
        _event(13, S.UNKNOWN, None, "ZZ/1"),  # nothing a buyer can read
        _event(14, S.EXPIRED, "Voided", "MV/007"),  # internal
        _event(15, S.UNKNOWN, "A new kind of scan", "ZZ/2"),  # unknown but readable: kept
        _event(0, S.INFO_RECEIVED, "Label created", "M/003"),
    ]
    timeline = clean_timeline(events)
    assert [e.description for e in timeline] == [
        "Label created",
        "Arrived",
        "Departed",
        "A new kind of scan",
        "Delivered",
    ]
    assert latest_status(events) is S.DELIVERED
    assert latest_status([]) is S.UNKNOWN


def test_clean_timeline_keeps_same_step_at_a_new_place() -> None:
    timeline = clean_timeline(
        [
            _event(1, S.IN_TRANSIT, "Arrived", where="A"),
            _event(2, S.IN_TRANSIT, "Arrived", where="B"),
        ]
    )
    assert len(timeline) == 2
