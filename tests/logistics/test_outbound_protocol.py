"""The outbound protocol document, its mapping and the signing rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundLine, OutboundOrder, Package, PackageLine, Shipment
from channelhub.core.money import Money
from channelhub.core.parties import Address
from channelhub.core.signing import SignatureError, sign, verify
from channelhub.core.warehouse_reports import (
    InterceptOutcome,
    InterceptResult,
    StockLevel,
    StockSnapshot,
)
from channelhub.jobs.fulfilment.callbacks import read_snapshot
from channelhub.mappings import outbound_protocol as proto
from channelhub.mappings.warehouse_stock import SnapshotRows
from tests.logistics.specs import schema_errors

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "outbound-protocol.openapi.json"
NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DOC_PATH.read_text())
    return loaded


def outbound_order(**changes: object) -> OutboundOrder:
    fields: dict[str, Any] = {
        "idempotency_key": OutboundOrder.make_key("shopify:acme:5001", 1, 1),
        "order_key": "shopify:acme:5001",
        "warehouse": "us-east",
        "reference": "#5001",
        "ship_to": Address(
            name="Ann Buyer", line1="1 Main St", city="Riyadh", country="SA", phone="+966500000000"
        ),
        "lines": (OutboundLine(sku="MUG-RED", quantity=2, order_line_id="L1"),),
        "carrier": "aramex",
        "cash_on_delivery": Money.of("49.90", "SAR"),
    }
    return OutboundOrder(**(fields | changes))


def shipment() -> Shipment:
    return Shipment(
        outbound_key=outbound_order().idempotency_key,
        warehouse="us-east",
        warehouse_order_id="WH-1",
        shipment_id="S-1",
        shipped_at=NOW,
        packages=(
            Package(
                tracking_number="1Z999",
                carrier="ups",
                package_id="P1",
                weight_grams=800,
                lines=(PackageLine(sku="MUG-RED", quantity=2, order_line_id="L1"),),
            ),
        ),
        costs=(Money.of("7.25", "USD"), Money.of("1.10", "USD")),
    )


def test_document_is_valid_openapi_3_1() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_outbound_body_conforms_and_round_trips() -> None:
    order = outbound_order()
    body = proto.outbound_order_body(order)
    assert schema_errors(document(), "OutboundOrder", body) == []
    assert body["cash_on_delivery"] == {"amount": "49.90", "currency": "SAR"}
    assert proto.parse_outbound_order(json.loads(json.dumps(body))) == order
    prepaid = proto.outbound_order_body(outbound_order(cash_on_delivery=None))
    assert schema_errors(document(), "OutboundOrder", prepaid) == []


def test_every_built_body_conforms_to_the_document() -> None:
    doc = document()
    result = InterceptResult(
        outbound_key="k",
        warehouse="us-east",
        warehouse_order_id="WH-1",
        outcome=InterceptOutcome.TOO_LATE,
        message="already packed",
        decided_at=NOW,
    )
    snapshot = StockSnapshot(
        warehouse="us-east",
        snapshot_id="snap-1",
        taken_at=NOW,
        complete=True,
        levels=(StockLevel(sku="MUG-RED", on_hand=10, available=8),),
    )
    built = {
        "Accepted": proto.accepted_body("k", "WH-1", NOW),
        "Rejected": proto.rejected_body(
            "k",
            [proto.RejectReason(code="unknown_sku", message="no such SKU", field="lines[0].sku")],
        ),
        "InterceptRequest": proto.intercept_request_body("buyer cancelled", NOW),
        "InterceptResult": proto.intercept_result_body(result),
        "Callback": proto.shipment_confirmed_event(
            shipment(), event_id="e1", occurred_at=NOW, cost_kinds=("shipping", "fulfilment")
        ),
    }
    built_events = [
        proto.intercept_result_event(result, event_id="e2", occurred_at=NOW),
        proto.outbound_cancelled_event(result, event_id="e3", occurred_at=NOW),
        proto.stock_snapshot_event(snapshot, event_id="e4", occurred_at=NOW),
    ]
    for schema, body in built.items():
        assert schema_errors(doc, schema, body) == [], schema
    for body in built_events:
        assert schema_errors(doc, "Callback", body) == [], body["type"]


def test_callbacks_parse_back_to_canonical() -> None:
    parsed = proto.parse_callback(
        proto.shipment_confirmed_event(shipment(), event_id="e1", occurred_at=NOW)
    )
    assert parsed.type == "shipment.confirmed" and parsed.payload == shipment()
    levels = (StockLevel(sku="A", on_hand=0), StockLevel(sku="B", on_hand=5, available=3))
    snapshot = StockSnapshot(warehouse="us-east", snapshot_id="s", taken_at=NOW, levels=levels)
    rows = proto.parse_callback(
        proto.stock_snapshot_event(snapshot, event_id="e", occurred_at=NOW)
    ).payload
    assert isinstance(rows, SnapshotRows) and rows.spec is proto.SNAPSHOT
    # as the hub reads it, level by level; available defaults to on hand, as on GET /stock
    read, failures = read_snapshot(rows, now=NOW)
    assert failures == [] and read.model_dump(exclude={"levels"}) == snapshot.model_dump(
        exclude={"levels"}
    )
    assert [(lv.sku, lv.on_hand, lv.available) for lv in read.levels] == [("A", 0, 0), ("B", 5, 3)]
    result = InterceptResult(
        outbound_key="k", warehouse="us-east", outcome=InterceptOutcome.SUCCEEDED, decided_at=NOW
    )
    assert (
        proto.parse_callback(
            proto.intercept_result_event(result, event_id="e", occurred_at=NOW)
        ).payload
        == result
    )
    cancelled = proto.parse_callback(
        proto.outbound_cancelled_event(result, event_id="e", occurred_at=NOW)
    ).payload
    assert isinstance(cancelled, InterceptResult) and cancelled.initiated_by == "warehouse"


def test_bad_callback_fields_name_path_and_value() -> None:
    body = proto.shipment_confirmed_event(shipment(), event_id="e1", occurred_at=NOW)
    body["data"]["packages"][0]["tracking_number"] = ""  # type: ignore[index]
    with pytest.raises(InvalidInput, match=r"packages\[0\]\.tracking_number"):
        proto.parse_callback(body)
    body = proto.shipment_confirmed_event(shipment(), event_id="e1", occurred_at=NOW)
    body["data"]["costs"][0]["amount"]["amount"] = 7.25  # type: ignore[index]
    with pytest.raises(InvalidInput, match=r"costs\[0\]\.amount\.amount: 7.25"):
        proto.parse_callback(body)
    with pytest.raises(InvalidInput, match="type"):
        proto.parse_callback({**body, "type": "order.exploded"})
    naive = proto.shipment_confirmed_event(shipment(), event_id="e1", occurred_at=NOW)
    naive["data"]["shipped_at"] = "2026-01-15T12:00:00"  # type: ignore[index]
    with pytest.raises(InvalidInput, match="shipped_at"):
        proto.parse_callback(naive)


def test_submit_responses() -> None:
    accepted = proto.parse_submit_response(proto.accepted_body("k", "WH-9", NOW))
    assert isinstance(accepted, proto.Accepted) and accepted.warehouse_order_id == "WH-9"
    rejected = proto.parse_submit_response(
        proto.rejected_body(
            "k",
            [
                proto.RejectReason(
                    code="address_incomplete", message="street is missing", field="ship_to.line1"
                )
            ],
        )
    )
    assert isinstance(rejected, proto.Rejected)
    assert str(rejected.reasons[0]) == "ship_to.line1: street is missing [address_incomplete]"
    with pytest.raises(InvalidInput, match="warehouse_order_id"):
        proto.parse_submit_response(
            {"status": "accepted", "idempotency_key": "k", "accepted_at": "2026-01-01T00:00:00Z"}
        )


def test_bad_outbound_order_names_the_field() -> None:
    body = proto.outbound_order_body(outbound_order())
    body["ship_to"]["country"] = "Saudi"  # type: ignore[index]
    with pytest.raises(InvalidInput, match=r"ship_to\.country: 'Saudi'"):
        proto.parse_outbound_order(body)


# ---- signing --------------------------------------------------------------------------------

SECRET = "whsec_test"
BODY = b'{"hello":"world"}'
T = int(NOW.timestamp())


def test_sign_and_verify() -> None:
    header = sign(SECRET, T, BODY)
    assert header.startswith(f"t={T},v1=") and len(header.split("v1=")[1]) == 64
    assert verify(SECRET, header, BODY, now=NOW) == T
    assert verify(SECRET, header, BODY, now=T + 300) == T


@pytest.mark.parametrize(
    ("header", "body", "now", "reason"),
    [
        (None, BODY, T, "missing"),
        ("v1=abc", BODY, T, "malformed"),
        ("t=x,v1=abc", BODY, T, "malformed"),
        (sign(SECRET, T, BODY), BODY + b" ", T, "mismatch"),
        (sign("other", T, BODY), BODY, T, "mismatch"),
        (sign(SECRET, T, BODY), BODY, T + 301, "stale"),
        (sign(SECRET, T, BODY), BODY, T - 301, "stale"),
    ],
)
def test_verify_refuses(header: str | None, body: bytes, now: int, reason: str) -> None:
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, header, body, now=now)
    assert caught.value.reason == reason
    assert SECRET not in str(caught.value)


def test_replay_is_refused_by_the_callers_seen_check() -> None:
    used: set[str] = set()

    def seen(signature: str) -> bool:
        if signature in used:
            return True
        used.add(signature)
        return False

    header = sign(SECRET, T, BODY)
    verify(SECRET, header, BODY, now=T, seen=seen)
    with pytest.raises(SignatureError, match="replay"):
        verify(SECRET, header, BODY, now=T + 1, seen=seen)


def test_rotation_any_v1_matches() -> None:
    old = sign("old", T, BODY).split(",")[1]
    header = f"{sign(SECRET, T, BODY)},{old}"
    assert verify("old", header, BODY, now=T) == T
    assert verify(SECRET, header, BODY, now=T + timedelta(seconds=1).seconds) == T
