"""Requests the eBay connector sends, and how it reads the answers that need care.

Pure: paths, query parameters and JSON bodies per contracts/ebay/*_oas3.json. The
connector adds I/O. The contract README's rules live here: getOrders ``limit <= 200`` and
follow ``next`` (never compute offsets); bulkUpdatePriceQuantity ``<= 25`` items per call
with every item's status read (a 207 is normal); createShippingFulfillment per package with
carrier code and tracking number together and no idempotency key (so the connector reads the
existing fulfilments before a retry).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.mappings._fieldpath import as_int, items, obj, opt_text

SOURCE = "ebay response"

FULFILLMENT_BASE = "/sell/fulfillment/v1"
INVENTORY_BASE = "/sell/inventory/v1"
NOTIFICATION_BASE = "/commerce/notification/v1"
FINANCES_BASE = "/sell/finances/v1"
TOKEN_PATH = "/identity/v1/oauth2/token"

SCOPE_FULFILLMENT = "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
SCOPE_INVENTORY = "https://api.ebay.com/oauth/api_scope/sell.inventory"
SCOPE_PUBLIC = "https://api.ebay.com/oauth/api_scope"
SCOPE_FINANCES = "https://api.ebay.com/oauth/api_scope/sell.finances"
#: The scopes each API's calls need (from each operation's ``security`` in the specs).
API_SCOPES: Mapping[str, tuple[str, ...]] = {
    "fulfillment": (SCOPE_FULFILLMENT,),
    "inventory": (SCOPE_INVENTORY,),
    "notification": (SCOPE_PUBLIC,),
    "finances": (SCOPE_FINANCES,),
}

MAX_ORDERS_PER_PAGE = 200
MAX_PRICE_QUANTITY_ITEMS = 25


# --- OAuth -------------------------------------------------------------------------------


def basic_client_auth(client_id: str, client_secret: str) -> str:
    """``Authorization`` value for the token endpoint: Basic base64(client_id:client_secret)."""
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def refresh_token_form(refresh_token: str, scopes: Iterable[str]) -> dict[str, str]:
    """The form body of the refresh-token grant for the given scopes (space separated)."""
    wanted = " ".join(dict.fromkeys(scopes))
    if not wanted:
        raise InvalidInput.field("scope", "", "is empty: name the scopes the calls need")
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, "scope": wanted}


# --- Orders -------------------------------------------------------------------------------


def ebay_timestamp(value: datetime) -> str:
    """eBay's filter timestamp: UTC with milliseconds and a ``Z`` (2016-02-21T08:25:43.511Z)."""
    if value.tzinfo is None:
        raise InvalidInput.field("timestamp", value.isoformat(), "has no timezone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def get_orders_params(
    modified_from: datetime,
    modified_to: datetime | None = None,
    *,
    limit: int = MAX_ORDERS_PER_PAGE,
) -> dict[str, str]:
    """Query of the first getOrders page; later pages come from the response's ``next``."""
    if not 1 <= limit <= MAX_ORDERS_PER_PAGE:
        raise InvalidInput.field("limit", limit, f"must be between 1 and {MAX_ORDERS_PER_PAGE}")
    end = ebay_timestamp(modified_to) if modified_to else ""
    if modified_to and modified_to < modified_from:
        raise InvalidInput.field("modified_to", end, "is before modified_from")
    return {
        "filter": f"lastmodifieddate:[{ebay_timestamp(modified_from)}..{end}]",
        "limit": str(limit),
    }


def next_page(page: object) -> str | None:
    """The ``next`` link of a paged collection, as given (absolute URL or path), or None."""
    data = obj(page, "(page)", source=SOURCE)
    return opt_text(data, "next", "(page)", source=SOURCE)


def order_path(order_id: str) -> str:
    """getOrder / the prefix of its fulfilment paths."""
    if not order_id.strip() or "/" in order_id:
        raise InvalidInput.field("orderId", order_id, "is not an eBay order id")
    return f"{FULFILLMENT_BASE}/order/{order_id}"


