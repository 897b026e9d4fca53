"""Every document the Shopify connector and simulator use is valid against the schema."""

from __future__ import annotations

import pytest

from channelhub.mappings.shopify.queries import ALL_DOCUMENTS
from tests.graphql_contract import assert_valid, errors


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
