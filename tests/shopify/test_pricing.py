"""The connector's cost estimator agrees with Shopify's rules (the simulator prices every
document from the published schema) and page sizes are the largest the 1000-point limit allows."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse

from channelhub.core.errors import InvalidInput
from channelhub.mappings import shopify as m
from channelhub.mappings.shopify.pricing import MAX_QUERY_COST, largest_page, requested_cost
from channelhub.mappings.shopify.queries import ALL_DOCUMENTS, ORDER_LINE_ITEMS_QUERY, ORDERS_QUERY
from channelhub.mappings.shopify.requests import LINE_ITEMS_PAGE_SIZE, ORDERS_PAGE_SIZE
from channelhub.simulators.shopify import cost as shopify_cost
from channelhub.simulators.shopify.schema import load_admin_schema


def _shopify_price(document: str, variables: dict[str, Any]) -> int:
    ast = parse(document)
    (operation,) = [d for d in ast.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in ast.definitions if isinstance(d, FragmentDefinitionNode)}
    return shopify_cost.requested_cost(load_admin_schema(), operation, fragments, variables)


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
@pytest.mark.parametrize("size", [1, 6, 30, 142, 250])
def test_estimate_equals_shopifys_requested_cost(name: str, size: int) -> None:
    variables = {"first": size, "ids": [f"gid://shopify/InventoryItem/{i}" for i in range(size)]}
    assert requested_cost(ALL_DOCUMENTS[name], variables) == _shopify_price(
        ALL_DOCUMENTS[name], variables
    )


@pytest.mark.parametrize(
    ("document", "size", "fixed"),
    [(ORDERS_QUERY, ORDERS_PAGE_SIZE, {}), (ORDER_LINE_ITEMS_QUERY, LINE_ITEMS_PAGE_SIZE, {})],
)
def test_page_size_is_the_largest_that_fits_one_query(
    document: str, size: int, fixed: dict[str, Any]
) -> None:
    assert _shopify_price(document, {**fixed, "first": size}) <= MAX_QUERY_COST
    assert _shopify_price(document, {**fixed, "first": size + 1}) > MAX_QUERY_COST
    assert ORDERS_PAGE_SIZE == 20  # with 4 line slots per order read (983 points)


def test_largest_page_is_one_when_nothing_fits_and_caps_at_250() -> None:
    huge = "query($first: Int!) { orders(first: $first) { nodes { lineItems(first: 250) { nodes { id product { id } variant { id } } } } } }"  # noqa: E501
    assert largest_page(huge) == 1
    cheap = "query($first: Int!) { locations(first: $first) { nodes { id } } }"
    assert largest_page(cheap) == 250


def test_mutations_cost_ten() -> None:
    assert requested_cost(ALL_DOCUMENTS["FULFILLMENT_CREATE"], {}) == 10


def _node(ids: list[int], more: bool, cursor: str | None = "c1") -> dict[str, Any]:
    return {
        "id": "gid://shopify/Order/9",
        "lineItems": {
            "pageInfo": {"hasNextPage": more, "endCursor": cursor},
            "nodes": [{"id": f"gid://shopify/LineItem/{i}"} for i in ids],
        },
    }


def test_follow_up_line_items_are_appended_until_none_remain() -> None:
    node = _node([1, 2], more=True)
    assert m.more_line_items(node) == "c1"
    body = m.order_line_items_request("9", after="c1")
    assert body["variables"] == {
        "id": "gid://shopify/Order/9",
        "first": LINE_ITEMS_PAGE_SIZE,
        "after": "c1",
    }
    answer = {"data": {"order": _node([3], more=False, cursor="c2")}}
    whole = m.with_line_items(node, answer)
    assert [n["id"][-1] for n in whole["lineItems"]["nodes"]] == ["1", "2", "3"]
    assert m.more_line_items(whole) is None
    assert len(node["lineItems"]["nodes"]) == 2  # the node given is left as it was


def test_follow_up_reading_fails_loudly() -> None:
    with pytest.raises(InvalidInput, match="endCursor"):
        m.more_line_items(_node([1], more=True, cursor=None))
    with pytest.raises(InvalidInput, match="vanished"):
        m.with_line_items(_node([1], more=True), {"data": {"order": None}})
