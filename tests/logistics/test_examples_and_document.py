"""The shipped examples map and conform; the packaged protocol document equals docs/."""

from __future__ import annotations

from datetime import UTC, datetime

from channelhub.connectors.outbound_protocol.document import protocol_document
from channelhub.core.fulfilment import Shipment
from channelhub.core.warehouse_reports import StockSnapshot
from channelhub.mappings import outbound_protocol as proto
from channelhub.mappings import shipbob
from tests.logistics.specs import example, schema_errors, shipbob_spec
from tests.logistics.test_outbound_protocol import document


def test_packaged_document_is_the_published_one() -> None:
    assert protocol_document() == document()


def test_outbound_protocol_examples() -> None:
    doc = document()
    order = example("outbound_protocol", "outbound_order.json")
    assert schema_errors(doc, "OutboundOrder", order) == []
    assert proto.parse_outbound_order(order).idempotency_key == order["idempotency_key"]
    for name, kind in (
        ("shipment_confirmed.json", Shipment),
        ("stock_snapshot.json", StockSnapshot),
    ):
        body = example("outbound_protocol", name)
        assert schema_errors(doc, "Callback", body) == []
        assert isinstance(proto.parse_callback(body).payload, kind)


def test_shipbob_examples() -> None:
    spec = shipbob_spec()
    order = example("shipbob", "order.json")
    assert schema_errors(spec, "Orders.OrderViewModel", order) == []
    assert len(shipbob.normalize_shipments(order, warehouse="shipbob")) == 1
    levels = example("shipbob", "inventory_levels.json")
    assert schema_errors(spec, "Inventory.InventoryQuantityResponsePagedResponse", levels) == []
    snapshot = shipbob.stock_snapshot(
        [levels], warehouse="shipbob", snapshot_id="s", taken_at=datetime.now(UTC), complete=True
    )
    assert snapshot.levels
    tracking = example("shipbob", "shipments_tracking.json")
    assert schema_errors(spec, "Tracking.ShipmentTrackingResponseArray", tracking) == []
    assert shipbob.normalize_tracking(tracking)
