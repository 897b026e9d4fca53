"""Shopify products/variants -> canonical ``Listing``; locations -> ``ShopifyLocation``.

One listing per variant: the product id is the listing id, the variant id the variation, and
the inventory item id is the ``inventory_ref`` stock pushes address. A variant's ``price`` is a
bare decimal in the shop currency, so the currency comes from ``shop.currencyCode`` (selected
by ``PRODUCTS_QUERY``) or the caller.

A listing's quantity is what can sell at the ONE location the hub sets stock at (the
account's ``location_id``): ``available`` of the item's level there. Never the variant's
``inventoryQuantity``, the total over every location: after the hub pushed 31 to one
location of a two-location shop that total reads e.g. 89, a false "edited on the channel".
When the level at that location is not in the answer the quantity is None (unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channelhub.core import strict
from channelhub.core.models import Listing, ListingStatus
from channelhub.core.validation import parse
from channelhub.mappings.shopify._wire import (
    SOURCE,
    amount,
    arr,
    external_id,
    fail,
    obj,
    opt_obj,
    opt_text,
    opt_when,
    whole,
)

CHANNEL = "shopify"
_STATUS = {
    "ACTIVE": ListingStatus.ACTIVE,
    "DRAFT": ListingStatus.DRAFT,
    "ARCHIVED": ListingStatus.INACTIVE,
}


def _nodes(connection: object, path: str) -> list[tuple[str, Any]]:
    conn = obj(connection, path)
    if "edges" in conn:
        return [
            (f"{path}.edges[{i}].node", obj(edge, f"{path}.edges[{i}]").get("node"))
            for i, edge in enumerate(arr(conn.get("edges"), f"{path}.edges"))
        ]
    return [(f"{path}.nodes[{i}]", n) for i, n in enumerate(arr(conn.get("nodes"), path))]


def _available(level: object, path: str) -> int | None:
    """``available`` of one ``InventoryLevel`` (its ``quantities(names: ["available"])``);
    Shopify reports oversold stock as negative, the hub's quantity is what can sell."""
    for i, entry in enumerate(arr(obj(level, path).get("quantities"), f"{path}.quantities")):
        quantity = obj(entry, f"{path}.quantities[{i}]")
        if quantity.get("name") == "available":
            count = whole(
                quantity.get("quantity"),
                f"{path}.quantities[{i}].quantity",
                minimum=-strict.MAX_STOCK,
                maximum=strict.MAX_STOCK,
            )
            return max(count, 0)
    return None


def quantity_at(item: Mapping[str, Any] | None, location_id: str | None, path: str) -> int | None:
    """``available`` of an ``InventoryItem`` at ``location_id``; None when it is not known.

    ``inventoryLevel`` (asked for with ``locationId:``, as ``PRODUCTS_QUERY`` does) is the
    level at the location asked for: if it names its location, that must be ``location_id``.
    From ``inventoryLevels`` the level whose location is ``location_id`` is picked; with no
    location given, or none of the levels there, nothing is guessed: None.
    """
    if item is None:
        return None
    if "inventoryLevel" in item:
        level = opt_obj(item.get("inventoryLevel"), f"{path}.inventoryLevel")
        if level is None:
            return None  # the item is not stocked at that location
        at = opt_obj(level.get("location"), f"{path}.inventoryLevel.location")
        where = external_id(at.get("id"), f"{path}.inventoryLevel.location.id") if at else None
        if where is not None and location_id is not None and where != location_id:
            return None
        return _available(level, f"{path}.inventoryLevel")
    if "inventoryLevels" not in item or location_id is None:
        return None
    for lpath, raw in _nodes(item.get("inventoryLevels"), f"{path}.inventoryLevels"):
        level = obj(raw, lpath)
        at = obj(level.get("location"), f"{lpath}.location")
        if external_id(at.get("id"), f"{lpath}.location.id") == location_id:
            return _available(level, lpath)
    return None


