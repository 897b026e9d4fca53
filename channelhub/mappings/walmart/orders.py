"""Walmart purchase orders (released/all-orders page or getAnOrder body) -> canonical orders.

Field names follow the ``order`` schema of contracts/walmart/walmart-marketplace-orders-*.yml.
A line's quantities come from its ``orderLineStatuses``: ``Shipped``/``Delivered`` amounts are
shipped, ``Cancelled`` amounts cancelled. Times are epoch milliseconds. The ``PRODUCT`` charge
is the line's total, ``SHIPPING`` charges add up to the order's shipping, taxes sit on charges.
Amounts arrive as JSON numbers: the connector parses them as ``Decimal`` (never float).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
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
from channelhub.mappings._fieldpath import as_int, items, money, obj, opt_text, text

CHANNEL = "walmart"
SOURCE = "walmart order"
SHIPPED = frozenset({"Shipped", "Delivered"})
#: Walmart sends three-letter ``USA``; the hub keeps ISO alpha-2.
COUNTRIES: Mapping[str, str] = {"USA": "US", "CAN": "CA", "MEX": "MX"}


def epoch_ms(value: object, path: str) -> datetime:
    """A Walmart timestamp (milliseconds since the epoch) as UTC."""
    ms = as_int(value, path, source=SOURCE, maximum=10**14)
    return strict.instant(datetime.fromtimestamp(ms / 1000, tz=UTC), path, source=SOURCE)


def _amount(data: object, path: str) -> Money:
    row = obj(data, path, source=SOURCE)
    return money(
        row.get("amount"),
        row.get("currency"),
        amount_path=f"{path}.amount",
        currency_path=f"{path}.currency",
        source=SOURCE,
    )


def _order_objects(payload: object) -> list[tuple[str, Mapping[str, Any]]]:
    if isinstance(payload, list):
        return [(f"[{i}]", obj(o, f"[{i}]", source=SOURCE)) for i, o in enumerate(payload)]
    root = obj(payload, "(payload)", source=SOURCE)
    if "purchaseOrderId" in root:
        return [("(order)", root)]
    if "order" in root and isinstance(root["order"], Mapping):
        return [("order", root["order"])]
    listing = obj(root.get("list") or {}, "list", source=SOURCE)
    elements = obj(listing.get("elements") or {}, "list.elements", source=SOURCE)
    if "order" in elements:
        found = items(elements["order"], "list.elements.order", source=SOURCE)
        return [(f"order[{i}]", obj(o, f"order[{i}]", source=SOURCE)) for i, o in enumerate(found)]
    raise InvalidInput(
        ["(payload): no purchaseOrderId or list.elements.order (not a Walmart order)"],
        source=SOURCE,
    )


def _refunds(line: Mapping[str, Any], path: str) -> list[tuple[str, Money]]:
    """A line's refund charges as positive amounts (Walmart sends them negative)."""
    if not line.get("refund"):
        return []
    refund = obj(line["refund"], f"{path}.refund", source=SOURCE)
    rpath = f"{path}.refund.refundCharges"
    charges = obj(refund.get("refundCharges") or {}, rpath, source=SOURCE)
    found = []
    for i, entry in enumerate(
        items(charges.get("refundCharge"), f"{rpath}.refundCharge", source=SOURCE)
    ):
        where = f"{rpath}.refundCharge[{i}].charge"
        charge = obj(
            obj(entry, f"{rpath}.refundCharge[{i}]", source=SOURCE).get("charge"),
            where,
            source=SOURCE,
        )
        row = obj(charge.get("chargeAmount"), f"{where}.chargeAmount", source=SOURCE)
        value = money(
            row.get("amount"),
            row.get("currency"),
            amount_path=f"{where}.chargeAmount.amount",
            currency_path=f"{where}.chargeAmount.currency",
            source=SOURCE,
            signed=True,
        )
        found.append(
            (f"{where}.chargeAmount", Money(amount=abs(value.amount), currency=value.currency))
        )
    return found


def _quantity(data: object, path: str) -> int:
    row = obj(data, path, source=SOURCE)
    return as_int(row.get("amount"), f"{path}.amount", source=SOURCE)


