"""Every document the Shopify connector and simulator use is valid against the schema."""

from __future__ import annotations

import pytest

from channelhub.mappings.shopify.queries import ALL_DOCUMENTS
from tests.graphql_contract import assert_valid, assert_valid_request, errors, request_errors


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_document_is_valid_against_admin_schema(name: str) -> None:
    assert_valid(ALL_DOCUMENTS[name])


def test_a_wrong_field_fails() -> None:
    found = errors("query { orders(first: 1) { nodes { id totalPriceCents } } }")
    assert any("totalPriceCents" in message for message in found)
    with pytest.raises(pytest.fail.Exception):
        assert_valid("query { orders(first: 1) { nodes { id totalPriceCents } } }")


def test_a_wrong_mutation_input_fails() -> None:
    # In 2025-01 fulfillmentCreate takes FulfillmentInput (no ``trackingNumber`` field).
    document = """
    mutation { fulfillmentCreate(fulfillment: {lineItemsByFulfillmentOrder: [],
      trackingNumber: "1Z"}) { userErrors { message } } }
    """
    assert any("trackingNumber" in message for message in errors(document))


def test_a_syntax_error_is_reported() -> None:
    assert errors("query { orders(first: 1) { nodes { id }")[0].startswith("syntax:")


def _builder_bodies() -> dict[str, dict[str, object]]:
    from datetime import UTC, datetime

    from channelhub.mappings import shopify as m

    since = datetime(2026, 1, 1, tzinfo=UTC)
    changes = [m.QuantityChange("101", "201", 5, 4), m.QuantityChange("102", "201", 0, 3)]
    plan = [
        {
            "fulfillmentOrderId": "gid://shopify/FulfillmentOrder/1",
            "fulfillmentOrderLineItems": [
                {"id": "gid://shopify/FulfillmentOrderLineItem/2", "quantity": 1}
            ],
        }
    ]
    return {
        "orders": m.orders_request(updated_since=since, updated_before=since, after="c"),
        "order": m.order_request("5741234567890"),
        "line_items": m.order_line_items_request("5741234567890", after="c"),
        "products": m.products_request(location_id="201", updated_since=since),
        "locations": m.locations_request(after="x"),
        "set_quantities": m.inventory_set_quantities_request(changes, reference_document_uri="u"),
        "set_unchecked": m.inventory_set_quantities_request(
            [m.QuantityChange("101", "201", 5, None)]
        ),
        "levels": m.inventory_levels_request(["101", "102"]),
        "fulfillment_state": m.fulfillment_state_request("1"),
        "fulfillment_create": m.fulfillment_create_request(
            plan, company="UPS", number="1Z999", url="https://ups.example/1Z999"
        ),
        "order_fulfillments": m.order_fulfillments_request("1"),
    }


@pytest.mark.parametrize("name", sorted(_builder_bodies()))
def test_every_request_builder_body_is_valid(name: str) -> None:
    assert_valid_request(_builder_bodies()[name])


def test_bad_variables_are_caught() -> None:
    body = {
        "query": ALL_DOCUMENTS["INVENTORY_SET_QUANTITIES"],
        "variables": {"input": {"name": "available", "quantities": [{"quantity": "5"}]}},
    }
    found = request_errors(body)
    assert any("reason" in message for message in found)
    assert any("inventoryItemId" in message for message in found)