def listings_from_product(
    product: Mapping[str, Any],
    *,
    account: str,
    currency: str | None,
    location_id: str | None = None,
    path: str = "product",
) -> list[Listing]:
    """The listings (one per variant) of one GraphQL ``Product`` node, each listing's
    quantity the variant's ``available`` at ``location_id`` (see :func:`quantity_at`)."""
    product_id = external_id(product.get("id"), f"{path}.id")
    title = opt_text(product.get("title"), f"{path}.title", strict.TITLE_CHARS)
    raw_status = product.get("status")
    status = (
        _STATUS.get(raw_status, ListingStatus.UNKNOWN)
        if isinstance(raw_status, str)
        else ListingStatus.UNKNOWN
    )
    product_updated = opt_when(product.get("updatedAt"), f"{path}.updatedAt")
    listings = []
    variants = obj(product.get("variants"), f"{path}.variants")
    more = opt_obj(variants.get("pageInfo"), f"{path}.variants.pageInfo")
    if more and more.get("hasNextPage"):
        why = "— the product has more variants than were read; refusing a partial product"
        raise fail(f"{path}.variants.pageInfo.hasNextPage", True, why)
    for vpath, raw in _nodes(variants, f"{path}.variants"):
        variant = obj(raw, vpath)
        variant_title = opt_text(variant.get("title"), f"{vpath}.title")
        item = opt_obj(variant.get("inventoryItem"), f"{vpath}.inventoryItem")
        item_id = external_id(item.get("id"), f"{vpath}.inventoryItem.id") if item else None
        identifiers = {}
        barcode = opt_text(variant.get("barcode"), f"{vpath}.barcode")
        if barcode:
            identifiers["barcode"] = barcode
        if item_id:
            identifiers["inventory_item_id"] = item_id
        price = variant.get("price")
        quantity = quantity_at(item, location_id, f"{vpath}.inventoryItem")
        variant_updated = opt_when(variant.get("updatedAt"), f"{vpath}.updatedAt")
        updated = max((t for t in (product_updated, variant_updated) if t), default=None)
        data = {
            "channel": CHANNEL,
            "account": account,
            "listing_id": product_id,
            "variation_id": external_id(variant.get("id"), f"{vpath}.id"),
            "channel_sku": opt_text(variant.get("sku"), f"{vpath}.sku", strict.SKU_CHARS),
            "title": f"{title} - {variant_title}"
            if title and variant_title and variant_title != "Default Title"
            else title,
            "price": None
            if price is None or currency is None
            else {"amount": amount(price, f"{vpath}.price"), "currency": currency},
            "quantity": quantity,
            "status": status,
            "identifiers": identifiers,
            "inventory_ref": item_id,
            "updated_at": updated,
        }
        listings.append(parse(Listing, data, source=f"{SOURCE} product {product_id}"))
    return listings


def normalize_listings(
    payload: object,
    *,
    account: str,
    currency: str | None = None,
    location_id: str | None = None,
) -> list[Listing]:
    """Listings from a products response (``{"data": {...}}`` or its data), a products
    connection, one ``Product`` node, ``{"product": node}``, or a list of product nodes.

    ``currency`` is the shop currency when the payload has no ``shop.currencyCode``;
    ``location_id`` the location whose stock is the quantity (see :func:`quantity_at`).
    """
    if isinstance(payload, list):
        products = [(f"[{i}]", p) for i, p in enumerate(payload)]
    else:
        body = obj(payload, "(payload)")
        if "data" in body or "errors" in body:
            if body.get("errors") and not body.get("data"):
                raise fail("errors", body.get("errors"), "— the response carries no data")
            body = obj(body.get("data"), "data")
        shop = opt_obj(body.get("shop"), "shop")
        if shop and shop.get("currencyCode"):
            currency = opt_text(shop.get("currencyCode"), "shop.currencyCode")
        if "products" in body:
            products = _nodes(body["products"], "products")
        elif "product" in body:
            products = [] if body["product"] is None else [("product", body["product"])]
        elif "id" in body:
            products = [("product", body)]
        else:
            raise fail("(payload)", sorted(body)[:5], "is not a Shopify product or response")
    listings: list[Listing] = []
    for path, product in products:
        listings += listings_from_product(
            obj(product, path),
            account=account,
            currency=currency,
            location_id=location_id,
            path=path,
        )
    return listings


@dataclass(frozen=True)
class ShopifyLocation:
    """A Shopify location: where inventory is counted and pushed (``location_id``)."""

    location_id: str
    name: str
    active: bool
    fulfills_online_orders: bool
    country: str | None


def normalize_locations(payload: object) -> list[ShopifyLocation]:
    """Locations from a locations response (or its data / connection)."""
    body = obj(payload, "(payload)")
    if "data" in body:
        body = obj(body["data"], "data")
    connection = body.get("locations", body)
    locations = []
    for path, raw in _nodes(connection, "locations"):
        node = obj(raw, path)
        address = opt_obj(node.get("address"), f"{path}.address")
        locations.append(
            ShopifyLocation(
                location_id=external_id(node.get("id"), f"{path}.id"),
                name=opt_text(node.get("name"), f"{path}.name") or "",
                active=bool(node.get("isActive", True)),
                fulfills_online_orders=bool(node.get("fulfillsOnlineOrders", True)),
                country=opt_text(address.get("countryCode"), f"{path}.address.countryCode")
                if address
                else None,
            )
        )
    return locations
