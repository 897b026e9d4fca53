"""ShipBob 2026-01 (contracts/wms/shipbob/openapi-2026-01.json) <-> canonical models.

- ``create_order_body``: OutboundOrder -> ``Orders.CreateOrderModel``. ``reference_id`` is the
  outbound idempotency key: ShipBob calls it the "unique and immutable order identifier from
  your upstream system", which makes a retried create findable (``GET /order?ReferenceIds=``).
- Orders / shipments (``Orders.OrderViewModel``, ``Orders.ShipmentViewModel``) -> Shipments:
  one canonical Shipment (one package) per ShipBob shipment that has a tracking number.
- ``Tracking.ShipmentTrackingResponse`` -> TrackingEvents; inventory levels -> stock levels,
  row by row (:data:`STOCK`: the stock pull sets a row it cannot read aside alone). ShipBob
  pushes no stock (no inventory webhook topic): its stock arrives only by that pull.
- Webhooks: topics from ``Webhooks.Topics``. The payload shape is not in the spec; we accept
  the shipment object (``Orders.ShipmentViewModel``), bare or under ``data`` — contract
  unverified for the body.

ShipBob sends amounts as JSON numbers; they become Decimal through their text, never float
arithmetic. Ids are int32 on the wire and strings here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from channelhub.core import strict
from channelhub.core.codes import CURRENCIES
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import (
    OutboundOrder,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
)
from channelhub.core.money import Money
from channelhub.core.validation import build
from channelhub.core.warehouse_reports import (
    InterceptOutcome,
    InterceptResult,
    StockLevel,
)
from channelhub.mappings._fieldpath import items, obj
from channelhub.mappings.carriers import canonical_carrier_or_raw
from channelhub.mappings.tracking import shipbob_status
from channelhub.mappings.warehouse_stock import StockRows, WarehouseStock

SOURCE = "shipbob"
CHANNEL_HEADER = "shipbob_channel_id"
TOPIC_SHIPPED = "order.shipped"
TOPIC_DELIVERED = "order.shipment.delivered"
TOPIC_CANCELLED = "order.shipment.cancelled"
TOPIC_EXCEPTION = "order.shipment.exception"
TOPIC_ON_HOLD = "order.shipment.on_hold"
ORDER_TOPICS = (TOPIC_SHIPPED, TOPIC_DELIVERED, TOPIC_CANCELLED, TOPIC_EXCEPTION, TOPIC_ON_HOLD)
GRAMS_PER_OUNCE = Decimal("28.349523125")
#: A package heavier than this (about 28 t) is a wrong number, not a parcel.
MAX_OUNCES = 1_000_000

#: ``Orders.OrderStatus`` -> where the outbound order is.
ORDER_STATES: Mapping[str, OutboundState] = {
    "ImportReview": OutboundState.PENDING,
    "Processing": OutboundState.ACCEPTED,
    "Exception": OutboundState.ACCEPTED,  # on hold at ShipBob: still theirs to ship
    "PartiallyFulfilled": OutboundState.PARTIALLY_SHIPPED,
    "Fulfilled": OutboundState.SHIPPED,
    "Cancelled": OutboundState.CANCELLED,
}


def _mapping(value: object, path: str) -> Mapping[str, object]:
    return obj(value, path, source=SOURCE)


def _list(value: object, path: str) -> Sequence[object]:
    return items(value, path, source=SOURCE)


def _text(value: object, path: str, limit: int = strict.NAME_CHARS) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidInput.field(path, value, "is not text", source=SOURCE)
    return strict.opt_text(value, path, limit=limit, numbers=True, source=SOURCE)


def _id(value: object, path: str) -> str | None:
    """A ShipBob id (a JSON integer, or its ASCII digits as text)."""
    return strict.opt_identifier(value, path, numbers=True, what="a ShipBob id", source=SOURCE)


def _time(value: object, path: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip() and not _zoned(value.strip()):
        raise InvalidInput.field(path, value, "has no timezone", source=SOURCE)
    return strict.iso_instant(value, path, source=SOURCE)


def _zoned(raw: str) -> bool:
    return raw.endswith(("Z", "z")) or (len(raw) > 6 and raw[-6] in "+-" and raw[-3] == ":")


def _int(value: object, path: str, maximum: int = strict.MAX_QUANTITY) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput.field(path, value, "is not a whole number", source=SOURCE)
    return strict.whole(value, path, maximum=maximum, source=SOURCE)


# ---- requests -----------------------------------------------------------------------------


def create_order_body(
    order: OutboundOrder, *, product_names: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The ``POST /2026-01/order`` body. ShipBob cannot collect cash on delivery, and needs a
    street, a city and a recipient name: each missing one is an InvalidInput naming the field."""
    source = f"{SOURCE} order {order.idempotency_key}"
    if order.cash_on_delivery is not None:
        raise InvalidInput.field(
            "cash_on_delivery",
            str(order.cash_on_delivery),
            "cannot be collected by ShipBob",
            source=source,
        )
    to = order.ship_to
    for part, value in (("name", to.name), ("line1", to.line1), ("city", to.city)):
        if not (value and value.strip()):
            raise InvalidInput.field(
                f"ship_to.{part}", value, "is required by ShipBob", source=source
            )
    address: dict[str, object] = {"address1": to.line1, "city": to.city, "country": to.country}
    line2 = ", ".join(x for x in (to.line2, to.line3) if x)
    optional = {
        "address2": line2,
        "company_name": to.company,
        "state": to.region,
        "zip_code": to.postal_code,
    }
    address |= {k: v for k, v in optional.items() if v}
    recipient: dict[str, object] = {"name": to.name, "address": address}
    if to.email:
        recipient["email"] = to.email
    if to.phone:
        recipient["phone_number"] = to.phone
    names = product_names or {}
    products: list[dict[str, object]] = [
        {"reference_id": line.sku, "name": names.get(line.sku, line.sku), "quantity": line.quantity}
        for line in order.lines
    ]
    body: dict[str, object] = {
        "reference_id": order.idempotency_key,
        "type": "DTC",
        "shipping_method": order.shipping_service or "Standard",
        "recipient": recipient,
        "products": products,
    }
    if order.reference:
        body["order_number"] = order.reference
    if order.remarks:
        body["tags"] = [{"name": "remarks", "value": order.remarks}]
    return body


