"""The OpenAPI 3 request validator used by the eBay tests: accepts good requests, refuses bad."""

from __future__ import annotations

import httpx
import pytest
from openapi_core.exceptions import OpenAPIError

from tests.contracts import contract_file
from tests.openapi3 import assert_valid_httpx_request, assert_valid_request, openapi_spec

AUTH = {"Authorization": "Bearer v^1.1#token"}


@pytest.fixture(scope="module")
def fulfillment():  # type: ignore[no-untyped-def]
    return openapi_spec(contract_file("ebay", "sell_fulfillment_v1_oas3.json"))


@pytest.fixture(scope="module")
def inventory():  # type: ignore[no-untyped-def]
    return openapi_spec(contract_file("ebay", "sell_inventory_v1_oas3.json"))


def test_accepts_a_get_orders_call(fulfillment) -> None:  # type: ignore[no-untyped-def]
    assert_valid_request(
        fulfillment,
        "GET",
        "/sell/fulfillment/v1/order",
        query={"filter": "lastmodifieddate:[2026-01-01T00:00:00.000Z..]", "limit": "200"},
        headers=AUTH,
    )


def test_refuses_an_unknown_path(fulfillment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenAPIError):
        assert_valid_request(fulfillment, "GET", "/sell/fulfillment/v1/orders", headers=AUTH)


def test_refuses_a_wrong_method(fulfillment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenAPIError):
        assert_valid_request(fulfillment, "DELETE", "/order/123", headers=AUTH)


def test_refuses_a_body_of_the_wrong_shape(inventory) -> None:  # type: ignore[no-untyped-def]
    good = {"requests": [{"sku": "A1", "shipToLocationAvailability": {"quantity": 3}}]}
    headers = {**AUTH, "Content-Type": "application/json", "Content-Language": "en-US"}
    assert_valid_request(
        inventory, "POST", "/bulk_update_price_quantity", headers=headers, json=good
    )
    bad = {"requests": [{"sku": "A1", "shipToLocationAvailability": {"quantity": "three"}}]}
    with pytest.raises(OpenAPIError):
        assert_valid_request(
            inventory, "POST", "/bulk_update_price_quantity", headers=headers, json=bad
        )


def test_refuses_a_request_without_a_bearer_token(fulfillment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AssertionError, match="bearer"):
        assert_valid_request(fulfillment, "GET", "/order/123", headers={})


def test_validates_a_captured_httpx_request(fulfillment) -> None:  # type: ignore[no-untyped-def]
    request = httpx.Request(
        "POST",
        "http://ebay.test/sell/fulfillment/v1/order/12-34/shipping_fulfillment",
        json={
            "lineItems": [{"lineItemId": "1", "quantity": 1}],
            "shippingCarrierCode": "USPS",
            "trackingNumber": "9400100000000000000000",
        },
        headers={**AUTH},
    )
    assert_valid_httpx_request(fulfillment, request)
    wrong = httpx.Request(
        "POST",
        "http://ebay.test/sell/fulfillment/v1/order/12-34/shipping_fulfillment",
        json={"lineItems": "all"},
        headers={**AUTH},
    )
    with pytest.raises(OpenAPIError):
        assert_valid_httpx_request(fulfillment, wrong)
