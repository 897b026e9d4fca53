"""The wrong-data and crash cases of issue 18 (items 4 and 6), each pinned on the published
example it was found with: every one is now the hub's own InvalidInput naming the field."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.mappings import amazon, ebay, shopify, temu
from tests.fuzz.targets import _example


def _shopify() -> dict[str, Any]:
    return copy.deepcopy(_example("shopify", "orders_graphql_response.json"))


def _shopify_node(doc: dict[str, Any]) -> dict[str, Any]:
    orders = doc["data"]["orders"]
    return orders["edges"][0]["node"] if "edges" in orders else orders["nodes"][0]


def _refused(call: Callable[[], object], *needles: str) -> str:
    started = time.process_time()
    with pytest.raises(InvalidInput) as caught:
        call()
    assert time.process_time() - started < 2.0  # a hang detector, not a speed assertion
    message = str(caught.value)
    for needle in needles:
        assert needle in message, message
    assert len(message) < 600
    return message


def test_shopify_taxes_in_two_currencies_are_not_summed() -> None:
    doc = _shopify()
    line = _shopify_node(doc)["lineItems"]["nodes"][0]
    line["taxLines"] = [
        {"priceSet": {"presentmentMoney": {"amount": "1.00", "currencyCode": "EUR"}}},
        {"priceSet": {"presentmentMoney": {"amount": "500", "currencyCode": "JPY"}}},
    ]
    _refused(lambda: shopify.normalize_orders(doc, account="a"), "EUR", "JPY", "taxLines[1]")


def test_ebay_taxes_in_two_currencies_are_refused_not_a_crash() -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["lineItems"][0]["taxes"].append(
        {"taxType": "VAT", "amount": {"value": "2.00", "currency": "EUR"}}
    )
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "USD", "EUR", "taxes[1]")


def test_python_reprs_are_not_stored_as_tags() -> None:
    doc = _shopify()
    _shopify_node(doc)["tags"] = ["vip", {"name": "eu"}]
    _refused(lambda: shopify.normalize_orders(doc, account="a"), "tags[1]", "is not text")


@pytest.mark.parametrize("order_id", ["²³", "Ⅻ", "123 456", "x" * 300])
def test_an_order_id_must_have_the_platforms_shape(order_id: str) -> None:
    doc = copy.deepcopy(_example("amazon", "search_orders_response.json"))
    doc["orders"][0]["orderId"] = order_id
    _refused(lambda: amazon.normalize_orders(doc, account="a"), "orders[0].orderId")
    doc = _shopify()
    _shopify_node(doc)["id"] = order_id
    _refused(lambda: shopify.normalize_orders(doc, account="a"), "id")


@pytest.mark.parametrize("quantity", ["1e999999", "²", "٣", 10**40, "9" * 5_000, -2, 0])
def test_hostile_quantities_are_refused_at_once(quantity: object) -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["lineItems"][0]["quantity"] = quantity
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "lineItems[0].quantity")
    doc = copy.deepcopy(_example("temu", "order_list.json"))
    doc["result"]["pageItems"][0]["orderList"][0]["quantity"] = quantity
    _refused(lambda: temu.normalize_orders(doc, account="a"), "orderList[0].quantity")


def test_negative_prices_and_totals_are_refused() -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["pricingSummary"]["total"]["value"] = "-48.18"
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "total.value", "negative")
    doc = _shopify()
    line = _shopify_node(doc)["lineItems"]["nodes"][0]
    line["originalUnitPriceSet"]["presentmentMoney"]["amount"] = "-19.95"
    _refused(lambda: shopify.normalize_orders(doc, account="a"), "originalUnitPriceSet", "negative")


def test_a_megabyte_title_or_sku_is_refused_and_quoted_short() -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["lineItems"][0]["title"] = "t" * 1_000_000
    message = _refused(lambda: ebay.normalize_orders(doc, account="a"), "title", "longer than")
    assert "1,000,000 characters" in message
    doc = copy.deepcopy(_example("amazon", "search_orders_response.json"))
    doc["orders"][0]["orderItems"][0]["product"]["sellerSku"] = "S" * 1_000_000
    _refused(lambda: amazon.normalize_orders(doc, account="a"), "sellerSku", "longer than")


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_a_year_1_date_is_refused_not_an_overflow(when: str) -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["creationDate"] = when
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "creationDate")
    doc = copy.deepcopy(_example("amazon", "search_orders_response.json"))
    doc["orders"][0]["createdTime"] = when
    _refused(lambda: amazon.normalize_orders(doc, account="a"), "createdTime")


def test_an_amount_too_large_for_the_database_is_refused() -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["pricingSummary"]["total"]["value"] = "1" + "0" * 15
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "total.value", "below")


@pytest.mark.parametrize("order_id", ["12-10001", "1-23456-78901", "12-10001-2000²"])
def test_an_ebay_order_id_has_ebays_shape(order_id: str) -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["orderId"] = order_id
    _refused(lambda: ebay.normalize_orders(doc, account="a"), "orderId", "eBay order id")


def test_blank_optional_text_reads_as_absent_not_as_an_error() -> None:
    doc = copy.deepcopy(_example("ebay", "get_orders.json"))
    doc["orders"][0]["lineItems"][0]["title"] = " " * 5_000
    (order, *_) = ebay.normalize_orders(doc, account="a")
    assert order.lines[0].title is None
