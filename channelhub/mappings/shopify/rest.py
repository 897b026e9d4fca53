"""REST-shaped order JSON (webhooks, legacy REST) -> the GraphQL node shape.

Webhook bodies stay REST-shaped even for GraphQL apps. Rather than keep two mappings that
drift apart, a REST order is first rewritten into the GraphQL ``Order`` node shape that
``queries.ORDER_FIELDS`` selects (and nothing more, so both give the same order), and then
goes through the one node normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from channelhub.core import strict
from channelhub.mappings.shopify._wire import (
    amount,
    arr,
    obj,
    opt_external_id,
    opt_obj,
    opt_text,
    whole,
)

_FULFILLMENT_STATUS = {
    None: "UNFULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "fulfilled": "FULFILLED",
    "restocked": "RESTOCKED",
}


def _fulfillment_status(value: object) -> str | None:
    """REST ``fulfillment_status`` as the GraphQL word (null is unfulfilled)."""
    if value is None:
        return "UNFULFILLED"
    word = opt_text(value, "fulfillment_status", strict.CODE_CHARS)
    return _FULFILLMENT_STATUS.get(word, word.upper() if word else "UNFULFILLED")


def _bag(rest: Mapping[str, Any], key: str, fallback: str | None, currency: str | None) -> Any:
    """A REST ``*_set`` money set (or its plain-amount fallback) as a GraphQL MoneyBag."""
    money_set = rest.get(key)
    if money_set is not None:
        money = obj(obj(money_set, key).get("presentment_money"), f"{key}.presentment_money")
        return {
            "presentmentMoney": {
                "amount": money.get("amount"),
                "currencyCode": money.get("currency_code"),
            }
        }
    if fallback is not None and rest.get(fallback) is not None:
        return {"presentmentMoney": {"amount": rest.get(fallback), "currencyCode": currency}}
    return None


def _address(rest: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if rest is None:
        return None
    return {
        "name": rest.get("name"),
        "firstName": rest.get("first_name"),
        "lastName": rest.get("last_name"),
        "company": rest.get("company"),
        "address1": rest.get("address1"),
        "address2": rest.get("address2"),
        "city": rest.get("city"),
        "province": rest.get("province"),
        "provinceCode": rest.get("province_code"),
        "zip": rest.get("zip"),
        "countryCodeV2": rest.get("country_code"),
        "phone": rest.get("phone"),
    }


def _refund(rest: Mapping[str, Any], path: str, currency: str | None) -> dict[str, Any]:
    total = Decimal(0)
    refund_currency = currency
    for t, transaction in enumerate(arr(rest.get("transactions"), f"{path}.transactions")):
        tx = obj(transaction, f"{path}.transactions[{t}]")
        if tx.get("kind") == "refund" and tx.get("status") in (None, "success"):
            total += amount(tx.get("amount"), f"{path}.transactions[{t}].amount")
            refund_currency = opt_text(tx.get("currency"), f"{path}.transactions[{t}]") or currency
    lines = []
    for i, item in enumerate(arr(rest.get("refund_line_items"), f"{path}.refund_line_items")):
        line = obj(item, f"{path}.refund_line_items[{i}]")
        lines.append(
            {
                "quantity": line.get("quantity"),
                "restockType": (
                    opt_text(line.get("restock_type"), f"{path}.restock_type", strict.CODE_CHARS)
                    or "no_restock"
                ).upper(),
                "lineItem": {"id": line.get("line_item_id")},
            }
        )
    return {
        "id": rest.get("id"),
        "createdAt": rest.get("created_at"),
        "totalRefundedSet": {
            "presentmentMoney": {"amount": str(total), "currencyCode": refund_currency}
        },
        "refundLineItems": {"nodes": lines},
    }


def _line(rest: Mapping[str, Any], path: str, removed: int, currency: str | None) -> dict[str, Any]:
    quantity = whole(rest.get("quantity"), f"{path}.quantity")
    current = rest.get("current_quantity")
    current_quantity = (
        whole(current, f"{path}.current_quantity") if current is not None else quantity - removed
    )
    fulfillable = rest.get("fulfillable_quantity")
    unfulfilled = (
        whole(fulfillable, f"{path}.fulfillable_quantity")
        if fulfillable is not None
        else current_quantity
    )
    price = _bag(rest, "price_set", "price", currency)
    discount = _bag(rest, "total_discount_set", "total_discount", currency)
    total = None
    if price is not None:
        unit = amount(price["presentmentMoney"]["amount"], f"{path}.price_set")
        off = amount(discount["presentmentMoney"]["amount"], path) if discount else Decimal(0)
        total = {
            "presentmentMoney": {
                "amount": str(unit * quantity - off),
                "currencyCode": price["presentmentMoney"]["currencyCode"],
            }
        }
    product_id, variant_id = rest.get("product_id"), rest.get("variant_id")
    return {
        "id": rest.get("id"),
        "sku": rest.get("sku"),
        "title": rest.get("title"),
        "variantTitle": rest.get("variant_title"),
        "quantity": quantity,
        "currentQuantity": current_quantity,
        "unfulfilledQuantity": unfulfilled,
        "nonFulfillableQuantity": max(quantity - current_quantity, 0),
        "product": None if product_id is None else {"id": product_id},
        "variant": None if variant_id is None else {"id": variant_id},
        "originalUnitPriceSet": price,
        "discountedTotalSet": total,
    }


def rest_order_to_node(rest: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite one REST/webhook order object into the GraphQL ``Order`` node shape."""
    currency = rest.get("presentment_currency") or rest.get("currency")
    currency = currency if isinstance(currency, str) else None
    refunds = [
        _refund(obj(r, f"refunds[{i}]"), f"refunds[{i}]", currency)
        for i, r in enumerate(arr(rest.get("refunds"), "refunds"))
    ]
    removed: dict[str | None, int] = {}
    for refund in refunds:
        for item in refund["refundLineItems"]["nodes"]:
            key = opt_external_id(item["lineItem"]["id"], "refund_line_items.line_item_id")
            removed[key] = removed.get(key, 0) + whole(
                item["quantity"], "refund_line_items.quantity"
            )
    refunded_total = sum(
        (amount(r["totalRefundedSet"]["presentmentMoney"]["amount"], "refunds") for r in refunds),
        Decimal(0),
    )
    customer = opt_obj(rest.get("customer"), "customer")
    names = [customer.get("first_name"), customer.get("last_name")] if customer else []
    tags = rest.get("tags")
    shipping_lines = arr(rest.get("shipping_lines"), "shipping_lines")
    shipping = opt_obj(shipping_lines[0], "shipping_lines[0]") if shipping_lines else None
    cancel_reason = rest.get("cancel_reason")
    financial = rest.get("financial_status")
    return {
        "id": rest.get("id"),
        "legacyResourceId": rest.get("id"),
        "name": rest.get("name"),
        "createdAt": rest.get("created_at"),
        "updatedAt": rest.get("updated_at"),
        "processedAt": rest.get("processed_at"),
        "cancelledAt": rest.get("cancelled_at"),
        "cancelReason": cancel_reason.upper() if isinstance(cancel_reason, str) else None,
        "closed": rest.get("closed_at") is not None,
        "displayFinancialStatus": financial.upper() if isinstance(financial, str) else None,
        "displayFulfillmentStatus": _fulfillment_status(rest.get("fulfillment_status")),
        "currencyCode": rest.get("currency"),
        "presentmentCurrencyCode": currency,
        "paymentGatewayNames": rest.get("payment_gateway_names") or [],
        "note": rest.get("note"),
        "tags": [t.strip() for t in tags.split(",") if t.strip()]
        if isinstance(tags, str)
        else tags,
        "email": rest.get("email") or rest.get("contact_email"),
        "phone": rest.get("phone"),
        "customer": None
        if customer is None
        else {
            "id": customer.get("id"),
            "displayName": " ".join(n for n in names if isinstance(n, str) and n) or None,
            "email": customer.get("email"),
            "phone": customer.get("phone"),
        },
        "shippingAddress": _address(opt_obj(rest.get("shipping_address"), "shipping_address")),
        "shippingLine": None
        if shipping is None
        else {"title": shipping.get("title"), "code": shipping.get("code")},
        "currentSubtotalPriceSet": _bag(
            rest, "current_subtotal_price_set", "current_subtotal_price", currency
        )
        or _bag(rest, "subtotal_price_set", "subtotal_price", currency),
        "totalShippingPriceSet": _bag(rest, "total_shipping_price_set", None, currency),
        "currentTotalTaxSet": _bag(rest, "current_total_tax_set", "current_total_tax", currency)
        or _bag(rest, "total_tax_set", "total_tax", currency),
        "currentTotalDiscountsSet": _bag(
            rest, "current_total_discounts_set", "current_total_discounts", currency
        )
        or _bag(rest, "total_discounts_set", "total_discounts", currency),
        "currentTotalPriceSet": _bag(
            rest, "current_total_price_set", "current_total_price", currency
        )
        or _bag(rest, "total_price_set", "total_price", currency),
        "totalOutstandingSet": _bag(rest, "total_outstanding_set", "total_outstanding", currency),
        "totalRefundedSet": {
            "presentmentMoney": {"amount": str(refunded_total), "currencyCode": currency}
        },
        "lineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                _line(
                    obj(item, f"line_items[{i}]"),
                    f"line_items[{i}]",
                    removed.get(
                        opt_external_id(
                            obj(item, f"line_items[{i}]").get("id"), f"line_items[{i}].id"
                        ),
                        0,
                    ),
                    currency,
                )
                for i, item in enumerate(arr(rest.get("line_items"), "line_items"))
            ],
        },
        "refunds": refunds,
    }