# --- Stock --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockUpdate:
    """The ship-to-home quantity to set for one inventory item (by seller sku)."""

    sku: str
    quantity: int


def bulk_price_quantity_bodies(updates: Sequence[StockUpdate]) -> list[dict[str, Any]]:
    """bulkUpdatePriceQuantity bodies of at most 25 items each, in the given order."""
    seen: set[str] = set()
    requests: list[dict[str, Any]] = []
    for index, update in enumerate(updates):
        if not update.sku.strip():
            raise InvalidInput.field(f"requests[{index}].sku", update.sku, "is empty")
        if update.quantity < 0:
            raise InvalidInput.field(f"requests[{index}].quantity", update.quantity, "is negative")
        if update.sku in seen:
            raise InvalidInput.field(f"requests[{index}].sku", update.sku, "appears twice")
        seen.add(update.sku)
        requests.append(
            {"sku": update.sku, "shipToLocationAvailability": {"quantity": update.quantity}}
        )
    size = MAX_PRICE_QUANTITY_ITEMS
    return [{"requests": requests[i : i + size]} for i in range(0, len(requests), size)]


@dataclass(frozen=True)
class ItemResult:
    """One item's answer inside a bulkUpdatePriceQuantity response."""

    sku: str
    offer_id: str | None
    status_code: int
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """200 is success; anything else failed for this item only."""
        return self.status_code == 200

    @property
    def retryable(self) -> bool:
        """eBay-side trouble (5xx, 429) may pass; a 4xx needs the data fixed first."""
        return self.status_code >= 500 or self.status_code == 429


def parse_bulk_price_quantity(body: object, sent_skus: Sequence[str]) -> list[ItemResult]:
    """Every item's result; a sent sku eBay did not answer for is a failure, never a success."""
    data = obj(body, "(response)", source=SOURCE)
    results: list[ItemResult] = []
    answered: set[str] = set()
    for i, entry in enumerate(items(data.get("responses"), "responses", source=SOURCE)):
        path = f"responses[{i}]"
        row = obj(entry, path, source=SOURCE)
        sku = opt_text(row, "sku", path, source=SOURCE, limit=strict.SKU_CHARS) or ""
        status = as_int(row.get("statusCode"), f"{path}.statusCode", source=SOURCE)
        messages = []
        for j, err in enumerate(items(row.get("errors"), f"{path}.errors", source=SOURCE)):
            e = obj(err, f"{path}.errors[{j}]", source=SOURCE)
            said = strict.message(e.get("message") or e.get("longMessage") or "")
            messages.append(f"{strict.message(e.get('errorId', '?'))}: {said}".strip())
        answered.add(sku)
        results.append(
            ItemResult(sku, opt_text(row, "offerId", path, source=SOURCE), status, tuple(messages))
        )
    for sku in sent_skus:
        if sku not in answered:
            results.append(ItemResult(sku, None, 0, ("eBay returned no result for this sku",)))
    return results


@dataclass(frozen=True)
class PushRecord:
    """One quantity push already made for a sku (from the stock-push history)."""

    sku: str
    quantity: int
    at: datetime


@dataclass(frozen=True)
class PushDecision:
    """Whether to push, and what to tell the seller."""

    push: bool
    revisions_today: int
    reason: str
    warning: str | None = None


REVISIONS_PER_DAY = 250
REVISIONS_WARN_AT = 200


