"""The names the Wish connector sends and reads, checked against the third-party SDK's classes
(contracts/wish/*.java): a typo in a guessed contract at least fails here."""

from __future__ import annotations

import re
from functools import cache

import pytest

from channelhub.mappings.wish import orders_params, stock_body, token_params, tracking_params
from tests.contracts import contract_file
from tests.wish.harness import NOW, simulator

PROPERTY = re.compile(r'@JsonProperty\("([a-z_0-9]+)"\)')


@cache
def names(file: str) -> set[str]:
    return set(PROPERTY.findall(contract_file("wish", file).read_text(encoding="utf-8")))


def source(file: str) -> str:
    return contract_file("wish", file).read_text(encoding="utf-8")


def test_request_names_are_the_sdk_query_and_payload_names() -> None:
    assert set(token_params("a", "b", "c")) <= names("RefreshTokenQueryParams.java")
    assert set(orders_params(NOW, NOW, limit=5)) - {"limit"} <= names("OrdersQueryParams.java")
    assert set(tracking_params("1Z", "ups", "CN")) <= names("TrackingQueryParams.java")
    body = stock_body("W1", [("v1", 3)])
    assert set(body) <= names("ProductUpdatePayload.java")
    assert set(body["variations"][0]) <= names("VariationsUpdatePayload.java")
    assert set(body["variations"][0]["inventories"][0]) <= names("WarehouseInventory.java")
    assert {"limit", "created_at_min", "sort_by"} <= names("ProductsSyncQueryParams.java") | {
        "limit"
    }


def test_paths_are_the_sdk_client_paths() -> None:
    client = source("WishMerchantClient.java") + source("WishClient.java")
    for path in (
        '"/api/v3/oauth/refresh_token"',
        '"/api/v3/orders"',
        '"/api/v3/orders/%s/tracking"',
        '"/api/v3/orders/%s"',
        '"/api/v3/products"',
        '"/api/v3/products/%s"',
    ):
        assert path in client, path
    assert "setBearerAuth" in source("WishClient.java")


@pytest.mark.parametrize(
    ("file", "keys"),
    [
        ("WishData.java", None),
        ("WishToken.java", {"access_token", "expiry_time", "refresh_token"}),
        ("WishOrder.java", None),
        ("ProductInformation.java", {"id", "variation_id", "sku", "name"}),
        ("FullAddress.java", {"shipping_detail"}),
        ("ShippingDetail.java", None),
        ("PhoneNumber.java", {"number"}),
        ("OrderPayment.java", {"general_payment_details"}),
        ("GeneralPaymentDetails.java", None),
        ("Money.java", {"amount", "currency_code"}),
        ("TrackingInformation.java", {"tracking_number", "shipping_provider"}),
        ("ProductSyncPayload.java", {"id", "name", "created_at"}),
        ("ProductPayload.java", {"id", "name", "variations"}),
        ("Variations.java", {"id", "sku", "status", "price", "inventories", "gtin"}),
    ],
)
def test_the_simulator_answers_with_the_sdk_field_names(file: str, keys: set[str] | None) -> None:
    sim = simulator(order_count=1)
    order = next(iter(sim.shop.orders.values()))
    product = next(iter(sim.shop.products.values()))
    samples = {
        "WishOrder.java": set(order),
        "ShippingDetail.java": set(order["full_address"]["shipping_detail"]),
        "GeneralPaymentDetails.java": set(order["order_payment"]["general_payment_details"]),
    }
    declared = names(file) | ({"code", "message", "data"} if file == "WishData.java" else set())
    used = keys if keys is not None else samples.get(file, {"code", "message", "data"})
    assert used <= declared, used - declared
    if file == "ProductPayload.java":
        assert set(product) <= declared | {"parent_sku"}
