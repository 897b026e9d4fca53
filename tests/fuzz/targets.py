"""The mappings the fuzz suite drives, per platform, each with the published payloads it mutates.

Seeds are the repository's examples (checked against the vendored specs by the platforms'
own tests) plus, where a spec carries a response example, that example read from contracts/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from channelhub.mappings import (
    amazon,
    easypost,
    ebay,
    outbound_protocol,
    shipbob,
    shopify,
    temu,
    ups,
)
from channelhub.mappings.warehouse_stock import SnapshotRows
from channelhub.simulators.ebay.data import build_shop as build_ebay
from channelhub.simulators.shopify import create_app as create_shopify
from channelhub.simulators.temu.data import build_shop as build_temu
from tests.contracts import contract_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)
SHIPBOB = ("wms", "shipbob", "openapi-2026-01.json")


@dataclass(frozen=True)
class Target:
    """One mapping entry point and the documents it is fed."""

    name: str
    call: Callable[[Any], object]
    seeds: tuple[Any, ...]
    #: (schema, document holding its definitions): some payloads are generated from it
    schema: tuple[dict[str, Any], dict[str, Any]] | None = None


def _example(*parts: str) -> Any:
    return json.loads(EXAMPLES.joinpath(*parts).read_text())


def _shipbob_example(path: str, method: str = "get", status: str = "200") -> Any:
    spec = json.loads(contract_file(*SHIPBOB).read_text())
    return spec["paths"][path][method]["responses"][status]["content"]["application/json"][
        "example"
    ]


def _shopify_simulated() -> dict[str, Any]:
    """Answers of the Shopify simulator (its GraphQL executor, in process) to the hub's own
    queries: an orders page, a products page, locations and an order's fulfillment orders."""
    shop = create_shopify(seed=7, orders=8).shop

    def ask(body: dict[str, Any]) -> Any:
        status, answer = shop.handle("2025-01", "shpat_simulator", body)
        assert status == 200, answer
        return answer

    since = datetime(2025, 1, 1, tzinfo=UTC)
    orders = ask(shopify.orders_request(updated_since=since, first=6))
    order_id = next(iter(shop.data.orders))
    locations = ask(shopify.locations_request())
    location_id = shopify.normalize_locations(locations)[0].location_id
    return {
        "orders": orders,
        "products": ask(shopify.products_request(location_id=location_id, first=5)),
        "locations": locations,
        "location_id": location_id,
        "fulfillment_orders": ask(shopify.fulfillment_state_request(order_id)),
        "fulfillments": ask(shopify.order_fulfillments_request(order_id)),
    }


def _ebay_simulated() -> tuple[Any, Any]:
    """(getOrders page, inventory) of the eBay simulator's seeded account."""
    shop = build_ebay(7, order_count=4, sku_count=5)
    return (
        {"orders": list(shop.orders.values())},
        {"inventoryItems": list(shop.items.values()), "offers": list(shop.offers.values())},
    )


def _temu_simulated() -> tuple[Any, Any]:
    """(order list page, goods list) of the Temu simulator's seeded shop."""
    shop = build_temu(7, order_count=4, app_key="k", app_secret="s", access_token="t")
    return (
        {"success": True, "result": {"pageItems": list(shop.parents.values())}},
        {"success": True, "result": {"goodsList": list(shop.goods.values())[:6]}},
    )


def _feed_report() -> Any:
    report = _example("amazon", "listings_feed_processing_report.json")
    report["summary"]["messagesProcessed"] = 5  # as tests/amazon: five messages were sent
    return report


def _processing_report(payload: Any) -> object:
    skus = {1: "My-SKU-A", 2: "My-SKU-X", 3: "My-SKU-Y", 4: "My-SKU-B", 5: "My-SKU-C"}
    return amazon.parse_processing_report(payload, skus_by_message=skus)


def _outbound_answers() -> tuple[Any, ...]:
    from channelhub.core.warehouse_reports import InterceptOutcome, InterceptResult, StockLevel

    level = StockLevel(sku="MUG-RED", on_hand=12, available=10, external_id="WH-ITEM-1")
    result = InterceptResult(
        outbound_key="shopify:acme:5001#p1r1",
        warehouse="us-east",
        warehouse_order_id="WH-1",
        outcome=InterceptOutcome.SUCCEEDED,
        decided_at=NOW,
    )
    return (
        outbound_protocol.stock_page_body([("us-east", level)], taken_at=NOW, next_cursor="c2"),
        outbound_protocol.accepted_body("shopify:acme:5001#p1r1", "WH-1", NOW),
        outbound_protocol.intercept_result_body(result),
    )


