"""The Swagger 2.0 request validator must accept good requests and catch bad ones."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.contracts import contract_file
from tests.swagger2 import RecordedRequest, SpecSet, SwaggerSpec, validate_listings_feed


@pytest.fixture
def orders() -> SwaggerSpec:
    return SwaggerSpec.load(contract_file("amazon", "orders_2026-01-01.json"))


@pytest.fixture
def orders_v0() -> SwaggerSpec:
    return SwaggerSpec.load(contract_file("amazon", "ordersV0.json"))


def _get(url: str) -> RecordedRequest:
    return RecordedRequest.from_httpx(httpx.Request("GET", url))


def test_good_search_orders_request_passes(orders: SwaggerSpec) -> None:
    request = _get(
        "https://x/orders/2026-01-01/orders?lastUpdatedAfter=2026-01-01T00:00:00Z"
        "&lastUpdatedBefore=2026-01-02T00:00:00Z&marketplaceIds=ATVPDKIKX0DER,A2EUQ1WTGCTBG2"
        "&includedData=BUYER,RECIPIENT&maxResultsPerPage=100"
    )
    assert orders.validate(request) == []
    assert orders.assert_valid(request) == "searchOrders"


def test_bad_search_orders_request_fails(orders: SwaggerSpec) -> None:
    request = _get(
        "https://x/orders/2026-01-01/orders?lastUpdatedAfter=yesterday"
        "&includedData=BUYER,SECRETS&maxResultsPerPage=lots&NextToken=abc"
        "&marketplaceIds=" + ",".join(f"M{i}" for i in range(51))
    )
    problems = orders.validate(request)
    text = "\n".join(problems)
    assert "'yesterday' is not an ISO 8601 date-time" in text
    assert "'SECRETS' is not one of" in text
    assert "'lots' is not an integer" in text
    assert "'NextToken' is not declared" in text
    assert "more than maxItems 50" in text
    with pytest.raises(AssertionError):
        orders.assert_valid(request)


def test_repeated_csv_array_is_refused(orders: SwaggerSpec) -> None:
    request = _get(
        "https://x/orders/2026-01-01/orders?lastUpdatedAfter=2026-01-01T00:00:00Z"
        "&marketplaceIds=A&marketplaceIds=B"
    )
    assert any("repeated 2 times" in p for p in orders.validate(request))


def test_path_and_operation_id_must_agree(orders: SwaggerSpec) -> None:
    request = _get("https://x/orders/2026-01-01/orders/123-1234567-1234567")
    assert orders.assert_valid(request) == "getOrder"
    assert orders.validate(request, "searchOrders")  # the path is not searchOrders'
    assert orders.validate(_get("https://x/orders/v0/orders")) != []


def _confirm(body: object, content_type: str = "application/json") -> RecordedRequest:
    return RecordedRequest.from_httpx(
        httpx.Request(
            "POST",
            "https://x/orders/v0/orders/902-1106328-1059050/shipmentConfirmation",
            content=json.dumps(body).encode(),
            headers={"content-type": content_type},
        )
    )


def test_confirm_shipment_body_is_validated_with_refs(orders_v0: SwaggerSpec) -> None:
    good = {
        "marketplaceId": "ATVPDKIKX0DER",
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "UPS",
            "trackingNumber": "1Z999",
            "shipDate": "2026-01-02T10:00:00Z",
            "orderItems": [{"orderItemId": "79039765272157", "quantity": 1}],
        },
    }
    assert orders_v0.validate(_confirm(good), "confirmShipment") == []
    bad = {
        "marketplaceId": "ATVPDKIKX0DER",
        "packageDetail": {
            "packageReferenceId": "1",
            "carrierCode": "UPS",
            "shipDate": "02/21/2022",
            "orderItems": [{"orderItemId": "1", "quantity": "one"}],
        },
    }
    problems = "\n".join(orders_v0.validate(_confirm(bad, "text/plain"), "confirmShipment"))
    assert "'trackingNumber' is a required property" in problems
    assert "'02/21/2022' is not a 'date-time'" in problems
    assert "'one' is not of type 'integer'" in problems
    assert "content-type 'text/plain'" in problems
    missing = RecordedRequest.from_parts(
        "POST", "/orders/v0/orders/1/shipmentConfirmation", content=b""
    )
    assert orders_v0.validate(missing) == ["confirmShipment: body is required but missing"]


def test_spec_set_routes_by_path() -> None:
    specs = SpecSet.load(
        contract_file("amazon", name)
        for name in ("orders_2026-01-01.json", "ordersV0.json", "listingsItems_2021-08-01.json")
    )
    ok = _get("https://x/listings/2021-08-01/items/SELLER1/SKU%2F1?marketplaceIds=ATVPDKIKX0DER")
    assert specs.assert_valid(ok) == "getListingsItem"
    no_market = _get("https://x/listings/2021-08-01/items/SELLER1/SKU1")
    assert "'marketplaceIds' is required but missing" in "\n".join(specs.validate(no_market))
    with pytest.raises(AssertionError):
        specs.assert_valid(_get("https://x/nowhere"))


def test_listings_feed_schema_example_passes_and_a_broken_feed_fails() -> None:
    schema = contract_file("amazon", "listings-feed-schema-v2.json")
    example_file = contract_file("amazon", "listings-feed-schema-v2.example.json")
    example = json.loads(example_file.read_text())
    assert validate_listings_feed(example, schema) == []
    broken = {
        "header": {"sellerId": "A1", "version": "1.0"},
        "messages": [{"messageId": 0, "sku": "", "operationType": "PATCH"}],
    }
    problems = "\n".join(validate_listings_feed(broken, schema))
    assert "'2.0' was expected" in problems
    assert "less than the minimum of 1" in problems
