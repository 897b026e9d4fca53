"""The shipped examples map and conform; the packaged protocol document equals docs/."""

from __future__ import annotations

from datetime import UTC, datetime

from channelhub.connectors.outbound_protocol.document import protocol_document
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.fulfilment import Shipment
from channelhub.jobs.fulfilment.callbacks import read_snapshot
from channelhub.mappings import outbound_protocol as proto
from channelhub.mappings import shipbob
from channelhub.mappings.warehouse_stock import SnapshotRows
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
        ("stock_snapshot.json", SnapshotRows),
    ):
        body = example("outbound_protocol", name)
        assert schema_errors(doc, "Callback", body) == []
        assert isinstance(proto.parse_callback(body).payload, kind)
    rows = proto.parse_callback(example("outbound_protocol", "stock_snapshot.json")).payload
    assert isinstance(rows, SnapshotRows)
    snapshot, failures = read_snapshot(rows, now=datetime.now(UTC))
    assert failures == [] and [level.sku for level in snapshot.levels] == ["MUG-RED"]


def test_shipbob_examples() -> None:
    spec = shipbob_spec()
    order = example("shipbob", "order.json")
    assert schema_errors(spec, "Orders.OrderViewModel", order) == []
    assert len(shipbob.normalize_shipments(order, warehouse="shipbob")) == 1
    levels = example("shipbob", "inventory_levels.json")
    assert schema_errors(spec, "Inventory.InventoryQuantityResponsePagedResponse", levels) == []
    rows = shipbob.stock_rows(levels)
    read = stock_page(shipbob.STOCK, rows, warehouse="shipbob", now=datetime.now(UTC), done=True)
    assert read.items and read.failures == ()
    tracking = example("shipbob", "shipments_tracking.json")
    assert schema_errors(spec, "Tracking.ShipmentTrackingResponseArray", tracking) == []
    assert shipbob.normalize_tracking(tracking)