def _line(line: Mapping[str, Any], path: str) -> tuple[OrderLine, set[str], Money | None]:
    number = text(line, "lineNumber", path, source=SOURCE, limit=strict.ID_CHARS)
    item = obj(line.get("item"), f"{path}.item", source=SOURCE)
    sku = text(item, "sku", f"{path}.item", source=SOURCE, limit=strict.SKU_CHARS)
    quantity = _quantity(line.get("orderLineQuantity"), f"{path}.orderLineQuantity")
    shipped = cancelled = 0
    states: set[str] = set()
    spath = f"{path}.orderLineStatuses.orderLineStatus"
    statuses = obj(line.get("orderLineStatuses") or {}, f"{path}.orderLineStatuses", source=SOURCE)
    for i, entry in enumerate(items(statuses.get("orderLineStatus"), spath, source=SOURCE)):
        row = obj(entry, f"{spath}[{i}]", source=SOURCE)
        status = text(row, "status", f"{spath}[{i}]", source=SOURCE, limit=strict.CODE_CHARS)
        amount = _quantity(row.get("statusQuantity"), f"{spath}[{i}].statusQuantity")
        states.add(status)
        if status in SHIPPED:
            shipped += amount
        elif status == "Cancelled":
            cancelled += amount
    charges = obj(line.get("charges") or {}, f"{path}.charges", source=SOURCE)
    total: Money | None = None
    shipping: Money | None = None
    taxes: list[tuple[str, Money]] = []
    cpath = f"{path}.charges.charge"
    for i, entry in enumerate(items(charges.get("charge"), cpath, source=SOURCE)):
        row = obj(entry, f"{cpath}[{i}]", source=SOURCE)
        kind = opt_text(row, "chargeType", f"{cpath}[{i}]", source=SOURCE) or ""
        value = _amount(row.get("chargeAmount"), f"{cpath}[{i}].chargeAmount")
        if kind == "PRODUCT":
            total = value
        elif kind == "SHIPPING":
            shipping = value
        if row.get("tax"):
            tax = obj(row["tax"], f"{cpath}[{i}].tax", source=SOURCE)
            taxes.append(
                (f"{cpath}[{i}].tax", _amount(tax.get("taxAmount"), f"{cpath}[{i}].tax.taxAmount"))
            )
    unit = None
    if total is not None and (total.amount * 100) % quantity == 0:
        unit = Money(amount=total.amount / quantity, currency=total.currency)
    built = build(
        OrderLine,
        source=f"{SOURCE} line {number}",
        line_id=number,
        listing_id=sku,
        variation_id=None,
        channel_sku=sku,
        title=opt_text(
            item, "productName", f"{path}.item", source=SOURCE, limit=strict.TITLE_CHARS
        ),
        quantity=quantity,
        cancelled_quantity=min(cancelled, quantity),
        shipped_quantity=min(shipped, quantity - min(cancelled, quantity)),
        unit_price=unit,
        total=total,
        tax=strict.money_sum(taxes, f"{path}.taxes", source=SOURCE) if taxes else None,
    )
    return built, states, shipping


def _state(lines: list[OrderLine], states: set[str]) -> tuple[str, ChannelOrderState]:
    status = "/".join(sorted(states)) or "Created"
    if all(line.cancelled_quantity == line.quantity for line in lines):
        return status, ChannelOrderState.CANCELLED
    open_lines = [line for line in lines if line.open_quantity > 0]
    if not open_lines:
        if states <= {"Delivered", "Cancelled"}:
            return status, ChannelOrderState.DELIVERED
        return status, ChannelOrderState.SHIPPED
    if any(line.shipped_quantity for line in lines):
        return status, ChannelOrderState.PARTIALLY_SHIPPED
    return status, ChannelOrderState.UNSHIPPED


def _address(info: Mapping[str, Any], path: str) -> Address:
    where = obj(info.get("postalAddress"), f"{path}.postalAddress", source=SOURCE)
    a = f"{path}.postalAddress"
    country = text(where, "country", a, source=SOURCE, limit=strict.CODE_CHARS)
    return build(
        Address,
        source=f"{SOURCE} {path}",
        name=opt_text(where, "name", a, source=SOURCE),
        line1=opt_text(where, "address1", a, source=SOURCE),
        line2=opt_text(where, "address2", a, source=SOURCE),
        city=opt_text(where, "city", a, source=SOURCE),
        region=opt_text(where, "state", a, source=SOURCE),
        postal_code=opt_text(where, "postalCode", a, source=SOURCE),
        country=COUNTRIES.get(country, country),
        phone=opt_text(info, "phone", path, source=SOURCE),
    )


