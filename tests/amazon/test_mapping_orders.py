"""Amazon order mapping on the contract's examples and on the edge cases the hub relies on."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from channelhub.core.errors import InvalidInput
from channelhub.core.models import ChannelOrderState, FulfilledBy, Money, PaymentMethod
from channelhub.mappings.amazon import normalize_orders, order_change
from tests.contracts import contract_file
from tests.swagger2 import SwaggerSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "amazon"


def _load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def test_examples_conform_to_the_contract() -> None:
    spec = SwaggerSpec.load(contract_file("amazon", "orders_2026-01-01.json"))
    for name in ("search_orders_response.json", "search_orders_cod_fba_cancelled.json"):
        schema = {"$ref": "#/definitions/SearchOrdersResponse"}
        assert list(spec.body_validator(schema).iter_errors(_load(name))) == [], name
    get_schema = {"$ref": "#/definitions/GetOrderResponse"}
    assert list(spec.body_validator(get_schema).iter_errors(_load("get_order_response.json"))) == []


def test_contract_search_orders_example() -> None:
    [order] = normalize_orders(_load("search_orders_response.json"), account="acme-us")
    assert order.channel == "amazon" and order.account == "acme-us"
    assert order.external_id == "123-4567890-1234567"
    assert order.marketplace == "ATVPDKIKX0DER"
    assert order.channel_status == "SHIPPED" and order.channel_state is ChannelOrderState.SHIPPED
    assert order.fulfilled_by is FulfilledBy.MERCHANT
    assert order.totals.total == Money.of("154.99", "USD")
    assert order.totals.subtotal == Money.of("149.97", "USD")
    assert order.ship_to is not None and order.ship_to.country == "US"
    assert order.ship_to.city == "Seattle" and order.buyer is not None
    assert order.buyer.name == "John Smith"
    first, second = order.lines
    assert (first.line_id, first.listing_id, first.channel_sku) == (
        "12345678901234",
        "B08N5WRWNW",
        "ECHO-DOT-4-CHARCOAL",
    )
    assert (first.quantity, first.shipped_quantity, first.cancelled_quantity) == (2, 2, 0)
    assert first.unit_price == Money.of("49.99", "USD")
    assert first.total == Money.of("100.00", "USD")
    assert second.quantity == 1 and second.open_quantity == 0
    assert order.shipping_service == "STANDARD"
    assert order.ship_by is not None and order.ship_by.isoformat() == "2024-12-27T23:59:59+00:00"
    assert "PRIME" in order.tags


def test_get_order_response_and_bare_order_give_the_same_order() -> None:
    body = _load("get_order_response.json")
    [from_response] = normalize_orders(body, account="a")
    [from_bare] = normalize_orders(body["order"], account="a")
    assert from_response == from_bare


def test_cod_fba_multi_currency_and_cancellation() -> None:
    cod, fba, cancelled = normalize_orders(
        _load("search_orders_cod_fba_cancelled.json"), account="acme"
    )
    assert cod.payment.method is PaymentMethod.CASH_ON_DELIVERY and not cod.payment.paid
    assert cod.payment.cod_amount == Money.of("264.50", "SAR")
    assert cod.totals.discount == Money.of("25.00", "SAR")
    assert cod.totals.shipping == Money.of("15.00", "SAR")
    assert cod.ship_to is not None and cod.ship_to.country == "SA"
    assert cod.channel_state is ChannelOrderState.UNSHIPPED
    assert [line.open_quantity for line in cod.lines] == [2, 1]

    assert fba.fulfilled_by is FulfilledBy.CHANNEL and fba.is_channel_fulfilled
    assert fba.currency == "EUR" and fba.totals.total.amount == Decimal("39.98")
    assert fba.ship_to is None and fba.buyer is None  # no RDT data in this page

    assert cancelled.channel_state is ChannelOrderState.CANCELLED
    [line] = cancelled.lines
    assert (line.quantity, line.cancelled_quantity, line.open_quantity) == (3, 3, 0)


def _order() -> dict[str, Any]:
    return copy.deepcopy(_load("search_orders_cod_fba_cancelled.json")["orders"][0])


def _error(order: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        normalize_orders({"orders": [order]}, account="a")
    return str(caught.value)


def test_unknown_status_names_field_and_value() -> None:
    order = _order()
    order["fulfillment"]["fulfillmentStatus"] = "LOST_IN_SPACE"
    assert (
        "orders[0].fulfillment.fulfillmentStatus: 'LOST_IN_SPACE' is not an Amazon order status"
        in (_error(order))
    )


def test_unfulfillable_is_kept_raw_as_unknown() -> None:
    order = _order()
    order["fulfillment"]["fulfillmentStatus"] = "UNFULFILLABLE"
    [mapped] = normalize_orders(order, account="a")
    assert mapped.channel_state is ChannelOrderState.UNKNOWN
    assert mapped.channel_status == "UNFULFILLABLE"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda o: o.pop("orderId"), "orders[0].orderId is missing"),
        (lambda o: o.pop("fulfillment"), "includedData=FULFILLMENT"),
        (lambda o: o["fulfillment"].pop("fulfilledBy"), "fulfillment.fulfilledBy is missing"),
        (
            lambda o: o["fulfillment"].update(fulfilledBy="DRONE"),
            "fulfillment.fulfilledBy: 'DRONE' is not AMAZON or MERCHANT",
        ),
        (
            lambda o: o["recipient"]["deliveryAddress"].update(countryCode="SAU"),
            "recipient.deliveryAddress.countryCode: 'SAU' is not an ISO 3166-1 alpha-2",
        ),
        (
            lambda o: o["proceeds"]["grandTotal"].update(amount=264.5),
            "proceeds.grandTotal.amount: 264.5 is not a decimal amount",
        ),
        (
            lambda o: o["proceeds"]["grandTotal"].update(currencyCode="RIYAL"),
            "proceeds.grandTotal.currencyCode: 'RIYAL' is not an ISO 4217",
        ),
        (
            lambda o: o["orderItems"][0].update(quantityOrdered="2"),
            "orderItems[0].quantityOrdered: '2' is not a whole number",
        ),
        (
            lambda o: o["orderItems"][0].update(quantityOrdered=0),
            "orderItems[0].quantityOrdered: 0 must be at least 1",
        ),
        (
            lambda o: o.update(createdTime="2026-03-01 08:00"),
            "createdTime: '2026-03-01 08:00' has no timezone",
        ),
        (lambda o: o.update(orderItems=[]), "orderItems: [] has no items"),
        (
            lambda o: o["proceeds"]["breakdowns"][0]["subtotal"].update(currencyCode="USD"),
            "differs from grandTotal's SAR",
        ),
    ],
)
def test_bad_fields_are_named_with_their_values(mutate: Any, expected: str) -> None:
    order = _order()
    mutate(order)
    assert expected in _error(order)


def test_not_an_order_document_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput, match="not a searchOrders or getOrder response"):
        normalize_orders({"hello": 1}, account="a")
    with pytest.raises(InvalidInput, match="is not a JSON object"):
        normalize_orders([1, 2], account="a")


def test_order_change_notification_gives_the_order_to_backfill() -> None:
    schema = json.loads(contract_file("amazon", "OrderChangeNotification.json").read_text())
    change = order_change(schema["examples"][0])
    assert change.order_id == "903-8868176-2219830"
    assert change.notification_id == "d0e9e693-c3ad-4373-979f-ed4ec98dd746"
    with pytest.raises(InvalidInput, match="NotificationType: 'ANY_OFFER_CHANGED'"):
        order_change({**schema["examples"][0], "NotificationType": "ANY_OFFER_CHANGED"})
