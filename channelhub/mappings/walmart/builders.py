"""Requests the Walmart connector sends, and the answers that need care (pure).

Per contracts/walmart/*.yml: every call carries ``WM_SEC.ACCESS_TOKEN`` (from ``POST /v3/token``,
client credentials with Basic auth, ``expires_in`` 900), ``WM_QOS.CORRELATION_ID`` (a fresh
GUID) and ``WM_SVC.NAME``. Released orders are read by ``createdStartDate`` with ``limit <= 200``
and followed by the answer's ``meta.nextCursor`` (a query string to append, never computed);
items follow ``nextCursor`` too. Shipping sends one ``orderLine`` per line of a package with
its ``trackingInfo``; cancelling sends ``Cancelled`` with a reason per line. Inventory is
``PUT /v3/inventory?sku=`` for one SKU, or a bulk ``inventory`` feed (multipart) for many.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from channelhub.core.errors import InvalidInput
from channelhub.mappings._fieldpath import items, obj, opt_text

SOURCE = "walmart response"

TOKEN_PATH = "/v3/token"
ORDERS_PATH = "/v3/orders"
RELEASED_PATH = "/v3/orders/released"
ITEMS_PATH = "/v3/items"
INVENTORY_PATH = "/v3/inventory"
FEEDS_PATH = "/v3/feeds"
SERVICE_NAME = "Walmart Marketplace"
MAX_ORDERS_PER_PAGE = 200
#: Above this many SKUs a push goes as one bulk feed instead of one PUT per SKU.
FEED_THRESHOLD = 10
#: Walmart's cancellation reasons (cancelOrderLines ``cancellationReason`` enum).
CANCEL_REASONS = (
    "CUSTOMER_REQUESTED_SELLER_TO_CANCEL",
    "SELLER_CANCEL_PRICING_ERROR",
    "SELLER_CANCEL_OUT_OF_STOCK",
    "SELLER_CANCEL_FRAUD_STOP_SHIPMENT",
    "SELLER_CANCEL_ADDRESS_NOT_SERVICEABLE",
)
#: Hub carrier slug -> the spec's ``carrierName.carrier`` enum; others go as ``otherCarrier``.
CARRIERS: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "ontrac": "OnTrac",
    "lso": "LSO",
    "yanwen": "Yanwen",
    "4px": "4PX",
    "china_post": "China Post",
    "yunexpress": "YunExpress",
    "royal_mail": "Royal Mail",
    "canada_post": "Canada Post",
    "gls": "GLS",
    "asendia": "Asendia",
    "deutsche_post": "Deutsche Post",
    "dhl_ecommerce": "DHL Ecommerce - US",
    "sf_express": "SF Express",
}
METHOD_CODES = ("Standard", "Express", "OneDay", "Freight", "WhiteGlove", "Value")


def basic_client_auth(client_id: str, client_secret: str) -> str:
    """``Authorization`` of the token call: Basic base64(client_id:client_secret)."""
    return "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode("ascii")


def token_form() -> str:
    """The form body of the client-credentials grant."""
    return "grant_type=client_credentials"


def walmart_time(value: datetime) -> str:
    """An ISO 8601 UTC timestamp with milliseconds, as the date filters take it."""
    if value.tzinfo is None:
        raise InvalidInput.field("timestamp", value.isoformat(), "has no timezone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_ms(value: datetime) -> int:
    """Walmart's timestamps in bodies: milliseconds since the epoch."""
    return int(value.timestamp() * 1000)


def released_params(
    start: datetime, end: datetime, *, limit: int = MAX_ORDERS_PER_PAGE
) -> dict[str, str]:
    """Query of the first getAllReleasedOrders page; later pages come from ``nextCursor``."""
    if not 1 <= limit <= MAX_ORDERS_PER_PAGE:
        raise InvalidInput.field("limit", limit, f"must be between 1 and {MAX_ORDERS_PER_PAGE}")
    if end < start:
        raise InvalidInput.field("createdEndDate", walmart_time(end), "is before the start")
    return {
        "createdStartDate": walmart_time(start),
        "createdEndDate": walmart_time(end),
        "limit": str(limit),
    }


