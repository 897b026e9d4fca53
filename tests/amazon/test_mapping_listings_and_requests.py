"""Amazon listing mapping, request builders and the listings feed / processing report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ListingStatus, Money, Package, PackageLine
from channelhub.mappings.amazon import (
    StockUpdate,
    listings_feed_documents,
    normalize_listings,
    parse_processing_report,
)
from channelhub.mappings.amazon import requests as build
from tests.contracts import contract_file
from tests.swagger2 import (
    RecordedRequest,
    SwaggerSpec,
    validate_json_document,
    validate_listings_feed,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "amazon"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def _request(method: str, path: str, query: dict[str, str] | None = None, body: Any = None):
    content = json.dumps(body).encode() if body is not None else b""
    headers = {"content-type": "application/json"} if body is not None else {}
    request = httpx.Request(
        method, "https://sp.example" + path, params=query, content=content, headers=headers
    )
    return RecordedRequest.from_httpx(request)


def test_listing_from_search_listings_items_example() -> None:
    [listing] = normalize_listings(_load("search_listings_items_response.json"), account="acme")
    assert listing.listing_id == "GM-ZDPI-9B4E" == listing.channel_sku
    assert listing.marketplace == "ATVPDKIKX0DER"
    assert listing.identifiers == {"asin": "B071VG5N9D"}
    assert listing.price == Money.of("100.00", "USD")
    assert listing.quantity == 100
    assert listing.status is ListingStatus.ACTIVE
    assert listing.inventory_ref == "LUGGAGE"
    assert listing.title == "Hardside Carry-On Spinner Suitcase Luggage"


def test_listing_for_another_marketplace_takes_its_price_and_status() -> None:
    [listing] = normalize_listings(
        _load("search_listings_items_response.json"), account="acme", marketplace="A2EUQ1WTGCTBG2"
    )
    assert listing.price == Money.of("130.00", "CAD")
    assert listing.status is ListingStatus.INACTIVE  # empty status list: not buyable there


def test_get_listings_item_example_and_bad_values() -> None:
    [listing] = normalize_listings(_load("get_listings_item_response.json"), account="acme")
    assert listing.listing_id
    with pytest.raises(InvalidInput, match=r"item.summaries\[0\].status\[0\]: 'SLEEPING'"):
        normalize_listings(
            {
                "sku": "A",
                "summaries": [
                    {
                        "marketplaceId": "X",
                        "productType": "P",
                        "status": ["SLEEPING"],
                        "createdDate": "2026-01-01T00:00:00Z",
                        "lastUpdatedDate": "2026-01-01T00:00:00Z",
                    }
                ],
            },
            account="a",
        )
    with pytest.raises(InvalidInput, match=r"items\[0\].sku is missing"):
        normalize_listings({"items": [{"summaries": []}]}, account="a")
    with pytest.raises(InvalidInput, match=r"fulfillmentAvailability\[0\].quantity: -1"):
        normalize_listings(
            {
                "sku": "A",
                "fulfillmentAvailability": [{"fulfillmentChannelCode": "DEFAULT", "quantity": -1}],
            },
            account="a",
        )


def test_search_orders_query_holds_the_window_end_back_and_validates() -> None:
    spec = SwaggerSpec.load(contract_file("amazon", "orders_2026-01-01.json"))
    query = build.search_orders_query(
        marketplace_ids=["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
        updated_after=NOW - timedelta(hours=1),
        updated_before=NOW,  # asked for "now": must be held back
        now=NOW,
        with_pii=True,
    )
    assert query["lastUpdatedBefore"] == "2026-03-01T11:58:00Z"
    assert "BUYER" in query["includedData"] and "RECIPIENT" in query["includedData"]
    spec.assert_valid(_request("GET", build.SEARCH_ORDERS_PATH, query), "searchOrders")
    follow = build.search_orders_next_query("tok")
    assert follow == {"paginationToken": "tok"}
    spec.assert_valid(_request("GET", build.SEARCH_ORDERS_PATH, follow), "searchOrders")
    order_path = build.get_order_path("123-1234567-1234567")
    spec.assert_valid(_request("GET", order_path, build.get_order_query()), "getOrder")
    with pytest.raises(InvalidInput, match="updated_after: '2026-03-01T11:59:00Z' is after"):
        build.search_orders_query(
            marketplace_ids=["A"], updated_after=NOW - timedelta(minutes=1), now=NOW
        )


def test_confirm_shipment_body_per_package_validates() -> None:
    spec = SwaggerSpec.load(contract_file("amazon", "ordersV0.json"))
    package = Package(
        tracking_number="1Z999AA10123456784",
        carrier="ups",
        service="UPS Ground",
        lines=[PackageLine(sku="MUG", quantity=2, order_line_id="12345678901234")],
    )
    body = build.confirm_shipment_body(
        marketplace_id="ATVPDKIKX0DER", package=package, package_number=1, shipped_at=NOW
    )
    assert body["packageDetail"]["carrierCode"] == "UPS"
    path = build.confirm_shipment_path("123-4567890-1234567")
    spec.assert_valid(_request("POST", path, body=body), "confirmShipment")
    other = package.model_copy(update={"carrier": "Saudi Post"})
    detail = build.confirm_shipment_body(
        marketplace_id="A17E79C6D8DWNP", package=other, package_number=2, shipped_at=NOW
    )["packageDetail"]
    assert (detail["carrierCode"], detail["carrierName"]) == ("Other", "Saudi Post")
    no_item = package.model_copy(update={"lines": (PackageLine(sku="MUG", quantity=1),)})
    with pytest.raises(InvalidInput, match=r"package.lines\[0\].order_line_id: None is missing"):
        build.confirm_shipment_body(
            marketplace_id="M", package=no_item, package_number=1, shipped_at=NOW
        )


def test_patch_listing_and_feed_requests_validate() -> None:
    listings = SwaggerSpec.load(contract_file("amazon", "listingsItems_2021-08-01.json"))
    feeds = SwaggerSpec.load(contract_file("amazon", "feeds_2021-06-30.json"))
    tokens = SwaggerSpec.load(contract_file("amazon", "tokens_2021-03-01.json"))
    path = build.listings_item_path("A1SELLER", "SKU/with space")
    body = build.patch_quantity_body(product_type="LUGGAGE", quantity=7)
    listings.assert_valid(
        _request("PATCH", path, {"marketplaceIds": "ATVPDKIKX0DER"}, body), "patchListingsItem"
    )
    search = build.search_listings_query(marketplace_id="ATVPDKIKX0DER", page_token="p2")
    listings.assert_valid(
        _request("GET", build.listings_item_path("A1SELLER"), search), "searchListingsItems"
    )
    feeds.assert_valid(
        _request("POST", build.FEED_DOCUMENTS_PATH, body=build.create_feed_document_body())
    )
    feed_body = build.create_feed_body(document_id="doc-1", marketplace_ids=["ATVPDKIKX0DER"])
    feeds.assert_valid(_request("POST", build.FEEDS_PATH, body=feed_body), "createFeed")
    rdt = build.restricted_data_token_body(build.SEARCH_ORDERS_PATH)
    tokens.assert_valid(_request("POST", build.RDT_PATH, body=rdt), "createRestrictedDataToken")
    with pytest.raises(InvalidInput, match="quantity: -1"):
        build.patch_quantity_body(product_type="LUGGAGE", quantity=-1)


def test_feed_documents_split_at_the_message_limit_and_validate() -> None:
    schema = contract_file("amazon", "listings-feed-schema-v2.json")
    updates = [
        StockUpdate(sku=f"SKU-{i}", quantity=i % 7, product_type="LUGGAGE") for i in range(25)
    ]
    documents = listings_feed_documents(seller_id="A1", updates=updates, max_messages=10)
    assert [len(d.document["messages"]) for d in documents] == [10, 10, 5]
    for document in documents:
        assert validate_listings_feed(document.document, schema) == []
    [one] = listings_feed_documents(seller_id="A1", updates=updates)
    assert one.skus_by_message[25] == "SKU-24"
    with pytest.raises(InvalidInput, match=r"updates\[1\].sku: 'SKU-0' appears twice"):
        listings_feed_documents(seller_id="A1", updates=[updates[0], updates[0]])


def test_processing_report_gives_each_sku_a_result() -> None:
    report = _load("listings_feed_processing_report.json")
    schema = contract_file("amazon", "listings-feed-processing-report-schema-v2.json")
    assert validate_json_document(report, schema) == []
    skus = {1: "My-SKU-A", 2: "My-SKU-X", 3: "My-SKU-Y", 4: "My-SKU-B", 5: "My-SKU-C"}
    report["summary"]["messagesProcessed"] = 5
    results = {r.sku: r for r in parse_processing_report(report, skus_by_message=skus)}
    assert results["My-SKU-A"].accepted and results["My-SKU-A"].reason is None
    assert not results["My-SKU-B"].accepted
    assert results["My-SKU-B"].errors == (
        "90220: '[batteries_required]' is required but not supplied.",
        "90220: '[supplier_declared_dg_hz_regulation]' is required but not supplied.",
    )
    assert "purchasable_offer.our_price" in (results["My-SKU-C"].reason or "")


def test_processing_report_that_misses_messages_is_refused() -> None:
    report = _load("listings_feed_processing_report.json")
    skus = {n: f"S{n}" for n in range(1, 7)}
    with pytest.raises(InvalidInput, match="messagesProcessed: 4 covers fewer messages than the 6"):
        parse_processing_report(report, skus_by_message=skus)
    fatal = {
        "header": {"sellerId": "A1", "version": "2.0", "feedId": "1"},
        "issues": [{"code": "4000", "severity": "ERROR", "message": "Feed is not valid JSON"}],
        "summary": {
            "errors": 1,
            "warnings": 0,
            "messagesProcessed": 0,
            "messagesAccepted": 0,
            "messagesInvalid": 0,
        },
    }
    results = parse_processing_report(fatal, skus_by_message={1: "A", 2: "B"})
    assert [r.accepted for r in results] == [False, False]
    assert results[0].reason == "4000: Feed is not valid JSON"
