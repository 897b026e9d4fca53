"""Fulfilment on Shopify: read fulfillment orders, plan a package onto them, build
``fulfillmentCreate`` (2025-01: ``FulfillmentInput`` with ``trackingInfo`` and
``lineItemsByFulfillmentOrder``), and read fulfilments back.

A package names order lines and quantities; Shopify fulfils *fulfillment order* line items.
:func:`plan_fulfillment` translates one into the other, so partial fulfilment and several
packages per order work: each package takes only what is still remaining.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.core import strict
from channelhub.mappings.shopify import queries
from channelhub.mappings.shopify._wire import (
    arr,
    external_id,
    fail,
    gid,
    obj,
    opt_obj,
    opt_text,
    text,
    when,
    whole,
)
from channelhub.mappings.shopify.requests import GraphQLBody, data_of

_FULFILLABLE = {"OPEN", "IN_PROGRESS"}


@dataclass(frozen=True)
class FulfillmentOrderLine:
    """One line of a fulfillment order and how much of it is still to fulfil."""

    line_id: str  # the fulfillment order line item id
    order_line_id: str  # the order's line item id (what a package names)
    sku: str | None
    total_quantity: int
    remaining_quantity: int


@dataclass(frozen=True)
class FulfillmentOrder:
    """A group of an order's lines assigned to one location."""

    fulfillment_order_id: str
    status: str
    location_id: str | None
    lines: tuple[FulfillmentOrderLine, ...]


def fulfillment_state_request(order_id: str) -> GraphQLBody:
    """An order's fulfillment orders and the tracking numbers already on it, in one query:
    read the answer with :func:`parse_fulfillment_orders` and :func:`parse_pushed_tracking`."""
    return {"query": queries.FULFILLMENT_STATE_QUERY, "variables": {"id": gid("Order", order_id)}}


def parse_fulfillment_orders(response: object) -> list[FulfillmentOrder]:
    """Fulfillment orders from a ``FULFILLMENT_STATE_QUERY`` answer (empty if no order)."""
    order = opt_obj(data_of(response, "fulfillmentState").get("order"), "order")
    if order is None:
        return []
    connection = obj(order.get("fulfillmentOrders"), "order.fulfillmentOrders")
    result = []
    for i, raw in enumerate(arr(connection.get("nodes"), "order.fulfillmentOrders.nodes")):
        path = f"fulfillmentOrders[{i}]"
        node = obj(raw, path)
        assigned = opt_obj(node.get("assignedLocation"), f"{path}.assignedLocation")
        location = opt_obj(assigned.get("location"), f"{path}.location") if assigned else None
        lines = []
        items = obj(node.get("lineItems"), f"{path}.lineItems").get("nodes")
        for j, raw_line in enumerate(arr(items, f"{path}.lineItems.nodes")):
            lpath = f"{path}.lineItems.nodes[{j}]"
            line = obj(raw_line, lpath)
            lines.append(
                FulfillmentOrderLine(
                    line_id=external_id(line.get("id"), f"{lpath}.id"),
                    order_line_id=external_id(
                        obj(line.get("lineItem"), f"{lpath}.lineItem").get("id"),
                        f"{lpath}.lineItem.id",
                    ),
                    sku=opt_text(line.get("sku"), f"{lpath}.sku"),
                    total_quantity=whole(line.get("totalQuantity"), f"{lpath}.totalQuantity"),
                    remaining_quantity=whole(
                        line.get("remainingQuantity"), f"{lpath}.remainingQuantity"
                    ),
                )
            )
        result.append(
            FulfillmentOrder(
                fulfillment_order_id=external_id(node.get("id"), f"{path}.id"),
                status=text(node.get("status"), f"{path}.status"),
                location_id=external_id(location.get("id"), f"{path}.location.id")
                if location
                else None,
                lines=tuple(lines),
            )
        )
    return result


def plan_fulfillment(
    fulfillment_orders: Sequence[FulfillmentOrder], wanted: Mapping[str, int]
) -> list[dict[str, Any]]:
    """``lineItemsByFulfillmentOrder`` that fulfils ``wanted`` (order line id -> units).

    Takes from open fulfillment orders' remaining quantities; asking for more than remains
    is refused naming the line, so a package is never silently fulfilled short.
    """
    left = {line: qty for line, qty in wanted.items() if qty > 0}
    plan: dict[str, list[dict[str, Any]]] = {}
    for fo in fulfillment_orders:
        if fo.status not in _FULFILLABLE:
            continue
        for line in fo.lines:
            need = left.get(line.order_line_id, 0)
            take = min(need, line.remaining_quantity)
            if take <= 0:
                continue
            plan.setdefault(fo.fulfillment_order_id, []).append(
                {"id": gid("FulfillmentOrderLineItem", line.line_id), "quantity": take}
            )
            left[line.order_line_id] = need - take
    short = {line: qty for line, qty in left.items() if qty > 0}
    if short:
        line_id, qty = sorted(short.items())[0]
        raise fail(
            f"package.lines[{line_id}].quantity",
            qty,
            "exceeds what remains to fulfil on Shopify for that order line",
        )
    return [
        {"fulfillmentOrderId": gid("FulfillmentOrder", fo_id), "fulfillmentOrderLineItems": items}
        for fo_id, items in plan.items()
    ]