def all_orders_params(
    modified_from: datetime,
    end: datetime,
    *,
    created_from: datetime,
    limit: int = MAX_ORDERS_PER_PAGE,
) -> dict[str, str]:
    """Query of the first getAllOrders page: orders modified in [modified_from, end].

    getAllOrders reads only orders created in the last 7 days unless told otherwise (and 180
    at most), so ``createdStartDate`` reaches back explicitly; ``SellerFulfilled`` is the
    default ship node, named for clarity."""
    if not 1 <= limit <= MAX_ORDERS_PER_PAGE:
        raise InvalidInput.field("limit", limit, f"must be between 1 and {MAX_ORDERS_PER_PAGE}")
    if end < modified_from:
        raise InvalidInput.field("lastModifiedEndDate", walmart_time(end), "is before the start")
    return {
        "lastModifiedStartDate": walmart_time(modified_from),
        "lastModifiedEndDate": walmart_time(end),
        "createdStartDate": walmart_time(min(created_from, modified_from)),
        "limit": str(limit),
        "shipNodeType": "SellerFulfilled",
    }


def next_cursor_path(base: str, cursor: str) -> str:
    """The next page's path: Walmart's ``nextCursor`` is the query string to send as given
    (``?limit=..&hasMoreElements=true&...``); a bare token goes as ``nextCursor=``."""
    if cursor.startswith("?"):
        return base + cursor
    return f"{base}?nextCursor={quote(cursor, safe='')}"


def order_path(purchase_order_id: str, action: str = "") -> str:
    """``/v3/orders/{purchaseOrderId}`` or one of its actions (acknowledge, shipping, cancel)."""
    if not purchase_order_id.strip() or "/" in purchase_order_id or "?" in purchase_order_id:
        raise InvalidInput.field("purchaseOrderId", purchase_order_id, "is not an order id")
    return f"{ORDERS_PATH}/{quote(purchase_order_id, safe='')}" + (f"/{action}" if action else "")


def page_orders(body: object) -> tuple[list[Any], str | None]:
    """The orders of a released/all-orders page and its ``nextCursor`` (None: last page).

    An empty page may come without ``elements`` (the spec requires ``list.meta`` and
    ``list.elements``, but a page of nothing says little): it reads as no orders."""
    root = obj(body, "(page)", source=SOURCE)
    listing = obj(root.get("list") or {}, "list", source=SOURCE)
    meta = obj(listing.get("meta") or {}, "list.meta", source=SOURCE)
    elements = obj(listing.get("elements") or {}, "list.elements", source=SOURCE)
    orders = list(items(elements.get("order"), "list.elements.order", source=SOURCE))
    return orders, opt_text(meta, "nextCursor", "list.meta", source=SOURCE, limit=4000)


def carrier_name(carrier: str) -> dict[str, str]:
    """``carrierName``: the spec's enum value for a known carrier, else ``otherCarrier``."""
    if carrier.strip() in CARRIERS.values():  # already Walmart's name (the carrier table's)
        return {"carrier": carrier.strip()}
    slug = carrier.strip().lower().replace(" ", "_").replace("-", "_")
    known = CARRIERS.get(slug)
    return {"carrier": known} if known else {"otherCarrier": carrier.strip()}


@dataclass(frozen=True)
class ShipLine:
    """One order line (its ``lineNumber``) and how many of it a package holds."""

    line_number: str
    quantity: int


def shipping_body(
    lines: Sequence[ShipLine],
    *,
    seller_order_id: str,
    carrier: str,
    tracking_number: str,
    shipped_at: datetime,
    method_code: str = "Standard",
) -> dict[str, Any]:
    """shippingUpdates body for one package: each line shipped with the package's tracking."""
    if not lines:
        raise InvalidInput.field("orderLine", [], "is empty: a package ships at least one line")
    if not tracking_number.strip():
        raise InvalidInput.field("trackingNumber", tracking_number, "is empty")
    if method_code not in METHOD_CODES:
        method_code = "Standard"
    tracking = {
        "shipDateTime": epoch_ms(shipped_at),
        "carrierName": carrier_name(carrier),
        "methodCode": method_code,
        "trackingNumber": tracking_number,
    }
    order_lines = []
    for line in lines:
        if line.quantity < 1:
            raise InvalidInput.field(f"line {line.line_number}", line.quantity, "is below 1")
        order_lines.append(
            {
                "lineNumber": line.line_number,
                "sellerOrderId": seller_order_id,
                "orderLineStatuses": {
                    "orderLineStatus": [
                        {
                            "status": "Shipped",
                            "statusQuantity": {
                                "unitOfMeasurement": "EACH",
                                "amount": str(line.quantity),
                            },
                            "trackingInfo": tracking,
                        }
                    ]
                },
            }
        )
    return {"orderShipment": {"orderLines": {"orderLine": order_lines}}}


