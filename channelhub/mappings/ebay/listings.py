"""eBay Inventory API items and offers -> canonical listings.

Accepts a ``getInventoryItems`` page (``inventoryItems``), a ``getOffers`` page (``offers``),
both at once (``{"inventoryItems": [...], "offers": [...]}``, what the connector assembles), or
a single item or offer; field names follow contracts/ebay/sell_inventory_v1_oas3.json.

Identity: a published offer is the listing ``listing.listingId`` (the eBay item id order lines
carry as ``legacyItemId``) with ``variation_id = sku``; an item without a published offer is
keyed by its ``sku`` alone. ``inventory_ref`` is always the sku: bulkUpdatePriceQuantity pushes
by sku.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Listing, ListingStatus
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import items, obj, opt_integer, opt_text, text
from channelhub.mappings.ebay.orders import amount

CHANNEL = "ebay"
SOURCE = "ebay listing"

LISTING_STATES: Mapping[str, ListingStatus] = {
    "ACTIVE": ListingStatus.ACTIVE,
    "OUT_OF_STOCK": ListingStatus.OUT_OF_STOCK,
    "INACTIVE": ListingStatus.INACTIVE,
    "ENDED": ListingStatus.INACTIVE,
}


def _collect(
    payload: object,
) -> tuple[list[tuple[str, Mapping[str, Any]]], list[tuple[str, Mapping[str, Any]]]]:
    root = obj(payload, "(payload)", source=SOURCE)
    inventory: list[tuple[str, Mapping[str, Any]]] = []
    offers: list[tuple[str, Mapping[str, Any]]] = []
    if "inventoryItems" in root or "offers" in root:
        for key, bucket in (("inventoryItems", inventory), ("offers", offers)):
            for i, entry in enumerate(items(root.get(key), key, source=SOURCE)):
                bucket.append((f"{key}[{i}]", obj(entry, f"{key}[{i}]", source=SOURCE)))
    elif "offerId" in root:
        offers.append(("(offer)", root))
    elif "sku" in root:
        inventory.append(("(inventory item)", root))
    else:
        raise InvalidInput(
            ["(payload): no inventoryItems, offers, offerId or sku (not eBay inventory)"],
            source=SOURCE,
        )
    return inventory, offers


def _item_quantity(item: Mapping[str, Any], path: str) -> int | None:
    availability = obj(item.get("availability") or {}, f"{path}.availability", source=SOURCE)
    ship = obj(
        availability.get("shipToLocationAvailability") or {},
        f"{path}.availability.shipToLocationAvailability",
        source=SOURCE,
    )
    return opt_integer(
        ship,
        "quantity",
        f"{path}.availability.shipToLocationAvailability",
        source=SOURCE,
        maximum=strict.MAX_STOCK,
    )


def _identifiers(item: Mapping[str, Any], path: str) -> dict[str, str]:
    product = obj(item.get("product") or {}, f"{path}.product", source=SOURCE)
    found: dict[str, str] = {}
    for key in ("epid", "mpn", "brand"):
        value = opt_text(product, key, f"{path}.product", source=SOURCE)
        if value:
            found[key] = value
    for key in ("ean", "upc", "isbn"):
        codes = items(product.get(key), f"{path}.product.{key}", source=SOURCE)
        if codes:
            found[key] = strict.text(
                codes[0],
                f"{path}.product.{key}[0]",
                limit=strict.CODE_CHARS,
                numbers=True,
                source=SOURCE,
            )
    return found


def _title(item: Mapping[str, Any] | None, path: str) -> str | None:
    if not item:
        return None
    product = obj(item.get("product") or {}, f"{path}.product", source=SOURCE)
    return opt_text(product, "title", f"{path}.product", source=SOURCE, limit=strict.TITLE_CHARS)


def _from_offer(
    offer: Mapping[str, Any], path: str, item: tuple[str, Mapping[str, Any]] | None, account: str
) -> Listing:
    sku = text(offer, "sku", path, source=SOURCE, limit=strict.SKU_CHARS)
    offer_id = opt_text(offer, "offerId", path, source=SOURCE)
    details = obj(offer.get("listing") or {}, f"{path}.listing", source=SOURCE)
    listing_id = opt_text(details, "listingId", f"{path}.listing", source=SOURCE)
    offer_status = opt_text(offer, "status", path, source=SOURCE)
    if offer_status == "UNPUBLISHED" or listing_id is None:
        status = ListingStatus.DRAFT
    else:
        raw = opt_text(details, "listingStatus", f"{path}.listing", source=SOURCE) or ""
        status = LISTING_STATES.get(raw, ListingStatus.UNKNOWN)
    pricing = obj(offer.get("pricingSummary") or {}, f"{path}.pricingSummary", source=SOURCE)
    quantity = opt_integer(
        offer, "availableQuantity", path, source=SOURCE, maximum=strict.MAX_STOCK
    )
    item_path, item_data = item if item else (path, {})
    if quantity is None and item_data:
        quantity = _item_quantity(item_data, item_path)
    identifiers = _identifiers(item_data, item_path) if item_data else {}
    if offer_id:
        identifiers["offerId"] = offer_id
    return build(
        Listing,
        source=f"{SOURCE} {sku}",
        channel=CHANNEL,
        account=account,
        listing_id=listing_id or sku,
        variation_id=sku if listing_id else None,
        channel_sku=sku,
        title=_title(item_data, item_path),
        price=amount(pricing["price"], f"{path}.pricingSummary.price")
        if pricing.get("price")
        else None,
        quantity=quantity,
        status=status,
        marketplace=opt_text(offer, "marketplaceId", path, source=SOURCE),
        identifiers=identifiers,
        inventory_ref=sku,
    )


def _from_item(item: Mapping[str, Any], path: str, account: str) -> Listing:
    sku = text(item, "sku", path, source=SOURCE)
    return build(
        Listing,
        source=f"{SOURCE} {sku}",
        channel=CHANNEL,
        account=account,
        listing_id=sku,
        channel_sku=sku,
        title=_title(item, path),
        quantity=_item_quantity(item, path),
        status=ListingStatus.DRAFT,
        identifiers=_identifiers(item, path),
        inventory_ref=sku,
    )


def normalize_listings(payload: object, *, account: str) -> list[Listing]:
    """One listing per offer (joined to its inventory item by sku); items without offers too."""
    inventory, offers = _collect(payload)
    by_sku: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for path, item in inventory:
        by_sku[text(item, "sku", path, source=SOURCE)] = (path, item)
    listings = []
    offered: set[str] = set()
    for path, offer in offers:
        sku = text(offer, "sku", path, source=SOURCE, limit=strict.SKU_CHARS)
        offered.add(sku)
        listings.append(_from_offer(offer, path, by_sku.get(sku), account))
    for sku, (path, item) in by_sku.items():
        if sku not in offered:
            listings.append(_from_item(item, path, account))
    return listings