def _one_order(order: Mapping[str, Any], path: str, account: str) -> Order:
    order_id = strict.identifier(
        text(order, "purchaseOrderId", path, source=SOURCE, limit=strict.ID_CHARS),
        f"{path}.purchaseOrderId",
        shape=strict.DIGITS_ID,
        what="a Walmart purchase order id (digits)",
        source=SOURCE,
    )
    lpath = f"{path}.orderLines.orderLine"
    raw_lines = items(
        obj(order.get("orderLines") or {}, f"{path}.orderLines", source=SOURCE).get("orderLine"),
        lpath,
        source=SOURCE,
    )
    lines: list[OrderLine] = []
    states: set[str] = set()
    shipping_parts: list[tuple[str, Money]] = []
    status_dates: list[datetime] = []
    refunds: list[tuple[str, Money]] = []
    for i, entry in enumerate(raw_lines):
        row = obj(entry, f"{lpath}[{i}]", source=SOURCE)
        refunds.extend(_refunds(row, f"{lpath}[{i}]"))
        line, line_states, shipping = _line(row, f"{lpath}[{i}]")
        lines.append(line)
        states |= line_states
        if shipping is not None:
            shipping_parts.append((f"{lpath}[{i}].charges", shipping))
        if row.get("statusDate") is not None:
            status_dates.append(epoch_ms(row["statusDate"], f"{lpath}[{i}].statusDate"))
    if not lines:
        raise InvalidInput([f"{lpath} is empty: an order without lines"], source=SOURCE)
    currency = next((line.total.currency for line in lines if line.total), "USD")
    parts = [(f"{lpath}.charges", line.total) for line in lines if line.total is not None]
    subtotal = strict.money_sum(parts, f"{path}.subtotal", source=SOURCE) if parts else None
    ship_total = (
        strict.money_sum(shipping_parts, f"{path}.shipping", source=SOURCE)
        if shipping_parts
        else None
    )
    tax_parts = [(f"{lpath}.tax", line.tax) for line in lines if line.tax is not None]
    tax = strict.money_sum(tax_parts, f"{path}.tax", source=SOURCE) if tax_parts else None
    total_parts = [(p, m) for p, m in (*parts, *shipping_parts, *tax_parts)]
    total = (
        strict.money_sum(total_parts, f"{path}.total", source=SOURCE)
        if total_parts
        else Money(amount=Decimal(0), currency=currency)
    )
    status, state = _state(lines, states)
    placed = epoch_ms(order.get("orderDate"), f"{path}.orderDate")
    info = obj(order.get("shippingInfo"), f"{path}.shippingInfo", source=SOURCE)
    ship_by = info.get("estimatedShipDate")
    deliver_by = info.get("estimatedDeliveryDate")
    return build(
        Order,
        source=f"{SOURCE} {order_id}",
        channel=CHANNEL,
        account=account,
        external_id=order_id,
        marketplace=opt_text(order, "mart", path, source=SOURCE),
        channel_status=status,
        channel_state=state,
        placed_at=placed,
        updated_at=max([placed, *status_dates]),
        buyer=Buyer(
            external_id=opt_text(order, "customerOrderId", path, source=SOURCE),
            email=opt_text(order, "customerEmailId", path, source=SOURCE),
        ),
        ship_to=_address(info, f"{path}.shippingInfo"),
        payment=Payment(paid=True, paid_at=placed),
        totals=build(
            OrderTotals,
            source=f"{SOURCE} {order_id}",
            subtotal=subtotal,
            shipping=ship_total,
            tax=tax,
            total=total,
            refunded=strict.money_sum(refunds, f"{path}.refund", source=SOURCE)
            if refunds
            else None,
        ),
        lines=lines,
        shipping_service=opt_text(info, "methodCode", f"{path}.shippingInfo", source=SOURCE),
        ship_by=epoch_ms(ship_by, f"{path}.shippingInfo.estimatedShipDate") if ship_by else None,
        deliver_by=epoch_ms(deliver_by, f"{path}.shippingInfo.estimatedDeliveryDate")
        if deliver_by
        else None,
    )


def normalize_orders(payload: object, *, account: str) -> list[Order]:
    """Every order in a page, a getAnOrder body, or a list of order objects."""
    with refusing(SOURCE):
        return [_one_order(order, path, account) for path, order in _order_objects(payload)]