def plan_quantity_push(
    sku: str,
    quantity: int,
    history: Sequence[PushRecord],
    *,
    now: datetime,
    limit: int = REVISIONS_PER_DAY,
    warn_at: int = REVISIONS_WARN_AT,
) -> PushDecision:
    """Apply eBay's 250-revisions-a-day rule to one push.

    Never push the quantity last pushed; refuse once ``limit`` pushes were made in the last 24
    hours (a rolling window is stricter than eBay's calendar day, so it never overshoots); warn
    from ``warn_at`` on.
    """
    mine = sorted((r for r in history if r.sku == sku), key=lambda r: r.at)
    day = [r for r in mine if 0 <= (now - r.at).total_seconds() < 86_400]
    count = len(day)
    if mine and mine[-1].quantity == quantity:
        return PushDecision(
            False, count, f"{sku}: quantity {quantity} is unchanged since the last push"
        )
    if count >= limit:
        return PushDecision(
            False,
            count,
            f"{sku}: {count} revisions in 24 hours reached eBay's limit of {limit}; held back",
            warning=f"eBay listing {sku} hit {limit} revisions today: stock pushes are paused",
        )
    warning = None
    if count + 1 >= warn_at:
        warning = f"eBay listing {sku} is at {count + 1} of {limit} revisions today"
    return PushDecision(True, count, f"{sku}: quantity changed to {quantity}", warning)


# --- Fulfilment ---------------------------------------------------------------------------


#: Canonical carrier slug -> eBay ``shippingCarrierCode`` (eBay's ShippingCarrierCodeType;
#: the full, current list comes from the Trading API's GeteBayDetails, so a carrier not here
#: is sent as given rather than refused).
CARRIER_CODES: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "royal_mail": "RoyalMail",
    "dpd": "DPD",
    "hermes": "Hermes",
    "deutsche_post": "DeutschePost",
    "canada_post": "CanadaPost",
    "australia_post": "AustraliaPost",
    "china_post": "ChinaPost",
    "yanwen": "Yanwen",
    "4px": "4PX",
}


def ebay_carrier_code(carrier: str) -> str:
    """eBay's code for a canonical carrier slug (``royal_mail`` -> ``RoyalMail``)."""
    slug = carrier.strip().lower().replace(" ", "_").replace("-", "_")
    return CARRIER_CODES.get(slug, carrier.strip())


def shipping_fulfillment_body(
    line_items: Mapping[str, int],
    *,
    carrier_code: str,
    tracking_number: str,
    shipped_at: datetime | None = None,
) -> dict[str, Any]:
    """createShippingFulfillment body for one package: its lines, carrier code and tracking."""
    if not line_items:
        raise InvalidInput.field("lineItems", [], "is empty: a package ships at least one line")
    if not carrier_code.strip():
        raise InvalidInput.field("shippingCarrierCode", carrier_code, "is empty")
    if not tracking_number.strip():
        raise InvalidInput.field("trackingNumber", tracking_number, "is empty")
    lines = []
    for line_id, quantity in line_items.items():
        if quantity < 1:
            raise InvalidInput.field(
                f"lineItems[{line_id}].quantity", quantity, "must be at least 1"
            )
        lines.append({"lineItemId": line_id, "quantity": quantity})
    body: dict[str, Any] = {
        "lineItems": lines,
        "shippingCarrierCode": carrier_code,
        "trackingNumber": tracking_number,
    }
    if shipped_at is not None:
        body["shippedDate"] = ebay_timestamp(shipped_at)
    return body


def fulfillment_id_from_location(location: str) -> str:
    """The new fulfilment's id: the last segment of the 201's ``Location`` header."""
    tail = location.rstrip("/").rsplit("/", 1)[-1]
    if not tail or "shipping_fulfillment" not in location:
        raise InvalidInput.field("Location", location, "is not a shipping fulfillment URI")
    return tail


def existing_fulfillment_for(body: object, tracking_number: str) -> str | None:
    """The id of a fulfilment already carrying ``tracking_number`` (getShippingFulfillments).

    Read before retrying a create whose answer was lost: if it is there, the first try worked.
    """
    data = obj(body, "(response)", source=SOURCE)
    for i, entry in enumerate(items(data.get("fulfillments"), "fulfillments", source=SOURCE)):
        row = obj(entry, f"fulfillments[{i}]", source=SOURCE)
        if (row.get("shipmentTrackingNumber") or "").replace(" ", "") == tracking_number.replace(
            " ", ""
        ):
            return opt_text(row, "fulfillmentId", f"fulfillments[{i}]", source=SOURCE)
    return None
