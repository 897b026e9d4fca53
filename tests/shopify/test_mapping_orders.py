"""Shopify order mapping: GraphQL responses, nodes and REST/webhook JSON -> canonical Order."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ChannelOrderState, Money, PaymentMethod
from channelhub.mappings.shopify import (
    load_webhook_json,
    normalize_orders,
    order_from_node,
    rest_order_to_node,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "shopify"


def _example(name: str) -> Any:
    return load_webhook_json((EXAMPLES / name).read_bytes())


def test_graphql_response_maps_every_order() -> None:
    orders = normalize_orders(_example("orders_graphql_response.json"), account="eu-shop")
    assert [o.external_id for o in orders] == ["5741234567890", "5741234567999"]
    first = orders[0]
    assert first.channel == "shopify" and first.account == "eu-shop"
    assert first.currency == "EUR"
    assert first.totals.total == Money.of("67.40", "EUR")
    assert first.totals.refunded == Money.of("24.95", "EUR")
    assert first.ship_to is not None and first.ship_to.country == "DE"
    assert first.channel_state is ChannelOrderState.UNSHIPPED
    assert first.channel_status == "PARTIALLY_REFUNDED/UNFULFILLED"
    mug, tea = first.lines
    assert mug.line_id == "14001234567890" and mug.listing_id == "8123456789012"
    assert mug.variation_id == "45012345678901" and mug.title == "Ceramic mug - Black / 350 ml"
    assert mug.unit_price == Money.of("19.95", "EUR") and mug.cancelled_quantity == 0
    # one of two teas was refunded before shipping: it is no longer to be shipped
    assert (tea.quantity, tea.cancelled_quantity, tea.open_quantity) == (2, 1, 1)
    assert tea.total == Money.of("49.90", "EUR")
    assert first.remarks == "Please leave at the door" and first.tags == ("vip", "eu")


def test_cash_on_delivery_from_gateway() -> None:
    cod = normalize_orders(_example("orders_graphql_response.json"), account="a")[1]
    assert cod.payment.method is PaymentMethod.CASH_ON_DELIVERY
    assert cod.payment.cod_amount == Money.of("169.00", "SAR")
    assert cod.payment.paid is False
    # pending payment on a COD order is still ready to ship
    assert cod.channel_state is ChannelOrderState.UNSHIPPED
    assert cod.ship_to is not None and cod.ship_to.region == "01"


def test_rest_webhook_order_with_id_beyond_2_pow_53() -> None:
    raw = (EXAMPLES / "order_webhook_rest.json").read_bytes()
    (order,) = normalize_orders({"order": load_webhook_json(raw)}, account="uk")
    assert order.external_id == "9007199254740993123"  # exact, not float-rounded
    assert order.lines[0].line_id == "14009007199254740993"
    assert order.channel_state is ChannelOrderState.CANCELLED
    assert order.channel_status == "REFUNDED/UNFULFILLED/CANCELLED:CUSTOMER"
    assert order.lines[0].cancelled_quantity == 2 and order.lines[0].open_quantity == 0
    assert order.totals.refunded == Money.of("43.97", "GBP")
    assert order.totals.total == Money.of("0.00", "GBP")
    assert order.ship_to is not None and order.ship_to.country == "GB"
    assert order.buyer is not None and order.buyer.external_id == "7012345678999"
    assert order.tags == ("gift", "repeat")
    assert order.placed_at.tzinfo is not None and order.placed_at.utcoffset().total_seconds() == 0


def test_bare_rest_order_and_wrapped_give_the_same_order() -> None:
    body = _example("order_webhook_rest.json")
    assert normalize_orders(body, account="uk") == normalize_orders({"order": body}, account="uk")


def test_rest_and_graphql_shapes_of_one_order_agree() -> None:
    rest = _example("order_webhook_rest.json")
    via_rest = normalize_orders(rest, account="uk")[0]
    via_node = order_from_node(rest_order_to_node(rest), account="uk")
    assert via_rest == via_node


def test_single_graphql_node_and_data_order() -> None:
    node = _example("orders_graphql_response.json")["data"]["orders"]["edges"][0]["node"]
    assert normalize_orders(node, account="a")[0].external_id == "5741234567890"
    assert normalize_orders({"data": {"order": node}}, account="a")[0].external_id == (
        "5741234567890"
    )
    assert normalize_orders({"data": {"order": None}}, account="a") == []


def test_cancelled_graphql_order_cancels_unshipped_units_only() -> None:
    node = copy.deepcopy(_example("orders_graphql_response.json")["data"]["orders"]["edges"][0])
    order = node["node"]
    order["cancelledAt"] = "2026-01-06T11:00:00Z"
    order["cancelReason"] = "INVENTORY"
    order["displayFulfillmentStatus"] = "PARTIALLY_FULFILLED"
    mug = order["lineItems"]["nodes"][0]
    mug["unfulfilledQuantity"] = 1  # one of two mugs already shipped
    (mapped,) = normalize_orders(order, account="a")
    assert mapped.channel_state is ChannelOrderState.CANCELLED
    assert (mapped.lines[0].shipped_quantity, mapped.lines[0].cancelled_quantity) == (1, 1)


def test_float_id_is_refused_naming_the_field() -> None:
    body = _example("order_webhook_rest.json")
    body["id"] = 9.007199254740993e18
    with pytest.raises(InvalidInput) as caught:
        normalize_orders(body, account="uk")
    assert "id" in str(caught.value) and "2^53" in str(caught.value)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("lineItems", "nodes", 0, "quantity"), "two", "lineItems.nodes[0].quantity: 'two'"),
        (("shippingAddress", "countryCodeV2"), "DEU", "shippingAddress.countryCodeV2: 'DEU'"),
        (("updatedAt",), "yesterday", "updatedAt: 'yesterday'"),
        (("currentTotalPriceSet", "presentmentMoney", "amount"), "12,50", "amount: '12,50'"),
        (("currentTotalPriceSet", "presentmentMoney", "currencyCode"), "EURO", "'EURO'"),
    ],
)
def test_bad_fields_raise_invalid_input_naming_field_and_value(
    path: tuple[Any, ...], value: object, expected: str
) -> None:
    node = copy.deepcopy(_example("orders_graphql_response.json")["data"]["orders"]["edges"][0])
    target: Any = node["node"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InvalidInput) as caught:
        normalize_orders(node["node"], account="a")
    assert expected in str(caught.value)


def test_order_with_more_lines_than_read_is_refused_not_truncated() -> None:
    node = _example("orders_graphql_response.json")["data"]["orders"]["edges"][0]["node"]
    node["lineItems"]["pageInfo"]["hasNextPage"] = True
    with pytest.raises(InvalidInput, match="not every line of the order was read"):
        normalize_orders(node, account="a")


def test_graphql_errors_without_data_are_refused() -> None:
    with pytest.raises(InvalidInput, match="errors"):
        normalize_orders({"errors": [{"message": "Throttled"}]}, account="a")


def test_something_else_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="not a Shopify order"):
        normalize_orders({"hello": 1}, account="a")


def test_webhook_json_keeps_numbers_exact() -> None:
    parsed = load_webhook_json(b'{"id": 9007199254740993123, "amount": 12.10}')
    assert parsed["id"] == 9007199254740993123 and parsed["amount"] == Decimal("12.10")
    assert json.loads(b'{"id": 9007199254740993123}')["id"] == 9007199254740993123
    with pytest.raises(InvalidInput):
        load_webhook_json(b"{not json")
