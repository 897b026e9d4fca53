"""Walmart items (getAllItems ``ItemResponse``) -> canonical listings, and the fulfilments an
order holds (its lines' ``Shipped`` statuses with ``trackingInfo``), for read-back.

An item is keyed by its seller ``sku`` (what order lines carry and inventory is set by);
``wpid``, ``upc`` and ``gtin`` go to the identifiers pairing can match on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Listing, ListingStatus
from channelhub.core.validation import build
from channelhub.mappings._fieldpath import as_int, items, money, obj, opt_text, text

CHANNEL = "walmart"
SOURCE = "walmart item"


def _status(item: Mapping[str, Any], path: str) -> ListingStatus:
    lifecycle = opt_text(item, "lifecycleStatus", path, source=SOURCE) or ""
    published = opt_text(item, "publishedStatus", path, source=SOURCE) or ""
    if lifecycle in ("RETIRED", "ARCHIVED"):
        return ListingStatus.INACTIVE
    if published == "PUBLISHED":
        return ListingStatus.ACTIVE
    if published in ("UNPUBLISHED", "STAGE", "IN_PROGRESS", "READY_TO_PUBLISH"):
        return ListingStatus.DRAFT
    if published == "SYSTEM_PROBLEM":
        return ListingStatus.INACTIVE
    return ListingStatus.UNKNOWN


def _one(item: Mapping[str, Any], path: str, account: str) -> Listing:
    sku = text(item, "sku", path, source=SOURCE, limit=strict.SKU_CHARS)
    identifiers = {
        key: value
        for key in ("wpid", "upc", "gtin")
        if (value := opt_text(item, key, path, source=SOURCE, limit=strict.CODE_CHARS))
    }
    price = None
    if item.get("price"):
        row = obj(item["price"], f"{path}.price", source=SOURCE)
        price = money(
            row.get("amount"),
            row.get("currency"),
            amount_path=f"{path}.price.amount",
            currency_path=f"{path}.price.currency",
            source=SOURCE,
        )
    return build(
        Listing,
        source=f"{SOURCE} {sku}",
        channel=CHANNEL,
        account=account,
        listing_id=sku,
        channel_sku=sku,
        title=opt_text(item, "productName", path, source=SOURCE, limit=strict.TITLE_CHARS),
        price=price,
        status=_status(item, path),
        marketplace=opt_text(item, "mart", path, source=SOURCE),
        identifiers=identifiers,
        inventory_ref=sku,
    )


def normalize_listings(payload: object, *, account: str) -> list[Listing]:
    """One listing per item of a getAllItems page, or of a single item object."""
    root = obj(payload, "(payload)", source=SOURCE)
    if "sku" in root:
        return [_one(root, "(item)", account)]
    if "ItemResponse" not in root:
        raise InvalidInput(["(payload): no ItemResponse or sku (not Walmart items)"], source=SOURCE)
    found = items(root["ItemResponse"], "ItemResponse", source=SOURCE)
    return [
        _one(obj(entry, f"ItemResponse[{i}]", source=SOURCE), f"ItemResponse[{i}]", account)
        for i, entry in enumerate(found)
    ]


@dataclass(frozen=True)
class ShippedLine:
    """One ``Shipped`` status of an order line: which line, how many, under which tracking."""

    line_number: str
    sku: str
    quantity: int
    tracking_number: str
    carrier: str | None


def shipped_lines(order: object) -> list[ShippedLine]:
    """Every shipped status with tracking in an order body (getAnOrder)."""
    root = obj(order, "(order)", source=SOURCE)
    if "order" in root and isinstance(root["order"], Mapping):
        root = root["order"]
    lines = obj(root.get("orderLines") or {}, "orderLines", source=SOURCE).get("orderLine")
    found = []
    for i, entry in enumerate(items(lines, "orderLines.orderLine", source=SOURCE)):
        path = f"orderLine[{i}]"
        line = obj(entry, path, source=SOURCE)
        number = text(line, "lineNumber", path, source=SOURCE)
        sku = opt_text(obj(line.get("item") or {}, path, source=SOURCE), "sku", path, source=SOURCE)
        statuses = obj(line.get("orderLineStatuses") or {}, path, source=SOURCE)
        for j, st in enumerate(items(statuses.get("orderLineStatus"), path, source=SOURCE)):
            row = obj(st, f"{path}.orderLineStatus[{j}]", source=SOURCE)
            tracking = row.get("trackingInfo")
            if row.get("status") not in ("Shipped", "Delivered") or not isinstance(
                tracking, Mapping
            ):
                continue
            number_text = opt_text(tracking, "trackingNumber", path, source=SOURCE)
            if not number_text:
                continue
            carrier = tracking.get("carrierName") or {}
            name = None
            if isinstance(carrier, Mapping):
                name = carrier.get("carrier") or carrier.get("otherCarrier")
            quantity = obj(row.get("statusQuantity") or {}, path, source=SOURCE).get("amount")
            found.append(
                ShippedLine(
                    number,
                    sku or number,
                    as_int(quantity, f"{path}.statusQuantity.amount", source=SOURCE, minimum=0),
                    number_text,
                    str(name) if name else None,
                )
            )
    return found
