"""Wish Merchant API v3 orders -> canonical orders (CONTRACT UNVERIFIED).

Wish publishes no machine-readable spec. Field names come from a third-party SDK's classes
(contracts/wish/WishOrder.java and the classes it uses, @JsonProperty names); what they mean
is guessed: a Wish order is one product variation (``product_information``) in
``general_payment_details.product_quantity``; ``state`` APPROVED is waiting for the seller,
SHIPPED/DELIVERED shipped, REFUNDED/CANCELLED cancelled, PENDING/REQUIRE_REVIEW not confirmed
yet (the hub waits); times are ISO 8601. A line's id is the order id. The pull reads orders in
every state, so a state outside :data:`STATES` refuses the order (it is set aside with its
body, never planned as one to ship) until the table knows what it means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import (
    Address,
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
    money,
    obj,
    opt_text,
    text,
)

CHANNEL = "wish"
SOURCE = "wish order"
STATES: Mapping[str, ChannelOrderState] = {
    "APPROVED": ChannelOrderState.UNSHIPPED,
    "PENDING": ChannelOrderState.PENDING,
    "SHIPPED": ChannelOrderState.SHIPPED,
    "DELIVERED": ChannelOrderState.DELIVERED,
    "REFUNDED": ChannelOrderState.CANCELLED,
    "CANCELLED": ChannelOrderState.CANCELLED,
    "REQUIRE_REVIEW": ChannelOrderState.PENDING,  # Wish still reviews it: not to ship yet
}


def wish_money(value: object, path: str) -> Money:
    """A Wish ``Money`` (``amount``, ``currency_code``)."""
    row = obj(value, path, source=SOURCE)
    return money(
        row.get("amount"),
        row.get("currency_code"),
        amount_path=f"{path}.amount",
        currency_path=f"{path}.currency_code",
        source=SOURCE,
    )


def _opt_money(data: Mapping[str, Any], key: str, path: str) -> Money | None:
    return wish_money(data[key], f"{path}.{key}") if data.get(key) else None


def _address(order: Mapping[str, Any], path: str) -> Address | None:
    full = obj(order.get("full_address") or {}, f"{path}.full_address", source=SOURCE)
    if not full.get("shipping_detail"):
        return None
    a = f"{path}.full_address.shipping_detail"
    where = obj(full["shipping_detail"], a, source=SOURCE)
    phone = obj(where.get("phone_number") or {}, f"{a}.phone_number", source=SOURCE)
    return build(
        Address,
        source=f"{SOURCE} {a}",
        name=opt_text(where, "name", a, source=SOURCE),
        line1=opt_text(where, "street_address1", a, source=SOURCE),
        line2=opt_text(where, "street_address2", a, source=SOURCE),
        city=opt_text(where, "city", a, source=SOURCE),
        region=opt_text(where, "state", a, source=SOURCE),
        postal_code=opt_text(where, "zipcode", a, source=SOURCE),
        country=text(where, "country_code", a, source=SOURCE, limit=strict.CODE_CHARS),
        phone=opt_text(phone, "number", f"{a}.phone_number", source=SOURCE),
    )


def _one_order(order: Mapping[str, Any], path: str, account: str) -> Order:
    order_id = strict.identifier(
        text(order, "id", path, source=SOURCE, limit=strict.ID_CHARS),
        f"{path}.id",
        source=SOURCE,
    )
    raw_state = text(order, "state", path, source=SOURCE, limit=strict.CODE_CHARS)
    state = STATES.get(raw_state)
    if state is None:
        raise InvalidInput.field(
            f"{path}.state", raw_state, f"is not one of {', '.join(STATES)}", source=SOURCE
        )
    product = obj(order.get("product_information"), f"{path}.product_information", source=SOURCE)
    ppath = f"{path}.product_information"
    payment = obj(order.get("order_payment") or {}, f"{path}.order_payment", source=SOURCE)
    gpath = f"{path}.order_payment.general_payment_details"
    general = obj(payment.get("general_payment_details"), gpath, source=SOURCE)
    quantity = integer(general, "product_quantity", gpath, source=SOURCE, minimum=1)
    unit = _opt_money(general, "product_price", gpath)
    shipping = _opt_money(general, "product_shipping_price", gpath)
    total = wish_money(general.get("payment_total"), f"{gpath}.payment_total")
    shipped = quantity if state in (ChannelOrderState.SHIPPED, ChannelOrderState.DELIVERED) else 0
    line = build(
        OrderLine,
        source=f"{SOURCE} {order_id}",
        line_id=order_id,
        listing_id=text(product, "id", ppath, source=SOURCE, limit=strict.ID_CHARS),
        variation_id=opt_text(product, "variation_id", ppath, source=SOURCE),
        channel_sku=opt_text(product, "sku", ppath, source=SOURCE, limit=strict.SKU_CHARS),
        title=opt_text(product, "name", ppath, source=SOURCE, limit=strict.TITLE_CHARS),
        quantity=quantity,
        cancelled_quantity=quantity if state is ChannelOrderState.CANCELLED else 0,
        shipped_quantity=shipped,
        unit_price=unit,
        total=strict.product(unit, quantity, f"{gpath}.product_price", source=SOURCE)
        if unit
        else None,
    )
    placed = iso_time(order.get("released_at"), f"{path}.released_at", source=SOURCE)
    return build(
        Order,
        source=f"{SOURCE} {order_id}",
        channel=CHANNEL,
        account=account,
        external_id=order_id,
        channel_status=raw_state,
        channel_state=state,
        placed_at=placed,
        updated_at=iso_time(order.get("updated_at"), f"{path}.updated_at", source=SOURCE)
        if order.get("updated_at")
        else placed,
        ship_to=_address(order, path),
        payment=Payment(paid=True, paid_at=placed),
        totals=build(
            OrderTotals,
            source=f"{SOURCE} {order_id}",
            subtotal=line.total,
            shipping=shipping,
            total=total,
        ),
        lines=[line],
    )


def _objects(payload: object) -> list[tuple[str, Mapping[str, Any]]]:
    if isinstance(payload, list):
        return [(f"[{i}]", obj(o, f"[{i}]", source=SOURCE)) for i, o in enumerate(payload)]
    root = obj(payload, "(payload)", source=SOURCE)
    if "data" in root:
        return _objects(root["data"])
    if "id" in root and "state" in root:
        return [("(order)", root)]
    raise InvalidInput(["(payload): no data, or id and state (not a Wish order)"], source=SOURCE)


def normalize_orders(payload: object, *, account: str) -> list[Order]:
    """Every order of a list answer (``data``), one order, or a list of orders."""
    with refusing(SOURCE):
        return [_one_order(order, path, account) for path, order in _objects(payload)]