def cancel_body(lines: Sequence[ShipLine], *, reason: str) -> dict[str, Any]:
    """cancelOrderLines body: each line ``Cancelled`` for its quantity, with the reason."""
    if reason not in CANCEL_REASONS:
        known = ", ".join(CANCEL_REASONS)
        raise InvalidInput.field("cancellationReason", reason, f"is not one of {known}")
    if not lines:
        raise InvalidInput.field("orderLine", [], "is empty: name the lines to cancel")
    return {
        "orderCancellation": {
            "orderLines": {
                "orderLine": [
                    {
                        "lineNumber": line.line_number,
                        "orderLineStatuses": {
                            "orderLineStatus": [
                                {
                                    "status": "Cancelled",
                                    "cancellationReason": reason,
                                    "statusQuantity": {
                                        "unitOfMeasurement": "EACH",
                                        "amount": str(line.quantity),
                                    },
                                }
                            ]
                        },
                    }
                    for line in lines
                ]
            }
        }
    }


def inventory_body(sku: str, quantity: int) -> dict[str, Any]:
    """updateInventoryForAnItem body."""
    if quantity < 0:
        raise InvalidInput.field(f"{sku}.quantity", quantity, "is negative")
    return {"sku": sku, "quantity": {"unit": "EACH", "amount": quantity}}


def inventory_feed(updates: Sequence[tuple[str, int]]) -> bytes:
    """The bulk inventory feed file (the spec's ``InventoryHeader`` 1.4 example shape)."""
    seen: set[str] = set()
    rows = []
    for index, (sku, quantity) in enumerate(updates):
        if sku in seen:
            raise InvalidInput.field(f"Inventory[{index}].sku", sku, "appears twice")
        seen.add(sku)
        rows.append(inventory_body(sku, quantity))
    feed = {"InventoryHeader": {"version": "1.4"}, "Inventory": rows}
    return json.dumps(feed, separators=(",", ":")).encode()


def multipart(file_body: bytes, boundary: str) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with the feed as its ``file`` part, and its type."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="inventory.json"\r\nContent-Type: application/json\r\n\r\n'
    ).encode()
    return head + file_body + f"\r\n--{boundary}--\r\n".encode(), (
        f"multipart/form-data; boundary={boundary}"
    )


@dataclass(frozen=True)
class FeedItem:
    """One SKU's outcome in a processed feed."""

    sku: str
    ok: bool
    reason: str | None


def feed_results(body: object) -> tuple[str, list[FeedItem]]:
    """A feed's status and, once processed, every SKU's ingestion status."""
    root = obj(body, "(feed)", source=SOURCE)
    status = opt_text(root, "feedStatus", "(feed)", source=SOURCE) or "RECEIVED"
    details = obj(root.get("itemDetails") or {}, "itemDetails", source=SOURCE)
    found = []
    for i, entry in enumerate(
        items(details.get("itemIngestionStatus"), "itemDetails.itemIngestionStatus", source=SOURCE)
    ):
        path = f"itemDetails.itemIngestionStatus[{i}]"
        row = obj(entry, path, source=SOURCE)
        sku = opt_text(row, "sku", path, source=SOURCE) or ""
        state = opt_text(row, "ingestionStatus", path, source=SOURCE) or "UNKNOWN"
        errors = obj(row.get("ingestionErrors") or {}, f"{path}.ingestionErrors", source=SOURCE)
        said = [
            str(e.get("description") or e.get("code") or "")
            for e in items(errors.get("ingestionError"), f"{path}.ingestionErrors", source=SOURCE)
            if isinstance(e, Mapping)
        ]
        ok = state == "SUCCESS"
        found.append(FeedItem(sku, ok, None if ok else "; ".join(said) or f"ingestion {state}"))
    return status, found