def _shipbob_stock(payload: Any) -> object:
    rows = shipbob.stock_rows(payload)  # as the hub reads: row by row
    return [shipbob.stock_level(row, f"{shipbob.STOCK_ROWS}[{i}]") for i, row in enumerate(rows)]


def _outbound_callback(payload: Any) -> object:
    callback = outbound_protocol.parse_callback(payload)
    rows = callback.payload
    if isinstance(rows, SnapshotRows):  # as the hub reads a snapshot: level by level
        read = [rows.spec.read(row, f"levels[{i}]") for i, row in enumerate(rows.rows)]
        return callback.event_id, rows.snapshot_id, rows.taken_at, read
    return callback


def _outbound_answer(payload: Any) -> object:
    if isinstance(payload, dict) and "levels" in payload:
        rows = outbound_protocol.stock_rows(payload).levels  # as the hub reads: level by level
        levels = [outbound_protocol.stock_row(row, f"levels[{i}]") for i, row in enumerate(rows)]
        return outbound_protocol.parse_stock_page(payload), levels
    if isinstance(payload, dict) and "outcome" in payload:
        return outbound_protocol.parse_intercept_result(payload, warehouse="us-east")
    return outbound_protocol.parse_submit_response(payload)


def _swagger(folder: str, name: str, definition: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads(contract_file(folder, name).read_text())
    return {"$ref": f"#/definitions/{definition}"}, spec


def _oas3(parts: tuple[str, ...], definition: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads(contract_file(*parts).read_text())
    return {"$ref": f"#/components/schemas/{definition}"}, spec


def _oas3_response(parts: tuple[str, ...], path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    spec = json.loads(contract_file(*parts).read_text())
    answer = spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return answer["schema"], spec


#: eBay's 207 answer to bulkUpdatePriceQuantity, as tests/ebay checks it against the spec.
EBAY_BULK_ANSWER = {
    "responses": [
        {"sku": "A", "offerId": "1", "statusCode": 200},
        {
            "sku": "B",
            "statusCode": 400,
            "errors": [{"errorId": 25001, "message": "Invalid quantity", "category": "REQUEST"}],
        },
        {"sku": "C", "statusCode": 500, "errors": [{"errorId": 25002, "message": "System error"}]},
    ]
}


def _ebay_bulk(payload: Any) -> object:
    return ebay.parse_bulk_price_quantity(payload, ["A", "B", "C", "D"])


def _order_change_example() -> Any:
    schema = json.loads(contract_file("amazon", "OrderChangeNotification.json").read_text())
    return schema["examples"][0]


def _shipbob_webhook(payload: Any) -> object:
    return shipbob.parse_webhook("order.shipped", payload, warehouse="shipbob", received_at=NOW)


@cache
def platforms() -> dict[str, tuple[Target, ...]]:
    """Platform name -> its targets."""
    order_example = _shipbob_example("/2026-01/order", "post", "201")
    order_example["shipments"][0]["invoice_currency_code"] = "USD"  # the spec's is 'string'

    ebay_orders, ebay_inventory = _ebay_simulated()
    shopify_sim = _shopify_simulated()
    temu_orders, temu_goods = _temu_simulated()
    return {
        "amazon": (
            Target(
                "amazon.orders",
                lambda p: amazon.normalize_orders(p, account="fuzz"),
                (
                    _example("amazon", "search_orders_response.json"),
                    _example("amazon", "search_orders_cod_fba_cancelled.json"),
                    _example("amazon", "get_order_response.json"),
                ),
                _swagger("amazon", "orders_2026-01-01.json", "SearchOrdersResponse"),
            ),
            Target("amazon.order_change", amazon.order_change, (_order_change_example(),)),
            Target(
                "amazon.feed_report",
                _processing_report,
                (_feed_report(),),
            ),
            Target(
                "amazon.listings",
                lambda p: amazon.normalize_listings(p, account="fuzz"),
                (
                    _example("amazon", "search_listings_items_response.json"),
                    _example("amazon", "get_listings_item_response.json"),
                ),
                _swagger("amazon", "listingsItems_2021-08-01.json", "ItemSearchResults"),
            ),
        ),
        "ebay": (
            Target(
                "ebay.orders",
                lambda p: ebay.normalize_orders(p, account="fuzz"),
                (_example("ebay", "get_orders.json"), ebay_orders),
                _oas3(("ebay", "sell_fulfillment_v1_oas3.json"), "OrderSearchPagedCollection"),
            ),
            Target(
                "ebay.listings",
                lambda p: ebay.normalize_listings(p, account="fuzz"),
                (_example("ebay", "inventory.json"), ebay_inventory),
            ),
            Target("ebay.bulk_answer", _ebay_bulk, (EBAY_BULK_ANSWER,)),
        ),
        "shopify": (
            Target(
                "shopify.orders",
                lambda p: shopify.normalize_orders(p, account="fuzz"),
                (
                    _example("shopify", "orders_graphql_response.json"),
                    _example("shopify", "order_webhook_rest.json"),
                    shopify_sim["orders"],
                ),
            ),
            Target(
                "shopify.listings",
                lambda p: shopify.normalize_listings(p, account="fuzz"),
                (_example("shopify", "products_graphql_response.json"),),
            ),
            Target(
                "shopify.products_at_location",
                lambda p: shopify.normalize_listings(
                    p, account="fuzz", currency="USD", location_id=shopify_sim["location_id"]
                ),
                (shopify_sim["products"],),
            ),
            Target("shopify.locations", shopify.normalize_locations, (shopify_sim["locations"],)),
            Target(
                "shopify.fulfillment_orders",
                shopify.parse_fulfillment_orders,
                (shopify_sim["fulfillment_orders"],),
            ),
            Target(
                "shopify.fulfillments",
                shopify.parse_order_fulfillments,
                (shopify_sim["fulfillments"],),
            ),
        ),
        "temu": (
            Target(
                "temu.orders",
                lambda p: temu.normalize_orders(p, account="fuzz"),
                (
                    _example("temu", "order_list.json"),
                    _example("temu", "order_detail.json"),
                    temu_orders,
                ),
            ),
            Target(
                "temu.listings",
                lambda p: temu.normalize_listings(p, account="fuzz"),
                (_example("temu", "goods_list.json"), temu_goods),
            ),
            Target(
                "temu.shipping_info",
                temu.normalize_shipping_info,
                (_example("temu", "shipping_info.json"),),
            ),
        ),
        "outbound_protocol": (
            Target(
                "outbound_protocol.callback",
                _outbound_callback,
                (
                    _example("outbound_protocol", "shipment_confirmed.json"),
                    _example("outbound_protocol", "stock_snapshot.json"),
                ),
            ),
            Target(
                "outbound_protocol.order",
                outbound_protocol.parse_outbound_order,
                (_example("outbound_protocol", "outbound_order.json"),),
            ),
            Target("outbound_protocol.answers", _outbound_answer, _outbound_answers()),
        ),
        "shipbob": (
            Target(
                "shipbob.shipments",
                lambda p: shipbob.normalize_shipments(p, warehouse="shipbob"),
                (_example("shipbob", "order.json"), order_example),
            ),
            Target("shipbob.webhook", _shipbob_webhook, (order_example["shipments"][0],)),
            Target(
                "shipbob.tracking",
                shipbob.normalize_tracking,
                (
                    _example("shipbob", "shipments_tracking.json"),
                    _shipbob_example("/2026-01/shipments-tracking"),
                ),
                _oas3_response(SHIPBOB, "/2026-01/shipments-tracking"),
            ),
            Target(
                "shipbob.stock",
                _shipbob_stock,
                (
                    _example("shipbob", "inventory_levels.json"),
                    _shipbob_example("/2026-01/inventory-level"),
                ),
                _oas3_response(SHIPBOB, "/2026-01/inventory-level"),
            ),
        ),
        "ups": (
            Target("ups.tracking", ups.normalize_tracking, (_example("ups", "tracking.json"),)),
        ),
        "easypost": (
            Target(
                "easypost.tracking",
                easypost.normalize_tracking,
                (_example("easypost", "tracker.json"),),
            ),
        ),
    }
