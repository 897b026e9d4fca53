"""Requests to MCF (fulfillmentOutbound 2020-07-01) and FBA inventory (v1), built from the hub's
canonical values.

``sellerFulfillmentOrderId`` is the hub's dispatch id (the outbound idempotency key), so a
retried create names the same order and Amazon can never hold two. The model caps it at 40
characters; Amazon documents no character set for it, so the hub keeps to letters, digits,
``-`` and ``_`` (safe in the path of getFulfillmentOrder / cancel / update without escaping).
A key that already fits is sent as it is; any other is derived deterministically: its
characters outside that set become ``-``, the tail that fits is kept (the external order id
and ``#pNrM`` part/revision end the key, so the tail is the readable part) and a hash of the
whole key ends it, so two keys that clean to the same text still get different ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder
from channelhub.core.parties import Address

BASE = "/fba/outbound/2020-07-01"
ORDERS_PATH = f"{BASE}/fulfillmentOrders"
PREVIEW_PATH = f"{BASE}/fulfillmentOrders/preview"
TRACKING_PATH = f"{BASE}/tracking"
INVENTORY_PATH = "/fba/inventory/v1/summaries"
#: ``CreateFulfillmentOrderRequest.sellerFulfillmentOrderId`` / ``displayableOrderId`` maxLength.
MAX_ORDER_ID = 40
MAX_COMMENT = 750
MAX_ITEM_ID = 50
_SAFE = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_HASH_CHARS = 12
SPEEDS = ("Standard", "Expedited", "Priority", "ScheduledDelivery")
POLICIES = ("FillOrKill", "FillAll", "FillAllAvailable")
SHIP, HOLD = "Ship", "Hold"


def fulfillment_order_id(idempotency_key: str) -> str:
    """The ``sellerFulfillmentOrderId`` of one outbound: the key itself when it fits the limits,
    else ``<cleaned tail>-<12 hex of sha256(key)>`` (always 40 characters or fewer)."""
    if len(idempotency_key) <= MAX_ORDER_ID and _SAFE.fullmatch(idempotency_key):
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    room = MAX_ORDER_ID - _HASH_CHARS - 1
    tail = _UNSAFE.sub("-", idempotency_key)[-room:].strip("-")
    return f"{tail}-{digest}" if tail else digest


def _displayable_id(outbound: OutboundOrder) -> str:
    """What the packing slip shows: the channel order number (ISO 8859-1, no double spaces,
    1-40 characters), else the order id."""
    text = outbound.reference or outbound.order_key.rsplit(":", 1)[-1]
    text = " ".join(text.encode("latin-1", "replace").decode("latin-1").split())
    return text[:MAX_ORDER_ID] or fulfillment_order_id(outbound.idempotency_key)


def _line(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def address_body(address: Address, *, path: str = "ship_to") -> dict[str, Any]:
    """``Address``: name, addressLine1, postalCode and countryCode are required."""
    body: dict[str, Any] = {
        "name": _line(address.name) or _line(address.company),
        "addressLine1": _line(address.line1),
        "addressLine2": _line(address.line2),
        "addressLine3": _line(address.line3),
        "city": _line(address.city),
        "stateOrRegion": _line(address.region),
        "postalCode": _line(address.postal_code),
        "countryCode": address.country,
        "phone": _line(address.phone),
    }
    missing = [k for k in ("name", "addressLine1", "postalCode") if not body[k]]
    if missing:
        raise InvalidInput(
            [f"{path}: Amazon MCF needs {', '.join(missing)} in the destination address"],
            source="amazon_mcf",
        )
    return {k: v for k, v in body.items() if v is not None}


def _items(lines: Sequence[tuple[str, int]]) -> list[dict[str, Any]]:
    """One item per line; ``sellerFulfillmentOrderItemId`` numbers the lines (unique within
    the order, as the model asks, even when a SKU repeats)."""
    return [
        {"sellerSku": sku, "sellerFulfillmentOrderItemId": str(n), "quantity": quantity}
        for n, (sku, quantity) in enumerate(lines, start=1)
    ]


def create_order_body(
    outbound: OutboundOrder,
    *,
    marketplace_id: str,
    ordered_at: datetime,
    speed: str = "Standard",
    policy: str = "FillOrKill",
    hold: bool = False,
    comment: str = "Thank you for your order.",
) -> dict[str, Any]:
    """``CreateFulfillmentOrderRequest`` for one outbound order.

    ``speed`` is the outbound's ``shipping_service`` when it names an MCF speed, else the
    account's default. ``hold`` creates it with an order hold (``fulfillmentAction=Hold``).
    """
    wanted = outbound.shipping_service if outbound.shipping_service in SPEEDS else speed
    for sku in (line.sku for line in outbound.lines):
        if len(sku) > MAX_ITEM_ID:
            raise InvalidInput.field(
                "sellerSku", sku, f"is longer than {MAX_ITEM_ID} characters", source="amazon_mcf"
            )
    body: dict[str, Any] = {
        "marketplaceId": marketplace_id,
        "sellerFulfillmentOrderId": fulfillment_order_id(outbound.idempotency_key),
        "displayableOrderId": _displayable_id(outbound),
        "displayableOrderDate": ordered_at.isoformat().replace("+00:00", "Z"),
        "displayableOrderComment": (_line(outbound.remarks) or comment)[:MAX_COMMENT],
        "shippingSpeedCategory": wanted,
        "destinationAddress": address_body(outbound.ship_to),
        "fulfillmentAction": HOLD if hold else SHIP,
        "fulfillmentPolicy": policy,
        "items": _items([(line.sku, line.quantity) for line in outbound.lines]),
    }
    if outbound.ship_to.email:
        body["notificationEmails"] = [outbound.ship_to.email]
    return body


def update_action_body(*, marketplace_id: str, hold: bool) -> dict[str, Any]:
    """``UpdateFulfillmentOrderRequest`` that holds the order or releases its hold."""
    return {"marketplaceId": marketplace_id, "fulfillmentAction": HOLD if hold else SHIP}


def preview_body(
    ship_to: Address,
    lines: Sequence[tuple[str, int]],
    *,
    marketplace_id: str,
    speeds: Sequence[str] = ("Standard",),
) -> dict[str, Any]:
    """``GetFulfillmentPreviewRequest``: what shipping these lines there would cost and take."""
    return {
        "marketplaceId": marketplace_id,
        "address": address_body(ship_to),
        "items": _items(lines),
        "shippingSpeedCategories": list(speeds),
    }


def inventory_query(
    *, marketplace_id: str, since: datetime | None, next_token: str | None
) -> list[tuple[str, str]]:
    """getInventorySummaries at Marketplace granularity, with details (the fulfillable
    quantity is a detail); ``since`` lists only SKUs changed after it (``startDateTime``, kept
    on every page as Amazon asks when paging a changed-since read)."""
    query = [
        ("details", "true"),
        ("granularityType", "Marketplace"),
        ("granularityId", marketplace_id),
        ("marketplaceIds", marketplace_id),
    ]
    if since is not None:
        query.append(("startDateTime", since.isoformat().replace("+00:00", "Z")))
    if next_token:
        query.append(("nextToken", next_token))
    return query
