"""eBay Fulfillment API orders (``getOrders`` page or ``getOrder`` body) -> canonical orders.

Field names follow the ``Order`` schema of contracts/ebay/sell_fulfillment_v1_oas3.json.
Cancellations come from ``cancelStatus.cancelState``; refunds from ``paymentSummary.refunds``
(summed into ``totals.refunded``); the ship-to from the first fulfilment start instruction's
``shippingStep.shipTo``; totals from ``pricingSummary``. An order line's ``variation_id`` is the
seller ``sku`` when there is one (what inventory-API listings are keyed on), else eBay's
``legacyVariationId``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import (
    Address,
    Buyer,
    ChannelOrderState,
    Money,
    Order,
    OrderLine,
    OrderTotals,
    Payment,
)
from channelhub.core.validation import build, refusing
from channelhub.mappings._fieldpath import (
    integer,
    iso_time,
    items,
    money,
    obj,
    opt_ident,
    opt_text,
    text,
)

CHANNEL = "ebay"
CODE = strict.CODE_CHARS
#: The shape of an eBay order id (``##-#####-#####``, the Fulfillment API's form).
EBAY_ORDER_ID = re.compile(r"[0-9]{2}-[0-9]{5}-[0-9]{5}", re.ASCII)
SOURCE = "ebay order"

FULFILLMENT_STATES: Mapping[str, ChannelOrderState] = {
    "NOT_STARTED": ChannelOrderState.UNSHIPPED,
    "IN_PROGRESS": ChannelOrderState.PARTIALLY_SHIPPED,
    "FULFILLED": ChannelOrderState.SHIPPED,
}
UNPAID_PAYMENT_STATUSES = frozenset({"PENDING", "FAILED"})
CANCEL_REQUESTED_TAG = "ebay:cancel-requested"
REFUNDED_TAG = "ebay:refunded"


def amount(value: object, path: str, *, signed: bool = False) -> Money:
    """An eBay ``Amount`` ({value, currency}) as Money; negative only where eBay's spec has
    negative amounts (``priceDiscount``): ``signed``."""
    data = obj(value, path, source=SOURCE)
    return money(
        data.get("value"),
        data.get("currency"),
        amount_path=f"{path}.value",
        currency_path=f"{path}.currency",
        source=SOURCE,
        signed=signed,
    )


def _opt_amount(
    data: Mapping[str, Any], key: str, path: str, *, signed: bool = False
) -> Money | None:
    if data.get(key) is None:
        return None
    return amount(data[key], f"{path}.{key}", signed=signed)


def _order_objects(payload: object) -> list[tuple[str, Mapping[str, Any]]]:
    if isinstance(payload, list):
        return [(f"[{i}]", obj(o, f"[{i}]", source=SOURCE)) for i, o in enumerate(payload)]
    root = obj(payload, "(payload)", source=SOURCE)
    if "orders" in root:
        orders = items(root["orders"], "orders", source=SOURCE)
        return [
            (f"orders[{i}]", obj(o, f"orders[{i}]", source=SOURCE)) for i, o in enumerate(orders)
        ]
    if "orderId" in root:
        return [("(order)", root)]
    raise InvalidInput(
        ["(payload): neither orders nor orderId found (not an eBay getOrders/getOrder body)"],
        source=SOURCE,
    )


def _state(order: Mapping[str, Any], path: str) -> tuple[str, ChannelOrderState, list[str]]:
    """The raw status kept on the order, its meaning, and tags for pending cancel/refund."""
    fulfilment = text(order, "orderFulfillmentStatus", path, source=SOURCE, limit=CODE)
    payment = opt_text(order, "orderPaymentStatus", path, source=SOURCE, limit=CODE) or ""
    cancel = order.get("cancelStatus") or {}
    cancel_state = opt_text(
        obj(cancel, f"{path}.cancelStatus", source=SOURCE),
        "cancelState",
        f"{path}.cancelStatus",
        source=SOURCE,
        limit=CODE,
    )
    tags: list[str] = []
    if cancel_state == "CANCELED":
        return "CANCELED", ChannelOrderState.CANCELLED, tags
    if cancel_state == "IN_PROGRESS":
        tags.append(CANCEL_REQUESTED_TAG)
    if payment in UNPAID_PAYMENT_STATUSES:
        return f"{fulfilment}/{payment}", ChannelOrderState.PENDING, tags
    return fulfilment, FULFILLMENT_STATES.get(fulfilment, ChannelOrderState.UNKNOWN), tags


def _address(contact: Mapping[str, Any], path: str) -> Address:
    where = obj(contact.get("contactAddress") or {}, f"{path}.contactAddress", source=SOURCE)
    phone = obj(contact.get("primaryPhone") or {}, f"{path}.primaryPhone", source=SOURCE)
    a = f"{path}.contactAddress"
    return build(
        Address,
        source=f"{SOURCE} {path}",
        name=opt_text(contact, "fullName", path, source=SOURCE),
        company=opt_text(contact, "companyName", path, source=SOURCE),
        line1=opt_text(where, "addressLine1", a, source=SOURCE),
        line2=opt_text(where, "addressLine2", a, source=SOURCE),
        city=opt_text(where, "city", a, source=SOURCE),
        region=opt_text(where, "stateOrProvince", a, source=SOURCE),
        postal_code=opt_text(where, "postalCode", a, source=SOURCE),
        country=text(where, "countryCode", a, source=SOURCE),
        phone=opt_text(phone, "phoneNumber", f"{path}.primaryPhone", source=SOURCE),
        email=opt_text(contact, "email", path, source=SOURCE),
    )


def _line(item: Mapping[str, Any], path: str, *, cancelled: bool) -> OrderLine:
    line_id = strict.identifier(
        text(item, "lineItemId", path, source=SOURCE, limit=strict.ID_CHARS),
        f"{path}.lineItemId",
        shape=strict.DIGITS_ID,
        what="an eBay line item id (digits)",
        source=SOURCE,
    )
    quantity = integer(item, "quantity", path, source=SOURCE, minimum=1)
    cost = _opt_amount(item, "lineItemCost", path)
    taxes = [
        (
            f"{path}.taxes[{i}].amount.currency",
            amount(
                obj(t, f"{path}.taxes[{i}]", source=SOURCE).get("amount"),
                f"{path}.taxes[{i}].amount",
            ),
        )
        for i, t in enumerate(items(item.get("taxes"), f"{path}.taxes", source=SOURCE))
    ]
    unit = None
    if cost is not None and quantity > 0 and (cost.amount * 100) % quantity == 0:
        unit = Money(amount=cost.amount / quantity, currency=cost.currency)
    sku = opt_text(item, "sku", path, source=SOURCE, limit=strict.SKU_CHARS)
    status = opt_text(item, "lineItemFulfillmentStatus", path, source=SOURCE, limit=CODE)
    return build(
        OrderLine,
        source=f"{SOURCE} line {line_id}",
        line_id=line_id,
        listing_id=opt_ident(item, "legacyItemId", path, source=SOURCE),
        variation_id=sku or opt_ident(item, "legacyVariationId", path, source=SOURCE),
        channel_sku=sku,
        title=opt_text(item, "title", path, source=SOURCE, limit=strict.TITLE_CHARS),
        quantity=quantity,
        cancelled_quantity=quantity if cancelled else 0,
        shipped_quantity=quantity if status == "FULFILLED" and not cancelled else 0,
        unit_price=unit,
        total=_opt_amount(item, "total", path) or cost,
        tax=strict.money_sum(taxes, f"{path}.taxes", source=SOURCE),
    )


def _refunded(order: Mapping[str, Any], path: str, currency: str) -> Money | None:
    summary = obj(order.get("paymentSummary") or {}, f"{path}.paymentSummary", source=SOURCE)
    refunds = items(summary.get("refunds"), f"{path}.paymentSummary.refunds", source=SOURCE)
    parts = [(f"{path}.pricingSummary.total.currency", Money.zero(currency))]
    for i, refund in enumerate(refunds):
        where = f"{path}.paymentSummary.refunds[{i}]"
        data = obj(refund, where, source=SOURCE)
        if data.get("refundStatus") == "FAILED":
            continue
        parts.append((f"{where}.amount.currency", amount(data.get("amount"), f"{where}.amount")))
    if len(parts) == 1:
        return None
    return strict.money_sum(parts, f"{path}.paymentSummary.refunds", source=SOURCE)


def _payment(order: Mapping[str, Any], path: str, paid: bool) -> Payment:
    summary = obj(order.get("paymentSummary") or {}, f"{path}.paymentSummary", source=SOURCE)
    payments = items(summary.get("payments"), f"{path}.paymentSummary.payments", source=SOURCE)
    paid_at: datetime | None = None
    gateway: str | None = None
    if payments:
        first = obj(payments[0], f"{path}.paymentSummary.payments[0]", source=SOURCE)
        gateway = opt_text(
            first, "paymentMethod", f"{path}.paymentSummary.payments[0]", source=SOURCE, limit=CODE
        )
        if paid and first.get("paymentDate"):
            paid_at = iso_time(
                first["paymentDate"],
                f"{path}.paymentSummary.payments[0].paymentDate",
                source=SOURCE,
            )
    return Payment(paid=paid, paid_at=paid_at, gateway=gateway)


def _one_order(order: Mapping[str, Any], path: str, account: str) -> Order:
    order_id = strict.identifier(
        text(order, "orderId", path, source=SOURCE, limit=strict.ID_CHARS),
        f"{path}.orderId",
        shape=EBAY_ORDER_ID,
        what="an eBay order id (like 12-34567-89012)",
        source=SOURCE,
    )
    status, state, tags = _state(order, path)
    pricing = obj(order.get("pricingSummary"), f"{path}.pricingSummary", source=SOURCE)
    total = amount(pricing.get("total"), f"{path}.pricingSummary.total")
    discount = _opt_amount(pricing, "priceDiscount", f"{path}.pricingSummary", signed=True)
    refunded = _refunded(order, path, total.currency)
    if refunded is not None:
        tags.append(REFUNDED_TAG)
    line_items: Sequence[Any] = items(order.get("lineItems"), f"{path}.lineItems", source=SOURCE)
    lines = [
        _line(
            obj(item, f"{path}.lineItems[{i}]", source=SOURCE),
            f"{path}.lineItems[{i}]",
            cancelled=state is ChannelOrderState.CANCELLED,
        )
        for i, item in enumerate(line_items)
    ]
    if not lines:
        raise InvalidInput([f"{path}.lineItems is empty: an order without lines"], source=SOURCE)
    instructions = items(
        order.get("fulfillmentStartInstructions"),
        f"{path}.fulfillmentStartInstructions",
        source=SOURCE,
    )
    ship_to = None
    service = None
    deliver_by = None
    if instructions:
        ipath = f"{path}.fulfillmentStartInstructions[0]"
        first = obj(instructions[0], ipath, source=SOURCE)
        step = obj(first.get("shippingStep") or {}, f"{ipath}.shippingStep", source=SOURCE)
        if step.get("shipTo"):
            ship_to = _address(
                obj(step["shipTo"], f"{ipath}.shippingStep.shipTo", source=SOURCE),
                f"{ipath}.shippingStep.shipTo",
            )
        service = opt_text(step, "shippingServiceCode", f"{ipath}.shippingStep", source=SOURCE)
        if first.get("maxEstimatedDeliveryDate"):
            deliver_by = iso_time(
                first["maxEstimatedDeliveryDate"],
                f"{ipath}.maxEstimatedDeliveryDate",
                source=SOURCE,
            )
    ship_by_dates = []
    for i, item in enumerate(line_items):
        instr = (
            obj(item, f"{path}.lineItems[{i}]", source=SOURCE).get(
                "lineItemFulfillmentInstructions"
            )
            or {}
        )
        if isinstance(instr, Mapping) and instr.get("shipByDate"):
            ship_by_dates.append(
                iso_time(
                    instr["shipByDate"],
                    f"{path}.lineItems[{i}].lineItemFulfillmentInstructions.shipByDate",
                    source=SOURCE,
                )
            )
    buyer_data = obj(order.get("buyer") or {}, f"{path}.buyer", source=SOURCE)
    registration = obj(
        buyer_data.get("buyerRegistrationAddress") or {},
        f"{path}.buyer.buyerRegistrationAddress",
        source=SOURCE,
    )
    payment_status = opt_text(order, "orderPaymentStatus", path, source=SOURCE) or ""
    marketplace = opt_text(
        obj(line_items[0], f"{path}.lineItems[0]", source=SOURCE),
        "purchaseMarketplaceId",
        f"{path}.lineItems[0]",
        source=SOURCE,
    )
    return build(
        Order,
        source=f"{SOURCE} {order_id}",
        channel=CHANNEL,
        account=account,
        external_id=order_id,
        marketplace=marketplace,
        channel_status=status,
        channel_state=state,
        placed_at=iso_time(order.get("creationDate"), f"{path}.creationDate", source=SOURCE),
        updated_at=iso_time(
            order.get("lastModifiedDate"), f"{path}.lastModifiedDate", source=SOURCE
        ),
        buyer=Buyer(
            external_id=opt_text(buyer_data, "username", f"{path}.buyer", source=SOURCE),
            name=opt_text(
                registration, "fullName", f"{path}.buyer.buyerRegistrationAddress", source=SOURCE
            ),
            email=opt_text(
                registration, "email", f"{path}.buyer.buyerRegistrationAddress", source=SOURCE
            ),
        ),
        ship_to=ship_to,
        payment=_payment(order, path, paid=payment_status not in UNPAID_PAYMENT_STATUSES),
        totals=build(
            OrderTotals,
            source=f"{SOURCE} {order_id}",
            subtotal=_opt_amount(pricing, "priceSubtotal", f"{path}.pricingSummary"),
            shipping=_opt_amount(pricing, "deliveryCost", f"{path}.pricingSummary"),
            tax=_opt_amount(pricing, "tax", f"{path}.pricingSummary"),
            discount=Money(amount=abs(discount.amount), currency=discount.currency)
            if discount
            else None,
            total=total,
            refunded=refunded,
        ),
        lines=lines,
        shipping_service=service,
        ship_by=min(ship_by_dates) if ship_by_dates else None,
        deliver_by=deliver_by,
        remarks=opt_text(order, "buyerCheckoutNotes", path, source=SOURCE, limit=strict.NOTE_CHARS),
        tags=tags,
    )


def normalize_orders(payload: object, *, account: str) -> list[Order]:
    """Every order in a getOrders page, a getOrder body, or a list of order objects."""
    with refusing(SOURCE):
        return [_one_order(order, path, account) for path, order in _order_objects(payload)]
