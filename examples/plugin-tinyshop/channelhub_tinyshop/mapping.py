"""Tinyshop wire format <-> canonical models: pure functions, no I/O, no clock.

A document that is not what Tinyshop sends raises :class:`InvalidInput` naming the field,
so the hub sets the record aside with its raw body (a dead letter) instead of failing a page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.models import Money, Order, OrderLine, OrderTotals, Package

SOURCE = "tinyshop order"


def _field(node: Mapping[str, Any], name: str, kind: type, path: str) -> Any:
    value = node.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) or value == "":
        raise InvalidInput.field(
            f"{path}.{name}", value, f"is not a {kind.__name__}", source=SOURCE
        )
    return value


def _time(node: Mapping[str, Any], name: str, path: str) -> datetime:
    text = _field(node, name, str, path)
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput.field(f"{path}.{name}", text, "is not a time", source=SOURCE) from None


def _money(node: Mapping[str, Any], name: str, currency: str, path: str) -> Money:
    try:
        return Money(amount=Decimal(_field(node, name, str, path)), currency=currency)
    except InvalidOperation:
        raise InvalidInput.field(f"{path}.{name}", node[name], "is not an amount") from None


def order_objects(document: object) -> list[tuple[str, Mapping[str, Any]]]:
    """The order objects in an orders page (``{"orders": [...]}``) or one order object."""
    if isinstance(document, Mapping) and "orders" in document:
        found = document["orders"]
        if not isinstance(found, Sequence) or isinstance(found, str):
            raise InvalidInput.field("orders", found, "is not a list", source=SOURCE)
        nodes = [(f"orders[{i}]", node) for i, node in enumerate(found)]
    else:
        nodes = [("order", document)]
    for path, node in nodes:
        if not isinstance(node, Mapping):
            raise InvalidInput.field(path, node, "is not an object", source=SOURCE)
    return nodes  # type: ignore[return-value]


def order_from_wire(node: Mapping[str, Any], *, account: str, path: str = "order") -> Order:
    """One Tinyshop order as the canonical :class:`Order`."""
    currency = _field(node, "currency", str, path)
    lines = _field(node, "lines", list, path)
    return Order(
        channel="tinyshop",
        account=account,
        external_id=_field(node, "id", str, path),
        channel_status=_field(node, "status", str, path),
        placed_at=_time(node, "created_at", path),
        updated_at=_time(node, "updated_at", path),
        totals=OrderTotals(total=_money(node, "total", currency, path)),
        lines=tuple(_line(line, currency, f"{path}.lines[{i}]") for i, line in enumerate(lines)),
    )


def _line(node: object, currency: str, path: str) -> OrderLine:
    if not isinstance(node, Mapping):
        raise InvalidInput.field(path, node, "is not an object", source=SOURCE)
    return OrderLine(
        line_id=_field(node, "id", str, path),
        listing_id=_field(node, "sku", str, path),
        channel_sku=node["sku"],
        quantity=_field(node, "quantity", int, path),
        unit_price=_money(node, "price", currency, path),
    )


def normalize_orders(document: object, *, account: str) -> list[Order]:
    """Every order in an orders page or one order object (what a replay calls)."""
    return [order_from_wire(node, account=account, path=p) for p, node in order_objects(document)]


def inventory_request(items: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """The body of ``POST /api/inventory`` for (sku, quantity) pairs."""
    return {"items": [{"sku": sku, "quantity": quantity} for sku, quantity in items]}


def shipment_request(package: Package) -> dict[str, Any]:
    """The body of ``POST /api/orders/{id}/shipments`` for one package."""
    return {
        "tracking_number": package.tracking_number,
        "carrier": package.carrier,
        "lines": [
            {"line_id": line.order_line_id, "quantity": line.quantity} for line in package.lines
        ],
    }