def channel_headers(channel_id: str) -> dict[str, str]:
    """The header ShipBob requires on create order (and accepts on reads)."""
    return {CHANNEL_HEADER: str(channel_id)}


# ---- orders and shipments -----------------------------------------------------------------


def order_state(order: object) -> OutboundState:
    """Where a ShipBob order (``Orders.OrderViewModel``) is; an unknown status -> PENDING."""
    status = _text(_mapping(order, "order").get("status"), "order.status")
    return ORDER_STATES.get(status or "", OutboundState.PENDING)


def _package(shipment: Mapping[str, object], path: str, tracking: Mapping[str, object]) -> Package:
    number = _text(tracking.get("tracking_number"), f"{path}.tracking.tracking_number")
    lines: list[PackageLine] = []
    for index, item in enumerate(_list(shipment.get("products"), f"{path}.products")):
        at = f"{path}.products[{index}]"
        product = _mapping(item, at)
        sku = _text(product.get("sku"), f"{at}.sku") or _text(
            product.get("reference_id"), f"{at}.reference_id"
        )
        units = sum(
            _int(
                _mapping(i, f"{at}.inventory_items[]").get("quantity", 0),
                f"{at}.inventory_items[].quantity",
            )
            for i in _list(product.get("inventory_items"), f"{at}.inventory_items")
        )
        if sku and units > 0:
            lines.append(PackageLine(sku=sku, quantity=units))
    weight_oz = _mapping(shipment.get("measurements") or {}, f"{path}.measurements").get(
        "total_weight_oz"
    )
    grams = None
    if isinstance(weight_oz, int | float) and not isinstance(weight_oz, bool):
        where = f"{path}.measurements.total_weight_oz"
        ounces = strict.number(
            str(weight_oz) if isinstance(weight_oz, float) else weight_oz, where, source=SOURCE
        )
        if not 0 <= ounces < MAX_OUNCES:
            raise InvalidInput.field(where, weight_oz, "is not a parcel's weight", source=SOURCE)
        grams = int(ounces * GRAMS_PER_OUNCE)
    return build(
        Package,
        source=SOURCE,
        package_id=_id(shipment.get("id"), f"{path}.id"),
        tracking_number=number,
        carrier=canonical_carrier_or_raw(
            _text(tracking.get("carrier"), f"{path}.tracking.carrier") or ""
        ),
        service=_text(tracking.get("carrier_service"), f"{path}.tracking.carrier_service"),
        lines=lines,
        weight_grams=grams,
        tracking_url=_text(
            tracking.get("tracking_url"), f"{path}.tracking.tracking_url", strict.TITLE_CHARS
        ),
    )


def _invoice(amount: int | float, currency: str, path: str) -> Money | None:
    """The invoice as Money, or None when its amount is not one (negative, huge, a float too
    precise): like a non-ISO currency, a bad invoice leaves the cost out (the raw body keeps
    it) rather than refusing what shipped. A float's repr is short; an int is checked for size
    before any text is made of it."""
    try:
        return strict.money(
            str(amount) if isinstance(amount, float) else amount,
            currency,
            amount_field=f"{path}.invoice_amount",
            currency_field=f"{path}.invoice_currency_code",
            source=SOURCE,
        )
    except InvalidInput:
        return None


