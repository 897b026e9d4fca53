"""getFulfillmentOrder and getFulfillmentPreview answers -> canonical values.

- :func:`order_state`: ``FulfillmentOrderStatus`` (and the shipments) -> :class:`OutboundState`.
- :func:`shipments_from`: every ``SHIPPED`` fulfillment shipment whose packages all carry a
  tracking number -> one canonical :class:`Shipment` (id: ``amazonShipmentId``), its packages
  numbered by ``packageNumber`` (kept as ``package_id``: getPackageTrackingDetails asks by it).
- :func:`order_outcome`: what a person must look at — ``Unfulfillable`` / ``Invalid`` orders,
  ``CompletePartialled`` ones, and items with an unfulfillable quantity.
- :func:`preview_quotes`: each fulfillable preview's fees (summed per currency) and arrival
  window, for allocation to weigh cost against speed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundState, Package, PackageLine, Shipment
from channelhub.core.money import Money
from channelhub.core.validation import build
from channelhub.mappings.amazon._wire import Wire
from channelhub.mappings.carriers import canonical_carrier_or_raw

SOURCE = "amazon_mcf"
#: ``FulfillmentOrderStatus`` -> where the outbound order is (shipments refine Processing).
ORDER_STATES: Mapping[str, OutboundState] = {
    "New": OutboundState.ACCEPTED,
    "Received": OutboundState.ACCEPTED,
    "Planning": OutboundState.ACCEPTED,
    "Processing": OutboundState.PICKING,
    "Complete": OutboundState.SHIPPED,
    "CompletePartialled": OutboundState.PARTIALLY_SHIPPED,
    "Cancelled": OutboundState.CANCELLED,
    "Unfulfillable": OutboundState.REJECTED,
    "Invalid": OutboundState.REJECTED,
}
#: Statuses after which Amazon changes nothing more (the poll stops asking).
FINAL_STATUSES = frozenset(
    {"Complete", "CompletePartialled", "Cancelled", "Unfulfillable", "Invalid"}
)
#: Statuses in which the seller may still cancel (the model: Received and Planning; New too).
CANCELLABLE = frozenset({"New", "Received", "Planning"})


def _result(payload: object) -> Wire:
    """The ``payload`` of a GetFulfillmentOrderResponse (or the result itself)."""
    root = Wire(payload, "", SOURCE)
    node = root.get("payload")
    return node if node is not None else root


def status_of(payload: object) -> str:
    """The order's ``fulfillmentOrderStatus`` word, checked against the model's enum."""
    status = _result(payload).req("fulfillmentOrder").req("fulfillmentOrderStatus")
    word = status.text(strict.CODE_CHARS)
    if word not in ORDER_STATES:
        raise status.fail("is not a FulfillmentOrderStatus")
    return word


def is_held(payload: object) -> bool:
    """Whether the order carries an order hold (``fulfillmentAction`` Hold)."""
    return _result(payload).req("fulfillmentOrder").opt_text("fulfillmentAction") == "Hold"


def _shipments(payload: object) -> list[Wire]:
    node = _result(payload).get("fulfillmentShipments")
    return list(node.items()) if node is not None else []


def order_state(payload: object) -> OutboundState:
    """Where the order is: a Processing order with a shipment gone is partially shipped."""
    state = ORDER_STATES[status_of(payload)]
    if state is OutboundState.PICKING and any(
        s.opt_text("fulfillmentShipmentStatus") == "SHIPPED" for s in _shipments(payload)
    ):
        return OutboundState.PARTIALLY_SHIPPED
    return state


def _package(node: Wire, lines: tuple[PackageLine, ...]) -> Package | None:
    number = node.req("packageNumber").integer(maximum=2**31 - 1)
    tracking = node.opt_text("trackingNumber") or node.opt_text("amazonFulfillmentTrackingNumber")
    if tracking is None:
        return None
    carrier = node.req("carrierCode").nonempty_text(strict.CODE_CHARS)
    return build(
        Package,
        source=SOURCE,
        package_id=str(number),
        tracking_number=tracking,
        carrier=canonical_carrier_or_raw(carrier),
        lines=lines,
    )


def _package_lines(shipment: Wire) -> dict[int | None, list[PackageLine]]:
    found: dict[int | None, list[PackageLine]] = {}
    for item in shipment.req("fulfillmentShipmentItem").items():
        quantity = item.req("quantity").integer()
        if quantity == 0:
            continue
        number_node = item.get("packageNumber")
        number = number_node.integer(maximum=2**31 - 1) if number_node is not None else None
        line = build(
            PackageLine,
            source=SOURCE,
            sku=item.req("sellerSku").nonempty_text(strict.SKU_CHARS),
            quantity=quantity,
            order_line_id=item.opt_text("sellerFulfillmentOrderItemId"),
        )
        found.setdefault(number, []).append(line)
    return found


def shipment_from(
    shipment: Wire, *, warehouse: str, outbound_key: str, order_id: str
) -> Shipment | None:
    """One ``FulfillmentShipment`` -> a Shipment, or None until it left with tracking numbers.

    Items name their package (``packageNumber``); items that do not go in the first package.
    """
    if shipment.req("fulfillmentShipmentStatus").text(strict.CODE_CHARS) != "SHIPPED":
        return None
    packages_node = shipment.get("fulfillmentShipmentPackage")
    nodes = list(packages_node.items()) if packages_node is not None else []
    if not nodes:
        return None
    lines = _package_lines(shipment)
    packages: list[Package] = []
    for index, node in enumerate(nodes):
        number = node.req("packageNumber").integer(maximum=2**31 - 1)
        mine = list(lines.get(number, []))
        if index == 0:
            mine += lines.get(None, [])
        package = _package(node, tuple(mine))
        if package is None:
            return None  # a package without tracking yet: wait for the whole shipment
        packages.append(package)
    date = shipment.get("shippingDate")
    if date is None:
        raise InvalidInput(
            [f"{shipment.path}.shippingDate is missing on a SHIPPED shipment"], source=SOURCE
        )
    return build(
        Shipment,
        source=SOURCE,
        outbound_key=outbound_key,
        warehouse=warehouse,
        warehouse_order_id=order_id,
        shipment_id=shipment.req("amazonShipmentId").nonempty_text(strict.CODE_CHARS),
        shipped_at=date.when(),
        packages=tuple(packages),
    )


def shipments_from(payload: object, *, warehouse: str, outbound_key: str) -> list[Shipment]:
    """Every shipment of the order that left with tracking numbers."""
    order_id = _result(payload).req("fulfillmentOrder").req("sellerFulfillmentOrderId").text()
    found = []
    for node in _shipments(payload):
        shipment = shipment_from(
            node, warehouse=warehouse, outbound_key=outbound_key, order_id=order_id
        )
        if shipment is not None:
            found.append(shipment)
    return found


def shipment_nodes(payload: object) -> list[Wire]:
    """The raw shipment objects (the connector maps each on its own, setting aside a bad one)."""
    return _shipments(payload)


@dataclass(frozen=True)
class FulfilmentOutcome:
    """What a person must look at in one fulfillment order; ``reason`` is None when nothing."""

    status: str
    unfulfillable: tuple[tuple[str, int], ...]
    cancelled: tuple[tuple[str, int], ...]

    @property
    def reason(self) -> str | None:
        short = ", ".join(f"{sku} x{n}" for sku, n in self.unfulfillable)
        if self.status in ("Unfulfillable", "Invalid"):
            what = f": {short}" if short else ""
            return f"Amazon MCF answered {self.status}{what}"
        if self.status == "CompletePartialled":
            gone = ", ".join(f"{sku} x{n}" for sku, n in self.unfulfillable + self.cancelled)
            return f"Amazon MCF shipped part of the order; not shipped: {gone or 'some units'}"
        if self.unfulfillable:
            return f"Amazon MCF cannot fulfil {short}"
        return None


def order_outcome(payload: object) -> FulfilmentOutcome:
    """The order's status with its unfulfillable and cancelled quantities per SKU."""
    unfulfillable: dict[str, int] = {}
    cancelled: dict[str, int] = {}
    items = _result(payload).get("fulfillmentOrderItems")
    for item in items.items() if items is not None else []:
        sku = item.req("sellerSku").nonempty_text(strict.SKU_CHARS)
        for key, into in (
            ("unfulfillableQuantity", unfulfillable),
            ("cancelledQuantity", cancelled),
        ):
            node = item.get(key)
            quantity = node.integer() if node is not None else 0
            if quantity:
                into[sku] = into.get(sku, 0) + quantity
    return FulfilmentOutcome(
        status_of(payload), tuple(sorted(unfulfillable.items())), tuple(sorted(cancelled.items()))
    )


