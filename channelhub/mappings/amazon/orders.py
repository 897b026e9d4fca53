"""Amazon Orders API 2026-01-01 order objects -> canonical :class:`Order`.

Accepts a ``searchOrders`` response (``{"orders": [...], "pagination": ...}``), a ``getOrder``
response (``{"order": {...}}``) or one order object. Field names follow
``orders_2026-01-01.json``. The connector asks for includedData FULFILLMENT, PROCEEDS,
CANCELLATION and PAYMENT (plus BUYER and RECIPIENT with a Restricted Data Token); an order
without ``fulfillment`` cannot say who ships it, so it is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.money import Money
from channelhub.core.order import ChannelOrderState, FulfilledBy, Order, OrderLine, OrderTotals
from channelhub.core.parties import Address, Buyer, Payment, PaymentMethod
from channelhub.core.validation import parse, refusing
from channelhub.mappings.amazon._wire import Wire

CHANNEL = "amazon"

#: FulfillmentStatus (orders 2026-01-01) -> normalised state. The enum is closed; a value not
#: listed here is refused with the field and value named. UNFULFILLABLE (Amazon-fulfilled
#: off-Amazon orders only) has no hub meaning: kept raw as ``unknown``.
ORDER_STATES: Mapping[str, ChannelOrderState] = {
    "PENDING_AVAILABILITY": ChannelOrderState.PENDING,
    "PENDING": ChannelOrderState.PENDING,
    "UNSHIPPED": ChannelOrderState.UNSHIPPED,
    "PARTIALLY_SHIPPED": ChannelOrderState.PARTIALLY_SHIPPED,
    "SHIPPED": ChannelOrderState.SHIPPED,
    "CANCELLED": ChannelOrderState.CANCELLED,
    "UNFULFILLABLE": ChannelOrderState.UNKNOWN,
}

#: ``fulfilledBy`` (2026-01-01) and the older AFN/MFN words (v0, notifications).
FULFILLERS: Mapping[str, FulfilledBy] = {
    "AMAZON": FulfilledBy.CHANNEL,
    "AFN": FulfilledBy.CHANNEL,
    "MERCHANT": FulfilledBy.MERCHANT,
    "MFN": FulfilledBy.MERCHANT,
}

_COD_METHODS = frozenset({"cashondelivery", "cod"})
_NEED = " (request includedData={})"


def order_objects(payload: object, *, source: str | None = None) -> list[Wire]:
    """The order objects in any accepted shape, each with its path for error messages."""
    root = Wire(payload, "", source)
    if not isinstance(payload, Mapping):
        raise InvalidInput.field(
            "(document)", type(payload).__name__, "is not a JSON object", source=source
        )
    if "orders" in payload:
        return [
            Wire(o.value, f"orders[{i}]", source) for i, o in enumerate(root.req("orders").items())
        ]
    if "order" in payload:
        return [Wire(root.req("order").value, "order", source)]
    if "orderId" in payload:
        return [Wire(payload, "order", source)]
    raise InvalidInput(
        [
            "the document is not a searchOrders or getOrder response, nor an order "
            "(no 'orders', 'order' or 'orderId' key)"
        ],
        source=source,
    )


def normalize_orders(payload: object, *, account: str, source: str | None = None) -> list[Order]:
    """Every order in a searchOrders / getOrder response body, or one order object."""
    with refusing(source or "amazon order"):
        return [
            order_from_wire(node, account=account) for node in order_objects(payload, source=source)
        ]


def order_from_wire(node: Wire, *, account: str) -> Order:
    """One 2026-01-01 ``Order`` object as a canonical order."""
    order_id = node.req("orderId").order_id()
    fulfillment = node.req("fulfillment", _NEED.format("FULFILLMENT"))
    status_node = fulfillment.req("fulfillmentStatus")
    status = status_node.text(strict.CODE_CHARS)
    if status not in ORDER_STATES:
        raise status_node.fail(f"is not an Amazon order status ({', '.join(ORDER_STATES)})")
    state = ORDER_STATES[status]
    fulfilled_by = _fulfilled_by(fulfillment)
    lines = tuple(_line(item, state) for item in node.req("orderItems").items())
    if not lines:
        raise node.req("orderItems").fail("has no items")
    totals = _totals(node, lines)
    payment = _payment(node, totals.total)
    sales_channel = node.req("salesChannel")
    ship_window, deliver_window = (
        fulfillment.get("shipByWindow"),
        fulfillment.get("deliverByWindow"),
    )
    fields: dict[str, object] = {
        "channel": CHANNEL,
        "account": account,
        "external_id": order_id,
        "marketplace": sales_channel.opt_text("marketplaceId"),
        "channel_status": status,
        "channel_state": state,
        "placed_at": node.req("createdTime").when(),
        "updated_at": node.req("lastUpdatedTime").when(),
        "buyer": _buyer(node),
        "ship_to": _ship_to(node),
        "payment": payment,
        "totals": totals,
        "lines": lines,
        "fulfilled_by": fulfilled_by,
        "shipping_service": fulfillment.opt_text("fulfillmentServiceLevel"),
        "ship_by": _latest(ship_window),
        "deliver_by": _latest(deliver_window),
        "tags": _programs(node),
    }
    return parse(Order, fields, source=node.source or f"amazon order {order_id}")


def _programs(node: Wire) -> tuple[str, ...]:
    programs = node.get("programs")
    if programs is None:
        return ()
    return strict.tags([p.text(strict.TAG_CHARS) for p in programs.items()], programs.path)


def _fulfilled_by(fulfillment: Wire) -> FulfilledBy:
    node = fulfillment.req("fulfilledBy", " (cannot tell whether Amazon or the seller ships it)")
    word = node.text(strict.CODE_CHARS).strip().upper()
    if word not in FULFILLERS:
        raise node.fail("is not AMAZON or MERCHANT")
    return FULFILLERS[word]


def _latest(window: Wire | None) -> object:
    if window is None:
        return None
    latest = window.get("latestDateTime")
    return latest.when() if latest is not None else None


def _line(item: Wire, order_state: ChannelOrderState) -> OrderLine:
    quantity = item.req("quantityOrdered").integer(minimum=1)
    product = item.req("product")
    fulfillment = item.get("fulfillment")
    shipped = 0
    unfulfilled: int | None = None
    if fulfillment is not None:
        if fulfillment.has("quantityFulfilled"):
            shipped = fulfillment.req("quantityFulfilled").integer(minimum=0)
        if fulfillment.has("quantityUnfulfilled"):
            unfulfilled = fulfillment.req("quantityUnfulfilled").integer(minimum=0)
    if shipped > quantity:
        raise (
            item.req("fulfillment")
            .req("quantityFulfilled")
            .fail(f"exceeds quantityOrdered {quantity}")
        )
    if order_state is ChannelOrderState.SHIPPED and fulfillment is None:
        shipped = quantity  # a shipped order without item detail shipped everything
    cancelled = 0
    executed = item.get("cancellation") is not None and item.req("cancellation").has(
        "cancellationExecution"
    )
    if order_state is ChannelOrderState.CANCELLED or executed:
        # Cancelled units are those neither shipped nor still waiting to ship.
        cancelled = max(quantity - shipped - (unfulfilled or 0), 0)
        if order_state is ChannelOrderState.CANCELLED:
            cancelled = quantity - shipped
    price = product.get("price")
    unit_price = (
        price.req("unitPrice").money() if price is not None and price.has("unitPrice") else None
    )
    proceeds = item.get("proceeds")
    total = (
        proceeds.req("proceedsTotal").money()
        if proceeds is not None and proceeds.has("proceedsTotal")
        else (
            strict.product(unit_price, quantity, f"{item.path}.total", source=item.source)
            if unit_price is not None
            else None
        )
    )
    parts = _breakdown(proceeds)
    fields: dict[str, object] = {
        "line_id": item.req("orderItemId").ident(),
        "listing_id": product.req("asin").ident() if product.has("asin") else None,
        "channel_sku": product.opt_text("sellerSku", strict.SKU_CHARS),
        "title": product.opt_text("title", strict.TITLE_CHARS),
        "quantity": quantity,
        "shipped_quantity": shipped,
        "cancelled_quantity": min(cancelled, quantity - shipped),
        "unit_price": unit_price,
        "total": total,
        "tax": parts.get("TAX"),
        "discount": _positive(parts.get("DISCOUNT")),
    }
    return parse(
        OrderLine, fields, source=f"{item.source + ': ' if item.source else ''}{item.path}"
    )


def _breakdown(proceeds: Wire | None) -> dict[str, Money]:
    """Sum a proceeds breakdown by type; mixing currencies within an order is refused."""
    sums: dict[str, Money] = {}
    if proceeds is None or not proceeds.has("breakdowns"):
        return sums
    parts: dict[str, list[tuple[str, Money]]] = {}
    for entry in proceeds.req("breakdowns").items():
        kind = entry.req("type").text(strict.CODE_CHARS).strip().upper()
        subtotal = entry.req("subtotal")
        # Breakdown subtotals are signed: a discount or a fee is negative.
        parts.setdefault(kind, []).append(
            (f"{subtotal.path}.currencyCode", subtotal.money(signed=True))
        )
    for kind, pieces in parts.items():
        total = strict.money_sum(
            pieces, f"{proceeds.path}.breakdowns[{kind}]", source=proceeds.source
        )
        if total is not None:
            sums[kind] = total
    return sums


def _positive(money: Money | None) -> Money | None:
    return None if money is None else Money(amount=abs(money.amount), currency=money.currency)


def _totals(node: Wire, lines: Iterable[OrderLine]) -> OrderTotals:
    proceeds = node.get("proceeds")
    parts = _breakdown(proceeds)
    if proceeds is not None and proceeds.has("grandTotal"):
        total = proceeds.req("grandTotal").money()
    else:
        line_totals = [line.total for line in lines if line.total is not None]
        if not line_totals:
            raise InvalidInput(
                [f"{node.path}.proceeds.grandTotal is missing" + _NEED.format("PROCEEDS")],
                source=node.source,
            )
        summed = strict.money_sum(
            [(f"{node.path}.orderItems[{i}].total", m) for i, m in enumerate(line_totals)],
            "the line totals",
            source=node.source,
        )
        assert summed is not None  # line_totals is not empty
        total = summed
    for kind, money in parts.items():
        if money.currency != total.currency:
            raise InvalidInput.field(
                f"{node.path}.proceeds.breakdowns[{kind}].subtotal.currencyCode",
                money.currency,
                f"differs from grandTotal's {total.currency}",
                source=node.source,
            )
    return parse(
        OrderTotals,
        dict(
            subtotal=parts.get("ITEM"),
            shipping=parts.get("SHIPPING"),
            tax=parts.get("TAX"),
            discount=_positive(parts.get("DISCOUNT")),
            total=total,
        ),
        source=node.source or f"amazon order {node.path}",
    )


def _is_cod(node: Wire) -> bool:
    payment = node.get("payment")
    if payment is not None and payment.has("paymentExecutions"):
        for execution in payment.req("paymentExecutions").items():
            method = (execution.opt_text("paymentMethod") or "").replace("_", "").lower()
            if method in _COD_METHODS:
                return True
    for item in node.req("orderItems").items():
        fulfillment = item.get("fulfillment")
        shipping = fulfillment.get("shipping") if fulfillment is not None else None
        constraints = shipping.get("shippingConstraints") if shipping is not None else None
        if constraints is not None and constraints.opt_text("cashOnDelivery") == "MANDATORY":
            return True
    return "COD_FEE" in _breakdown(node.get("proceeds"))


def _payment(node: Wire, total: Money) -> Payment:
    if _is_cod(node):
        return Payment(method=PaymentMethod.CASH_ON_DELIVERY, paid=False, cod_amount=total)
    methods = []
    payment = node.get("payment")
    if payment is not None and payment.has("paymentExecutions"):
        methods = [
            m
            for e in payment.req("paymentExecutions").items()
            if (m := e.opt_text("paymentMethod"))
        ]
    return Payment(method=PaymentMethod.PREPAID, paid=True, gateway=methods[0] if methods else None)


def _buyer(node: Wire) -> Buyer | None:
    buyer = node.get("buyer")
    if buyer is None:
        return None
    name, email = buyer.opt_text("buyerName"), buyer.opt_text("buyerEmail")
    if name is None and email is None:
        return None
    return Buyer(name=name, email=email)


def _ship_to(node: Wire) -> Address | None:
    recipient = node.get("recipient")
    address = recipient.get("deliveryAddress") if recipient is not None else None
    if address is None:
        return None
    return Address(
        name=address.opt_text("name"),
        company=address.opt_text("companyName"),
        line1=address.opt_text("addressLine1"),
        line2=address.opt_text("addressLine2"),
        line3=address.opt_text("addressLine3"),
        city=address.opt_text("city"),
        region=address.opt_text("stateOrRegion"),
        postal_code=address.opt_text("postalCode"),
        country=address.req("countryCode").country(),
        phone=address.opt_text("phone"),
    )