def shipment_from(
    shipment: Mapping[str, object],
    *,
    warehouse: str,
    outbound_key: str | None = None,
    path: str = "shipment",
) -> Shipment | None:
    """One ShipBob shipment -> a canonical Shipment, or None while it has no tracking number."""
    tracking = _mapping(shipment.get("tracking") or {}, f"{path}.tracking")
    if not _text(tracking.get("tracking_number"), f"{path}.tracking.tracking_number"):
        return None
    key = outbound_key or _text(shipment.get("reference_id"), f"{path}.reference_id")
    if not key:
        raise InvalidInput.field(
            f"{path}.reference_id", None, "is missing: cannot tell the order", source=SOURCE
        )
    shipped_at = _time(tracking.get("shipping_date"), f"{path}.tracking.shipping_date") or _time(
        shipment.get("actual_fulfillment_date"), f"{path}.actual_fulfillment_date"
    )
    if shipped_at is None:
        raise InvalidInput.field(
            f"{path}.tracking.shipping_date", None, "is missing", source=SOURCE
        )
    costs: list[Money] = []
    amount, currency = shipment.get("invoice_amount"), shipment.get("invoice_currency_code")
    # The invoice is what the warehouse charged, not what shipped: the spec leaves
    # ``invoice_currency_code`` a free string, so one that is not ISO 4217 leaves the cost
    # out (the raw body keeps it) rather than refusing the shipment and its status.
    if isinstance(amount, int | float) and isinstance(currency, str) and currency in CURRENCIES:
        cost = _invoice(amount, currency, path)
        if cost is not None:
            costs.append(cost)
    return build(
        Shipment,
        source=SOURCE,
        outbound_key=key,
        warehouse=warehouse,
        warehouse_order_id=_id(shipment.get("order_id"), f"{path}.order_id"),
        shipment_id=_id(shipment.get("id"), f"{path}.id"),
        shipped_at=shipped_at,
        packages=[_package(shipment, path, tracking)],
        costs=costs,
    )


def normalize_shipments(
    payload: object, *, warehouse: str, outbound_key: str | None = None
) -> list[Shipment]:
    """Shipped shipments in an order, a list of orders, a shipment or a list of shipments."""
    items = payload if isinstance(payload, list) else [payload]
    found: list[Shipment] = []
    for index, item in enumerate(items):
        path = f"[{index}]" if isinstance(payload, list) else "(payload)"
        obj = _mapping(item, path)
        if "shipments" in obj:  # an order
            key = outbound_key or _text(obj.get("reference_id"), f"{path}.reference_id")
            for n, raw in enumerate(_list(obj.get("shipments"), f"{path}.shipments")):
                at = f"{path}.shipments[{n}]"
                made = shipment_from(
                    _mapping(raw, at), warehouse=warehouse, outbound_key=key, path=at
                )
                found += [made] if made else []
        else:
            made = shipment_from(obj, warehouse=warehouse, outbound_key=outbound_key, path=path)
            found += [made] if made else []
    return found


def cancel_result(
    payload: object, *, warehouse: str, outbound_key: str, decided_at: datetime
) -> InterceptResult:
    """``Orders.CanceledOrderViewModel`` -> intercept result. Only a full Success stops the
    order; Failure and PartialSuccess mean something already left: too late."""
    body = _mapping(payload, "(payload)")
    status = _text(body.get("status"), "status")
    reasons = [
        _text(
            _mapping(r, "canceled_shipment_results[]").get("reason"),
            "canceled_shipment_results[].reason",
        )
        for r in _list(body.get("canceled_shipment_results"), "canceled_shipment_results")
    ]
    return InterceptResult(
        outbound_key=outbound_key,
        warehouse=warehouse,
        warehouse_order_id=_text(body.get("order_id"), "order_id"),
        outcome=InterceptOutcome.SUCCEEDED if status == "Success" else InterceptOutcome.TOO_LATE,
        reason_code=status,
        message="; ".join(r for r in reasons if r) or None,
        decided_at=decided_at,
    )


# ---- tracking, inventory, webhooks --------------------------------------------------------


