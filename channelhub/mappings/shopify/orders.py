"""Shopify orders -> canonical ``Order``: GraphQL nodes, GraphQL responses and REST/webhook JSON.

Every shape is reduced to the GraphQL ``Order`` node (REST via :mod:`.rest`) and normalised by
:func:`order_from_node`, so a webhook and an import of the same order give the same result.
Ids become digit strings (``gid://shopify/Order/123`` and REST ``123`` both -> ``"123"``);
money is the presentment money (the buyer's currency) as Decimal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import (
    ChannelOrderState,
    Money,
    Order,
    Payment,
    PaymentMethod,
)
from channelhub.core.validation import parse, refusing
from channelhub.mappings.shopify._wire import (
    SOURCE,
    arr,
    external_id,
    fail,
    money_bag,
    obj,
    opt_external_id,
    opt_obj,
    opt_text,
    opt_when,
    text,
    when,
    whole,
)
from channelhub.mappings.shopify.rest import rest_order_to_node

CHANNEL = "shopify"
_COD = re.compile(r"cash\s*on\s*delivery|\bcod\b", re.IGNORECASE)
_PAID = {"PAID", "PARTIALLY_REFUNDED", "REFUNDED"}
_NOTHING_TO_SHIP = {"REFUNDED", "VOIDED", "EXPIRED"}


def is_cash_on_delivery(gateways: list[str]) -> bool:
    """True when a payment gateway name says cash on delivery (``Cash on Delivery (COD)``)."""
    return any(_COD.search(name) for name in gateways)


def channel_state(
    financial: str | None, fulfillment: str | None, *, cancelled: bool, cod: bool
) -> ChannelOrderState:
    """Shopify's financial + fulfillment status, normalised.

    A COD order is ``PENDING`` payment until the carrier collects, yet it is ready to ship,
    so pending payment means "pending" only for prepaid orders.
    """
    if cancelled:
        return ChannelOrderState.CANCELLED
    if fulfillment == "FULFILLED":
        return ChannelOrderState.SHIPPED
    if fulfillment == "PARTIALLY_FULFILLED":
        return ChannelOrderState.PARTIALLY_SHIPPED
    if financial in _NOTHING_TO_SHIP:
        return ChannelOrderState.CANCELLED
    if financial == "PENDING" and not cod:
        return ChannelOrderState.PENDING
    if financial in {"PENDING", "AUTHORIZED", "PAID", "PARTIALLY_PAID", "PARTIALLY_REFUNDED"}:
        return ChannelOrderState.UNSHIPPED
    return ChannelOrderState.UNKNOWN


def _money(value: object, path: str) -> dict[str, Any] | None:
    pair = money_bag(value, path)
    return None if pair is None else {"amount": pair[0], "currency": pair[1]}


def _line(node: Mapping[str, Any], path: str, *, cancelled_order: bool) -> dict[str, Any]:
    quantity = whole(node.get("quantity"), f"{path}.quantity")
    current = whole(node.get("currentQuantity", quantity), f"{path}.currentQuantity")
    unfulfilled = whole(node.get("unfulfilledQuantity", current), f"{path}.unfulfilledQuantity")
    non_fulfillable = node.get("nonFulfillableQuantity")
    removed_units = (
        whole(non_fulfillable, f"{path}.nonFulfillableQuantity")
        if non_fulfillable is not None
        else quantity - current
    )
    shipped = min(max(quantity - unfulfilled - removed_units, 0), quantity)
    cancelled = quantity - shipped if cancelled_order else max(quantity - current, 0)
    cancelled = min(cancelled, quantity - shipped)
    taxes = []
    for t, tax in enumerate(arr(node.get("taxLines"), f"{path}.taxLines")):
        where = f"{path}.taxLines[{t}].priceSet"
        pair = money_bag(obj(tax, f"{path}.taxLines[{t}]").get("priceSet"), where)
        if pair is not None:
            taxes.append(
                (f"{where}.presentmentMoney.currencyCode", Money(amount=pair[0], currency=pair[1]))
            )
    tax_sum = strict.money_sum(taxes, f"{path}.taxLines", source=SOURCE)
    tax_total = (
        None if tax_sum is None else {"amount": tax_sum.amount, "currency": tax_sum.currency}
    )
    title = opt_text(node.get("title"), f"{path}.title", strict.TITLE_CHARS)
    variant_title = opt_text(node.get("variantTitle"), f"{path}.variantTitle")
    if title and variant_title and variant_title != "Default Title":
        title = f"{title} - {variant_title}"
    product = opt_obj(node.get("product"), f"{path}.product")
    variant = opt_obj(node.get("variant"), f"{path}.variant")
    return {
        "line_id": external_id(node.get("id"), f"{path}.id"),
        "listing_id": opt_external_id(product.get("id"), f"{path}.product.id") if product else None,
        "variation_id": opt_external_id(variant.get("id"), f"{path}.variant.id")
        if variant
        else None,
        "channel_sku": opt_text(node.get("sku"), f"{path}.sku", strict.SKU_CHARS),
        "title": title,
        "quantity": quantity,
        "cancelled_quantity": cancelled,
        "shipped_quantity": shipped,
        "unit_price": _money(node.get("originalUnitPriceSet"), f"{path}.originalUnitPriceSet"),
        "total": _money(node.get("discountedTotalSet"), f"{path}.discountedTotalSet"),
        "tax": tax_total,
        "discount": _money(node.get("totalDiscountSet"), f"{path}.totalDiscountSet"),
    }


def _address(node: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if node is None:
        return None
    path = "shippingAddress"
    name = opt_text(node.get("name"), f"{path}.name")
    if name is None:
        parts = [opt_text(node.get(k), f"{path}.{k}") for k in ("firstName", "lastName")]
        name = " ".join(p for p in parts if p) or None
    country = node.get("countryCodeV2")
    if not isinstance(country, str) or len(country.strip()) != 2:
        raise fail(f"{path}.countryCodeV2", country, "is not an ISO 3166-1 alpha-2 country code")
    return {
        "name": name,
        "company": opt_text(node.get("company"), f"{path}.company"),
        "line1": opt_text(node.get("address1"), f"{path}.address1"),
        "line2": opt_text(node.get("address2"), f"{path}.address2"),
        "city": opt_text(node.get("city"), f"{path}.city"),
        "region": opt_text(node.get("provinceCode"), f"{path}.provinceCode")
        or opt_text(node.get("province"), f"{path}.province"),
        "postal_code": opt_text(node.get("zip"), f"{path}.zip"),
        "country": country.strip().upper(),
        "phone": opt_text(node.get("phone"), f"{path}.phone"),
    }


def order_from_node(node: Mapping[str, Any], *, account: str) -> Order:
    """One GraphQL ``Order`` node (as ``queries.ORDER_FIELDS`` selects it) -> canonical Order."""
    order_id = external_id(node.get("id"), "id")
    cancelled_at = opt_when(node.get("cancelledAt"), "cancelledAt")
    cancel_reason = opt_text(node.get("cancelReason"), "cancelReason", strict.CODE_CHARS)
    financial = opt_text(
        node.get("displayFinancialStatus"), "displayFinancialStatus", strict.CODE_CHARS
    )
    fulfillment = opt_text(
        node.get("displayFulfillmentStatus"), "displayFulfillmentStatus", strict.CODE_CHARS
    )
    gateways = list(
        strict.tags(
            arr(node.get("paymentGatewayNames"), "paymentGatewayNames"),
            "paymentGatewayNames",
            source=SOURCE,
        )
    )
    cod = is_cash_on_delivery(gateways)
    created = when(node.get("createdAt"), "createdAt")
    updated = when(node.get("updatedAt"), "updatedAt")
    processed = opt_when(node.get("processedAt"), "processedAt")
    placed = processed if processed is not None and processed <= updated else created
    raw_status = f"{financial or 'NONE'}/{fulfillment or 'NONE'}"
    if cancelled_at is not None:
        raw_status += f"/CANCELLED:{cancel_reason or 'OTHER'}"
    total = _money(node.get("currentTotalPriceSet"), "currentTotalPriceSet")
    if total is None:
        raise fail("currentTotalPriceSet", None, "is missing (the order total is required)")
    outstanding = _money(node.get("totalOutstandingSet"), "totalOutstandingSet")
    refunded = _money(node.get("totalRefundedSet"), "totalRefundedSet")
    customer = opt_obj(node.get("customer"), "customer")
    shipping_line = opt_obj(node.get("shippingLine"), "shippingLine")
    line_items = obj(node.get("lineItems"), "lineItems")
    more = opt_obj(line_items.get("pageInfo"), "lineItems.pageInfo")
    if more and more.get("hasNextPage"):
        why = "— not every line of the order was read; refusing a partial order"
        raise fail("lineItems.pageInfo.hasNextPage", True, why)
    line_nodes = arr(line_items.get("nodes"), "lineItems.nodes")
    lines = [
        _line(
            obj(item, f"lineItems.nodes[{i}]"),
            f"lineItems.nodes[{i}]",
            cancelled_order=cancelled_at is not None,
        )
        for i, item in enumerate(line_nodes)
    ]
    tags = strict.tags(arr(node.get("tags"), "tags"), "tags", source=SOURCE)
    data: dict[str, Any] = {
        "channel": CHANNEL,
        "account": account,
        "external_id": order_id,
        "channel_status": raw_status,
        "channel_state": channel_state(
            financial, fulfillment, cancelled=cancelled_at is not None, cod=cod
        ),
        "placed_at": placed,
        "updated_at": updated,
        "buyer": {
            "external_id": opt_external_id(customer.get("id"), "customer.id") if customer else None,
            "name": opt_text(customer.get("displayName"), "customer.displayName")
            if customer
            else None,
            "email": opt_text(node.get("email"), "email")
            or (opt_text(customer.get("email"), "customer.email") if customer else None),
            "phone": opt_text(node.get("phone"), "phone")
            or (opt_text(customer.get("phone"), "customer.phone") if customer else None),
        },
        "ship_to": _address(opt_obj(node.get("shippingAddress"), "shippingAddress")),
        "payment": Payment(
            method=PaymentMethod.CASH_ON_DELIVERY if cod else PaymentMethod.PREPAID,
            paid=financial in _PAID,
            cod_amount=None
            if not cod or outstanding is None or outstanding["amount"] <= 0
            else outstanding,
            gateway=", ".join(gateways) or None,
        ),
        "totals": {
            "subtotal": _money(node.get("currentSubtotalPriceSet"), "currentSubtotalPriceSet"),
            "shipping": _money(node.get("totalShippingPriceSet"), "totalShippingPriceSet"),
            "tax": _money(node.get("currentTotalTaxSet"), "currentTotalTaxSet"),
            "discount": _money(node.get("currentTotalDiscountsSet"), "currentTotalDiscountsSet"),
            "total": total,
            "refunded": refunded if refunded is not None and refunded["amount"] > 0 else None,
        },
        "lines": lines,
        "shipping_service": opt_text(shipping_line.get("title"), "shippingLine.title")
        if shipping_line
        else None,
        "remarks": opt_text(node.get("note"), "note", strict.NOTE_CHARS),
        "tags": tuple(tags),
    }
    return parse(Order, data, source=f"{SOURCE} order {order_id}")


def _is_rest(order: Mapping[str, Any]) -> bool:
    return "line_items" in order or "admin_graphql_api_id" in order or "created_at" in order


def _one(order: object, path: str, account: str) -> Order:
    mapping = obj(order, path)
    node = rest_order_to_node(mapping) if _is_rest(mapping) else mapping
    try:
        with refusing(SOURCE):
            return order_from_node(node, account=account)
    except InvalidInput as exc:
        if path == "(order)":
            raise
        raise InvalidInput([f"{path}: {p}" for p in exc.problems], source=exc.source) from exc


def _connection_nodes(connection: Mapping[str, Any], path: str) -> list[tuple[str, Any]]:
    if "edges" in connection:
        edges = arr(connection["edges"], f"{path}.edges")
        return [
            (f"{path}.edges[{i}].node", obj(edge, f"{path}.edges[{i}]").get("node"))
            for i, edge in enumerate(edges)
        ]
    return [(f"{path}.nodes[{i}]", n) for i, n in enumerate(arr(connection.get("nodes"), path))]


def normalize_orders(payload: object, *, account: str) -> list[Order]:
    """Every order in ``payload``, which may be any of the shapes Shopify sends.

    Accepted: a GraphQL response (``{"data": {"orders": ...}}`` or ``{"data": {"order": ...}}``),
    its ``data`` object, an orders connection, a single GraphQL ``Order`` node, a REST/webhook
    order (``{"order": {...}}`` or bare) or a REST list (``{"orders": [...]}``), or a list of
    any of these order objects.
    """
    if isinstance(payload, list):
        return [_one(item, f"[{i}]", account) for i, item in enumerate(payload)]
    body = obj(payload, "(payload)")
    if "data" in body or "errors" in body:
        if body.get("errors") and not body.get("data"):
            raise fail("errors", body.get("errors"), "— the response carries no data")
        body = obj(body.get("data"), "data")
    if "orders" in body:
        orders = body["orders"]
        if isinstance(orders, list):
            return [_one(item, f"orders[{i}]", account) for i, item in enumerate(orders)]
        pairs = _connection_nodes(obj(orders, "orders"), "orders")
        return [_one(node, path, account) for path, node in pairs]
    if "order" in body and len(body) == 1:
        if body["order"] is None:
            return []
        return [_one(body["order"], "order", account)]
    if "id" in body:
        return [_one(body, "(order)", account)]
    raise fail("(payload)", sorted(body)[:5], "is not a Shopify order, order list or response")


def order_updated_at(node: object) -> str:
    """A GraphQL order node's ``updatedAt`` text, for cursors (raises if it is not a node)."""
    return text(obj(node, "order").get("updatedAt"), "order.updatedAt")
