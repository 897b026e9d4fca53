"""Amazon Listings Items 2021-08-01 items -> canonical :class:`Listing`.

Accepts a ``searchListingsItems`` response (``{"items": [...]}``), a ``getListingsItem``
response (one ``Item``) or a list of items. One listing per seller SKU: the SKU is what a stock
push addresses, so it is the listing id. Marketplace-specific parts (title, ASIN, price,
status) come from the summary of ``marketplace`` when given, else the first summary.
``inventory_ref`` holds the Amazon ``productType``, which every ``patchListingsItem`` and
listings-feed message needs beside the SKU.
"""

from __future__ import annotations

from collections.abc import Mapping

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.listing import FULFILMENT_NETWORK, Listing, ListingStatus
from channelhub.core.validation import parse
from channelhub.mappings.amazon._wire import Wire

CHANNEL = "amazon"
_STATUS_WORDS = frozenset({"BUYABLE", "DISCOVERABLE"})
#: The fulfillment channel code of seller-fulfilled stock (the one the hub pushes).
MERCHANT_CHANNEL_CODE = "DEFAULT"


def item_objects(payload: object, *, source: str | None = None) -> list[Wire]:
    """The listings items in any accepted shape, each with its path."""
    root = Wire(payload, "", source)
    if isinstance(payload, list):
        return [Wire(v, f"[{i}]", source) for i, v in enumerate(payload)]
    if not isinstance(payload, Mapping):
        raise InvalidInput.field(
            "(document)", type(payload).__name__, "is not a JSON object", source=source
        )
    if "items" in payload:
        return [
            Wire(i.value, f"items[{n}]", source) for n, i in enumerate(root.req("items").items())
        ]
    if "sku" in payload:
        return [Wire(payload, "item", source)]
    raise InvalidInput(
        [
            "the document is not a searchListingsItems or getListingsItem response "
            "(no 'items' or 'sku' key)"
        ],
        source=source,
    )


def normalize_listings(
    payload: object, *, account: str, marketplace: str | None = None, source: str | None = None
) -> list[Listing]:
    """Every listings item in the payload as a canonical listing."""
    return [
        listing_from_wire(node, account=account, marketplace=marketplace)
        for node in item_objects(payload, source=source)
    ]


def _summary(item: Wire, marketplace: str | None) -> Wire | None:
    summaries = item.get("summaries")
    if summaries is None:
        return None
    found = list(summaries.items())
    for summary in found:
        if marketplace is None or summary.opt_text("marketplaceId") == marketplace:
            return summary
    return None


def _status(summary: Wire | None, quantity: int | None) -> ListingStatus:
    if summary is None or not summary.has("status"):
        return ListingStatus.UNKNOWN
    words = set()
    for word in summary.req("status").items():
        text = word.text()
        if text not in _STATUS_WORDS:
            raise word.fail("is not an Amazon listing status (BUYABLE, DISCOVERABLE)")
        words.add(text)
    if "BUYABLE" in words:
        return ListingStatus.ACTIVE
    if quantity == 0:
        return ListingStatus.OUT_OF_STOCK
    return ListingStatus.INACTIVE


def _network(item: Wire) -> str | None:
    """Amazon's own fulfilment channel (``AMAZON_NA``...) when the listing has no merchant
    (``DEFAULT``) entry: the listing is fulfilled by Amazon (AFN) and sells from FBA stock."""
    availability = item.get("fulfillmentAvailability")
    if availability is None:
        return None
    codes = [entry.req("fulfillmentChannelCode").text() for entry in availability.items()]
    if MERCHANT_CHANNEL_CODE in codes:
        return None
    return next((code for code in codes if code.startswith("AMAZON")), None)


def _quantity(item: Wire) -> int | None:
    availability = item.get("fulfillmentAvailability")
    if availability is None:
        return None
    fallback: int | None = None
    for entry in availability.items():
        code = entry.req("fulfillmentChannelCode").text()
        quantity = entry.get("quantity")
        if quantity is None:
            continue
        value = quantity.integer(minimum=0, maximum=strict.MAX_STOCK)
        if code == MERCHANT_CHANNEL_CODE:
            return value
        fallback = value if fallback is None else fallback + value
    return fallback


def listing_from_wire(item: Wire, *, account: str, marketplace: str | None = None) -> Listing:
    """One ``Item`` as a canonical listing."""
    sku = item.req("sku").nonempty_text(strict.SKU_CHARS)
    summary = _summary(item, marketplace)
    quantity = _quantity(item)
    identifiers: dict[str, str] = {}
    price = None
    if summary is not None:
        for key, name in (("asin", "asin"), ("fnSku", "fnsku")):
            value = summary.opt_text(key)
            if value:
                identifiers[name] = value
    network = _network(item)
    if network is not None:
        identifiers[FULFILMENT_NETWORK] = network
    market = (summary.opt_text("marketplaceId") if summary is not None else None) or marketplace
    offers = item.get("offers")
    if offers is not None:
        for offer in offers.items():
            if market in (None, offer.opt_text("marketplaceId")) and offer.opt_text(
                "offerType"
            ) in (None, "B2C"):
                price = offer.req("price").money()
                break
    fields: dict[str, object] = {
        "channel": CHANNEL,
        "account": account,
        "listing_id": sku,
        "channel_sku": sku,
        "title": summary.opt_text("itemName", strict.TITLE_CHARS) if summary is not None else None,
        "price": price,
        "quantity": quantity,
        "status": _status(summary, quantity),
        "marketplace": market,
        "identifiers": identifiers,
        "inventory_ref": summary.opt_text("productType") if summary is not None else None,
        "updated_at": summary.req("lastUpdatedDate").when()
        if summary is not None and summary.has("lastUpdatedDate")
        else None,
    }
    return parse(Listing, fields, source=item.source or f"amazon listing {sku}")