def normalize_tracking(payload: object) -> list[TrackingEvent]:
    """``GET /shipments-tracking`` (a list) or one ShipmentTrackingResponse -> events."""
    items = payload if isinstance(payload, list) else [payload]
    events: list[TrackingEvent] = []
    for index, item in enumerate(items):
        path = f"[{index}]"
        entry = _mapping(item, path)
        number = _text(
            entry.get("carrier_tracking_number"), f"{path}.carrier_tracking_number"
        ) or _text(entry.get("tracking_id"), f"{path}.tracking_id")
        carrier = canonical_carrier_or_raw(_text(entry.get("carrier"), f"{path}.carrier") or "")
        for n, raw in enumerate(_list(entry.get("history"), f"{path}.history")):
            at = f"{path}.history[{n}]"
            step = _mapping(raw, at)
            status = _text(step.get("status"), f"{at}.status")
            sub = _text(step.get("substatus"), f"{at}.substatus")
            events.append(
                build(
                    TrackingEvent,
                    source=SOURCE,
                    tracking_number=number,
                    carrier=carrier,
                    status=shipbob_status(status, sub),
                    raw_code=f"{status or '?'}/{sub}" if sub else (status or "?"),
                    description=_text(step.get("message"), f"{at}.message", strict.TITLE_CHARS)
                    or _text(
                        step.get("carrier_message"), f"{at}.carrier_message", strict.TITLE_CHARS
                    ),
                    location=_text(step.get("location"), f"{at}.location"),
                    occurred_at=_time(step.get("timestamp"), f"{at}.timestamp"),
                )
            )
    return events


#: where an inventory page keeps its rows, and the row field naming its SKU
STOCK_ROWS = "items"
STOCK_SKU = "sku"


def stock_rows(payload: object) -> list[object]:
    """The rows of ``Inventory.InventoryQuantityResponsePagedResponse`` (or of its bare
    ``items``) as sent, each read by :func:`stock_row` or :func:`stock_level`; a page whose
    own shape is wrong raises."""
    found = payload if isinstance(payload, list) else _mapping(payload, "(payload)").get("items")
    return list(_list(found, STOCK_ROWS))


def stock_level(row: object, where: str) -> StockLevel:
    """One inventory row: on hand ``total_on_hand_quantity``, available
    ``total_fulfillable_quantity``."""
    found = _mapping(row, where)
    return build(
        StockLevel,
        source=SOURCE,
        sku=_text(found.get(STOCK_SKU), f"{where}.{STOCK_SKU}"),
        on_hand=_int(
            found.get("total_on_hand_quantity", 0),
            f"{where}.total_on_hand_quantity",
            strict.MAX_STOCK,
        ),
        available=_int(
            found.get("total_fulfillable_quantity", 0),
            f"{where}.total_fulfillable_quantity",
            strict.MAX_STOCK,
        ),
        external_id=_text(found.get("inventory_id"), f"{where}.inventory_id"),
    )


def stock_row(row: object, where: str) -> WarehouseStock:
    """One inventory row as the stock pull reads it (see :func:`stock_level`)."""
    level = stock_level(row, where)
    return WarehouseStock(level.sku, level.on_hand, level.available or 0, 0)


#: an inventory-level page, read row by row
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row)


def parse_webhook(
    topic: str, payload: object, *, warehouse: str, received_at: datetime
) -> Shipment | TrackingEvent | InterceptResult | None:
    """One ShipBob order webhook -> what it means for the hub.

    ``order.shipped`` -> Shipment; ``order.shipment.delivered`` -> a delivered TrackingEvent;
    ``order.shipment.cancelled`` -> InterceptResult (the warehouse cancelled). Exception and
    on-hold topics carry nothing to record here (None); an unknown topic is refused.
    """
    if topic not in ORDER_TOPICS:
        raise InvalidInput.field(
            "topic", topic, f"is not one of {', '.join(ORDER_TOPICS)}", source=SOURCE
        )
    body = _mapping(payload, "(payload)")
    shipment = _mapping(body["data"], "data") if "data" in body else body
    if topic == TOPIC_SHIPPED:
        made = shipment_from(shipment, warehouse=warehouse)
        if made is None:
            raise InvalidInput.field(
                "tracking.tracking_number", None, "is missing on a shipped shipment", source=SOURCE
            )
        return made
    if topic == TOPIC_DELIVERED:
        tracking = _mapping(shipment.get("tracking") or {}, "tracking")
        return build(
            TrackingEvent,
            source=SOURCE,
            tracking_number=_text(tracking.get("tracking_number"), "tracking.tracking_number"),
            carrier=canonical_carrier_or_raw(
                _text(tracking.get("carrier"), "tracking.carrier") or ""
            ),
            status=shipbob_status("Delivered"),
            raw_code=TOPIC_DELIVERED,
            description="Delivered",
            occurred_at=_time(shipment.get("delivery_date"), "delivery_date") or received_at,
        )
    if topic == TOPIC_CANCELLED:
        key = _text(shipment.get("reference_id"), "reference_id")
        if key is None:
            raise InvalidInput.field(
                "reference_id", None, "is missing: cannot tell the order", source=SOURCE
            )
        return InterceptResult(
            outbound_key=key,
            warehouse=warehouse,
            warehouse_order_id=_text(shipment.get("order_id"), "order_id"),
            outcome=InterceptOutcome.SUCCEEDED,
            initiated_by="warehouse",
            reason_code=TOPIC_CANCELLED,
            decided_at=_time(shipment.get("last_update_at"), "last_update_at") or received_at,
        )
    return None
