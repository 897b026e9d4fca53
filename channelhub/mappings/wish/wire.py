"""Wish Merchant API v3 requests, envelopes, tokens and listings (CONTRACT UNVERIFIED).

Paths, parameter and field names are those of the third-party SDK in contracts/wish/
(WishMerchantClient.java, WishClient.java and their payload classes). Guessed, because no spec
says: every answer is the envelope ``{"code": 0, "message": "", "data": ...}`` (``code`` not 0
is an error); ``expiry_time`` of a token is ISO 8601 or epoch seconds; list endpoints page by
``limit`` with an ``updated_at_min``/``created_at_min`` keyset (the SDK's query classes have
no offset or cursor); stock is set per variation and warehouse by ``PUT /api/v3/products/{id}``
with ``variations[].inventories[]``; tracking is ``PUT /api/v3/orders/{id}/tracking`` with
the SDK's query parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Listing, ListingStatus
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import items, obj, opt_text, text
from channelhub.mappings.wish.orders import wish_money

SOURCE = "wish response"
REFRESH_PATH = "/api/v3/oauth/refresh_token"
ORDERS_PATH = "/api/v3/orders"
PRODUCTS_PATH = "/api/v3/products"
MAX_PAGE = 100
#: hub carrier slug -> the name Wish's ``shipping_provider`` takes (GET /api/v3/shipping_carriers
#: lists the accepted ones; a carrier not here goes as given).
PROVIDERS: Mapping[str, str] = {
    "ups": "UPS",
    "usps": "USPS",
    "fedex": "FedEx",
    "dhl": "DHL",
    "yanwen": "Yanwen",
    "4px": "4PX",
    "china_post": "ChinaAirPost",
    "yunexpress": "YunExpress",
}


def data_of(body: object) -> Any:
    """The envelope's ``data``; a non-zero ``code`` is refused with Wish's message."""
    root = obj(body, "(envelope)", source=SOURCE)
    code = root.get("code", 0)
    if code not in (0, "0"):
        said = strict.message(root.get("message") or "")
        raise InvalidInput([f"Wish answered code {code}: {said}"], source=SOURCE)
    return root.get("data")


def token_params(client_id: str, client_secret: str, refresh_token: str) -> dict[str, str]:
    """Query of the refresh-token call (RefreshTokenQueryParams)."""
    return {
        "client_id": client_id,
        "client_secret": client_secret,
        "refresh_token": refresh_token,
        "grant_type": "refresh_token",
    }


def token_answer(body: object, now: datetime) -> tuple[str, float]:
    """The access token of a refresh answer and its lifetime in seconds (from ``expiry_time``)."""
    data = obj(data_of(body), "data", source=SOURCE)
    token = text(data, "access_token", "data", source=SOURCE, limit=4000)
    expiry = data.get("expiry_time")
    if isinstance(expiry, int | float) and not isinstance(expiry, bool):
        at = datetime.fromtimestamp(float(expiry), tz=UTC)
    elif isinstance(expiry, str) and expiry.strip().isdigit():
        at = datetime.fromtimestamp(int(expiry.strip()), tz=UTC)
    elif isinstance(expiry, str):
        at = strict.iso_instant(expiry, "data.expiry_time", source=SOURCE)
    else:
        raise InvalidInput.field("data.expiry_time", expiry, "is missing", source=SOURCE)
    return token, max((at - now).total_seconds(), 60.0)


def wish_time(value: datetime) -> str:
    """ISO 8601 UTC, to the second (the SDK's query values are strings)."""
    if value.tzinfo is None:
        raise InvalidInput.field("timestamp", value.isoformat(), "has no timezone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_params(start: datetime, end: datetime, *, limit: int) -> dict[str, str]:
    """GetMultipleOrders: every order updated in [start, end], oldest first, whatever its
    state. ``states`` is optional in the contract (OrdersQueryParams: one String, its values
    not listed) and left out, so an order refunded or cancelled after the hub took it is read
    like any other update (``APPROVED`` alone never showed it again)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput.field("limit", limit, f"must be between 1 and {MAX_PAGE}")
    return {
        "updated_at_min": wish_time(start),
        "updated_at_max": wish_time(end),
        "sort_by": "updated_at.asc",
        "limit": str(limit),
    }


def item_path(base: str, item_id: str, action: str = "") -> str:
    if not item_id.strip() or "/" in item_id:
        raise InvalidInput.field("id", item_id, "is not a Wish id")
    return f"{base}/{quote(item_id, safe='')}" + (f"/{action}" if action else "")


def tracking_params(tracking_number: str, carrier: str, origin_country: str) -> dict[str, str]:
    """ShipOrder's query (TrackingQueryParams)."""
    if not tracking_number.strip():
        raise InvalidInput.field("tracking_number", tracking_number, "is empty")
    slug = carrier.strip().lower().replace(" ", "_").replace("-", "_")
    return {
        "tracking_number": tracking_number,
        "shipping_provider": PROVIDERS.get(slug, carrier.strip()),
        "origin_country": origin_country,
    }


def tracking_numbers(order: object) -> list[tuple[str, str | None]]:
    """(tracking number, provider name) of an order's ``tracking_information``."""
    root = obj(order, "(order)", source=SOURCE)
    found = []
    for i, entry in enumerate(
        items(root.get("tracking_information"), "tracking_information", source=SOURCE)
    ):
        row = obj(entry, f"tracking_information[{i}]", source=SOURCE)
        number = opt_text(row, "tracking_number", f"tracking_information[{i}]", source=SOURCE)
        provider = row.get("shipping_provider")
        name = provider.get("name") if isinstance(provider, Mapping) else provider
        if number:
            found.append((number, str(name) if name else None))
    return found


def stock_body(warehouse_id: str, variations: Sequence[tuple[str, int]]) -> dict[str, Any]:
    """updateProduct body setting each variation's inventory in one warehouse."""
    rows = []
    for variation_id, quantity in variations:
        if quantity < 0:
            raise InvalidInput.field(f"variation {variation_id}", quantity, "is negative")
        rows.append(
            {
                "id": variation_id,
                "inventories": [{"warehouse_id": warehouse_id, "inventory": quantity}],
            }
        )
    return {"variations": rows}


LISTING_STATES: Mapping[str, ListingStatus] = {
    "ENABLED": ListingStatus.ACTIVE,
    "ACTIVE": ListingStatus.ACTIVE,
    "DISABLED": ListingStatus.INACTIVE,
    "INACTIVE": ListingStatus.INACTIVE,
    "PENDING": ListingStatus.DRAFT,
}


def normalize_listings(payload: object, *, account: str) -> list[Listing]:
    """One listing per variation of a product (getProduct's ``data`` or the product itself)."""
    root = obj(payload, "(product)", source="wish product")
    product = obj(root.get("data"), "data", source="wish product") if "data" in root else root
    product_id = text(product, "id", "(product)", source="wish product", limit=strict.ID_CHARS)
    title = opt_text(product, "name", "(product)", source="wish product", limit=strict.TITLE_CHARS)
    listings = []
    for i, entry in enumerate(
        items(product.get("variations"), "variations", source="wish product")
    ):
        path = f"variations[{i}]"
        row = obj(entry, path, source="wish product")
        variation = text(row, "id", path, source="wish product", limit=strict.ID_CHARS)
        state = opt_text(row, "status", path, source="wish product") or ""
        quantity = sum(
            int(obj(w, f"{path}.inventories", source="wish product").get("inventory") or 0)
            for w in items(row.get("inventories"), f"{path}.inventories", source="wish product")
        )
        listings.append(
            build(
                Listing,
                source=f"wish product {product_id}/{variation}",
                channel="wish",
                account=account,
                listing_id=product_id,
                variation_id=variation,
                channel_sku=opt_text(row, "sku", path, source="wish product"),
                title=title,
                price=wish_money(row["price"], f"{path}.price") if row.get("price") else None,
                quantity=quantity,
                status=LISTING_STATES.get(state.upper(), ListingStatus.UNKNOWN),
                identifiers={"gtin": str(row["gtin"])} if row.get("gtin") else {},
                inventory_ref=variation,
            )
        )
    return listings