@dataclass(frozen=True)
class PreviewQuote:
    """One shipping speed of a fulfillment preview: total estimated fees and arrival window."""

    speed: str
    fulfillable: bool
    fees: Money | None
    earliest_arrival: datetime | None
    latest_arrival: datetime | None
    reasons: tuple[str, ...] = ()


def _fees(preview: Wire) -> Money | None:
    node = preview.get("estimatedFees")
    total: Decimal | None = None
    currency: str | None = None
    for fee in node.items() if node is not None else []:
        amount = fee.req("amount")
        value = amount.req("value")
        code = amount.req("currencyCode").text(strict.CODE_CHARS)
        raw = value.value
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise value.fail("is not a decimal amount (Amazon sends a string)")
        money = strict.money(
            raw,
            code,
            amount_field=value.path,
            currency_field=f"{amount.path}.currencyCode",
            source=SOURCE,
        )
        if currency not in (None, money.currency):
            raise amount.fail("mixes currencies within one preview")
        currency = money.currency
        total = money.amount if total is None else total + money.amount
    return None if total is None or currency is None else Money(amount=total, currency=currency)


def _window(preview: Wire) -> tuple[datetime | None, datetime | None]:
    earliest: datetime | None = None
    latest: datetime | None = None
    node = preview.get("fulfillmentPreviewShipments")
    for shipment in node.items() if node is not None else []:
        first, last = shipment.get("earliestArrivalDate"), shipment.get("latestArrivalDate")
        if first is not None:
            when = first.when()
            earliest = when if earliest is None else min(earliest, when)
        if last is not None:
            when = last.when()
            latest = when if latest is None else max(latest, when)
    return earliest, latest


def preview_quotes(payload: object) -> list[PreviewQuote]:
    """Every preview of a GetFulfillmentPreviewResponse, one per shipping speed."""
    result = _result(payload)
    node = result.get("fulfillmentPreviews")
    quotes = []
    for preview in node.items() if node is not None else []:
        reasons = preview.get("orderUnfulfillableReasons")
        earliest, latest = _window(preview)
        fulfillable = preview.req("isFulfillable").value
        if not isinstance(fulfillable, bool):
            raise preview.req("isFulfillable").fail("is not true/false")
        quotes.append(
            PreviewQuote(
                speed=preview.req("shippingSpeedCategory").text(strict.CODE_CHARS),
                fulfillable=fulfillable,
                fees=_fees(preview),
                earliest_arrival=earliest,
                latest_arrival=latest,
                reasons=tuple(r.text() for r in reasons.items()) if reasons is not None else (),
            )
        )
    return quotes