def fulfillment_create_request(
    line_items_by_fulfillment_order: Sequence[Mapping[str, Any]],
    *,
    company: str,
    number: str,
    url: str | None = None,
    notify_customer: bool = False,
    message: str | None = None,
) -> GraphQLBody:
    """``fulfillmentCreate`` for one package with its tracking (company, number, url)."""
    if not line_items_by_fulfillment_order:
        raise fail("lineItemsByFulfillmentOrder", [], "is empty: nothing to fulfil")
    tracking: dict[str, Any] = {"company": company, "number": number}
    if url:
        tracking["url"] = url
    return {
        "query": queries.FULFILLMENT_CREATE,
        "variables": {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": list(line_items_by_fulfillment_order),
                "trackingInfo": tracking,
                "notifyCustomer": notify_customer,
            },
            "message": message,
        },
    }


@dataclass(frozen=True)
class Tracking:
    company: str | None
    number: str | None
    url: str | None


@dataclass(frozen=True)
class ShopifyFulfillment:
    """A fulfilment as Shopify holds it: its tracking and which order lines it covers."""

    fulfillment_id: str
    status: str
    created_at: datetime
    tracking: tuple[Tracking, ...]
    lines: tuple[tuple[str, int], ...]  # (order line id, quantity)
    skus: tuple[str | None, ...] = ()  # the SKU of each of ``lines``, when Shopify has one


def _fulfillment(node: Mapping[str, Any], path: str) -> ShopifyFulfillment:
    tracking = tuple(
        Tracking(
            company=opt_text(t.get("company"), f"{path}.trackingInfo.company"),
            number=opt_text(t.get("number"), f"{path}.trackingInfo.number"),
            url=opt_text(t.get("url"), f"{path}.trackingInfo.url"),
        )
        for t in (obj(x, f"{path}.trackingInfo") for x in arr(node.get("trackingInfo"), path))
    )
    items = obj(node.get("fulfillmentLineItems"), f"{path}.fulfillmentLineItems").get("nodes")
    lines = []
    skus = []
    for j, raw in enumerate(arr(items, f"{path}.fulfillmentLineItems.nodes")):
        item = obj(raw, f"{path}.fulfillmentLineItems.nodes[{j}]")
        line = obj(item.get("lineItem"), f"{path}.fulfillmentLineItems.nodes[{j}].lineItem")
        skus.append(opt_text(line.get("sku"), f"{path}.lineItem.sku"))
        lines.append(
            (
                external_id(line.get("id"), f"{path}.lineItem.id"),
                whole(item.get("quantity"), f"{path}.quantity"),
            )
        )
    return ShopifyFulfillment(
        fulfillment_id=external_id(node.get("id"), f"{path}.id"),
        status=text(node.get("status"), f"{path}.status"),
        created_at=when(node.get("createdAt"), f"{path}.createdAt"),
        tracking=tracking,
        lines=tuple(lines),
        skus=tuple(skus),
    )


def parse_fulfillment_create(response: object) -> tuple[ShopifyFulfillment | None, list[str]]:
    """(the created fulfilment or None, Shopify's user error messages)."""
    payload = obj(
        data_of(response, "fulfillmentCreate").get("fulfillmentCreate"), "fulfillmentCreate"
    )
    errors = [
        f"{'.'.join(strict.message(f, 100) for f in arr(e.get('field'), 'field'))}: "
        f"{strict.message(e.get('message'))}".lstrip(": ")
        for e in (obj(x, "userErrors[]") for x in arr(payload.get("userErrors"), "userErrors"))
    ]
    node = opt_obj(payload.get("fulfillment"), "fulfillmentCreate.fulfillment")
    return (None if node is None else _fulfillment(node, "fulfillment")), errors


def order_fulfillments_request(order_id: str) -> GraphQLBody:
    """The fulfilments already on an order (read back what was pushed)."""
    return {"query": queries.ORDER_FULFILLMENTS_QUERY, "variables": {"id": gid("Order", order_id)}}


def parse_order_fulfillments(response: object) -> list[ShopifyFulfillment]:
    """Fulfilments from an ``ORDER_FULFILLMENTS_QUERY`` answer (empty if no order)."""
    order = opt_obj(data_of(response, "orderFulfillments").get("order"), "order")
    if order is None:
        return []
    return [
        _fulfillment(obj(raw, f"fulfillments[{i}]"), f"fulfillments[{i}]")
        for i, raw in enumerate(arr(order.get("fulfillments"), "order.fulfillments"))
    ]


def parse_pushed_tracking(response: object) -> dict[str, str]:
    """Tracking number → the fulfilment holding it, from a ``FULFILLMENT_STATE_QUERY`` answer."""
    order = opt_obj(data_of(response, "fulfillmentState").get("order"), "order")
    if order is None:
        return {}
    found: dict[str, str] = {}
    for i, raw in enumerate(arr(order.get("fulfillments"), "order.fulfillments")):
        path = f"fulfillments[{i}]"
        node = obj(raw, path)
        fulfillment_id = external_id(node.get("id"), f"{path}.id")
        for t in arr(node.get("trackingInfo"), f"{path}.trackingInfo"):
            number = opt_text(obj(t, f"{path}.trackingInfo").get("number"), f"{path}.number")
            if number:
                found[number] = fulfillment_id
    return found
