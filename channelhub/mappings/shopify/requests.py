"""Request bodies the Shopify connector sends, and readers for the answers they get.

Every body is ``{"query": DOCUMENT, "variables": {...}}`` with a document from
:mod:`.queries`, so the contract test that validates the documents covers every request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.mappings.shopify import queries
from channelhub.mappings.shopify._wire import SOURCE, arr, external_id, fail, gid, obj, opt_obj
from channelhub.mappings.shopify.pricing import largest_page

#: Orders per page: the most whose requested cost (each order with LINES_READ_WITH_ORDER
#: line slots) stays within Shopify's 1000-point single-query limit: 20 (983 points).
ORDERS_PAGE_SIZE = largest_page(queries.ORDERS_QUERY)
#: Line items per follow-up read of a bigger order, under the same limit.
LINE_ITEMS_PAGE_SIZE = largest_page(queries.ORDER_LINE_ITEMS_QUERY, variables={"id": "x"})
#: Products per page (each with up to MAX_PRODUCT_VARIANTS variants and their stock at the
#: managed location) under the same limit: 11 with the 2025-01 selection.
PRODUCTS_PAGE_SIZE = largest_page(queries.PRODUCTS_QUERY, variables={"location": "x"})

MAX_INPUT_ITEMS = 250  # Shopify's limit on input arrays (inventorySetQuantities quantities)
STALE_CODE = "COMPARE_QUANTITY_STALE"  # 2025-01; from 2026-04 CHANGE_FROM_QUANTITY_STALE

GraphQLBody = dict[str, Any]


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise fail("updated_since", moment.isoformat(), "has no timezone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def orders_search(updated_since: datetime, updated_before: datetime | None = None) -> str:
    """The ``orders(query:)`` search filter for an incremental window on ``updated_at``."""
    search = f"updated_at:>='{_iso(updated_since)}'"
    if updated_before is not None:
        search += f" AND updated_at:<'{_iso(updated_before)}'"
    return search


def orders_request(
    *,
    updated_since: datetime,
    updated_before: datetime | None = None,
    after: str | None = None,
    first: int = ORDERS_PAGE_SIZE,
) -> GraphQLBody:
    """One page of orders updated in the window, oldest update first."""
    return {
        "query": queries.ORDERS_QUERY,
        "variables": {
            "first": first,
            "after": after,
            "query": orders_search(updated_since, updated_before),
        },
    }


def order_request(order_id: str) -> GraphQLBody:
    """One order by id (backfill for webhooks and reconciliation)."""
    return {"query": queries.ORDER_QUERY, "variables": {"id": gid("Order", order_id)}}


def order_line_items_request(order_id: str, *, after: str) -> GraphQLBody:
    """The next page of an order's line items, after those already read (``after``)."""
    return {
        "query": queries.ORDER_LINE_ITEMS_QUERY,
        "variables": {"id": gid("Order", order_id), "first": LINE_ITEMS_PAGE_SIZE, "after": after},
    }


def more_line_items(node: Mapping[str, Any]) -> str | None:
    """The cursor to read more of an order's line items from; None when all were read."""
    connection = opt_obj(node.get("lineItems"), "lineItems")
    info = opt_obj(connection.get("pageInfo"), "lineItems.pageInfo") if connection else None
    if not info or not info.get("hasNextPage"):
        return None
    cursor = info.get("endCursor")
    if not isinstance(cursor, str) or not cursor:
        raise fail("lineItems.pageInfo.endCursor", cursor, "is missing although more lines exist")
    return cursor


def with_line_items(node: Mapping[str, Any], answer: object) -> dict[str, Any]:
    """``node`` with the line items of a follow-up answer appended (and that answer's page
    info, so :func:`more_line_items` tells whether yet more remain)."""
    order = opt_obj(data_of(answer, "order").get("order"), "order")
    if order is None:
        raise fail("order", None, "— the order vanished while its line items were read")
    extra = obj(order.get("lineItems"), "order.lineItems")
    read = obj(node.get("lineItems"), "lineItems")
    nodes = arr(read.get("nodes"), "lineItems.nodes") + arr(
        extra.get("nodes"), "order.lineItems.nodes"
    )
    info = obj(extra.get("pageInfo"), "order.lineItems.pageInfo")
    return {**node, "lineItems": {**read, "nodes": nodes, "pageInfo": dict(info)}}


def products_request(
    *,
    location_id: str,
    after: str | None = None,
    first: int = PRODUCTS_PAGE_SIZE,
    updated_since: datetime | None = None,
) -> GraphQLBody:
    """One page of products with their variants, inventory item ids and each item's
    ``available`` at ``location_id`` (the location the hub sets stock at)."""
    search = None if updated_since is None else f"updated_at:>='{_iso(updated_since)}'"
    return {
        "query": queries.PRODUCTS_QUERY,
        "variables": {
            "first": first,
            "after": after,
            "query": search,
            "location": gid("Location", location_id),
        },
    }


def locations_request(*, after: str | None = None, first: int = 50) -> GraphQLBody:
    """One page of the shop's locations."""
    return {"query": queries.LOCATIONS_QUERY, "variables": {"first": first, "after": after}}


def page_info(connection: object, path: str) -> tuple[bool, str | None]:
    """(hasNextPage, endCursor) of a connection."""
    info = obj(obj(connection, path).get("pageInfo"), f"{path}.pageInfo")
    cursor = info.get("endCursor")
    return bool(info.get("hasNextPage")), cursor if isinstance(cursor, str) else None


@dataclass(frozen=True)
class QuantityChange:
    """Set ``quantity`` available of one inventory item at one location, if it still is
    ``compare_quantity`` there (compare-and-set; None skips the check for the whole call)."""

    inventory_item_id: str
    location_id: str
    quantity: int
    compare_quantity: int | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.inventory_item_id, self.location_id)


def inventory_set_quantities_request(
    changes: Sequence[QuantityChange],
    *,
    reason: str = "correction",
    reference_document_uri: str | None = None,
) -> GraphQLBody:
    """One ``inventorySetQuantities`` call for at most 250 changes of ``available``."""
    if not 0 < len(changes) <= MAX_INPUT_ITEMS:
        raise fail("quantities", len(changes), f"must hold 1 to {MAX_INPUT_ITEMS} changes")
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if change.key in seen:
            raise fail("quantities", change.key, "appears twice in one call")
        seen.add(change.key)
    unchecked = [c for c in changes if c.compare_quantity is None]
    if unchecked and len(unchecked) != len(changes):
        raise fail("quantities.compareQuantity", None, "is missing for some changes (all or none)")
    quantities = []
    for change in changes:
        item: dict[str, Any] = {
            "inventoryItemId": gid("InventoryItem", change.inventory_item_id),
            "locationId": gid("Location", change.location_id),
            "quantity": change.quantity,
        }
        if change.compare_quantity is not None:
            item["compareQuantity"] = change.compare_quantity
        quantities.append(item)
    payload: dict[str, Any] = {"name": "available", "reason": reason, "quantities": quantities}
    if reference_document_uri:
        payload["referenceDocumentUri"] = reference_document_uri
    if unchecked:
        payload["ignoreCompareQuantity"] = True
    return {"query": queries.INVENTORY_SET_QUANTITIES, "variables": {"input": payload}}


def inventory_set_quantities_requests(
    changes: Iterable[QuantityChange],
    *,
    reason: str = "correction",
    reference_document_uri: str | None = None,
) -> list[tuple[list[QuantityChange], GraphQLBody]]:
    """Changes cut into calls of at most 250, each with the changes it carries."""
    pending = list(changes)
    batches = [pending[i : i + MAX_INPUT_ITEMS] for i in range(0, len(pending), MAX_INPUT_ITEMS)]
    return [
        (
            batch,
            inventory_set_quantities_request(
                batch, reason=reason, reference_document_uri=reference_document_uri
            ),
        )
        for batch in batches
    ]


QuantityStatus = Literal["accepted", "stale", "rejected", "not_applied"]


@dataclass(frozen=True)
class QuantityResult:
    """What became of one change: accepted, stale (compare failed), rejected with Shopify's
    code and message, or not applied because another change of the same call failed."""

    change: QuantityChange
    status: QuantityStatus
    code: str | None = None
    message: str | None = None


def _error_index(field: object) -> int | None:
    for part in arr(field, "userErrors.field"):
        if isinstance(part, str) and part.isdigit():
            return int(part)
        if isinstance(part, int):
            return part
    return None


def data_of(response: object, operation: str) -> Mapping[str, Any]:
    """The ``data`` of a GraphQL response; top-level errors become InvalidInput."""
    body = obj(response, operation)
    errors = body.get("errors")
    data = body.get("data")
    if errors and not data:
        raise InvalidInput.field(
            f"{operation}.errors", errors, "— Shopify refused the request", source=SOURCE
        )
    return obj(data, f"{operation}.data")


def inventory_set_results(
    batch: Sequence[QuantityChange], response: object
) -> list[QuantityResult]:
    """Per-change results of one ``inventorySetQuantities`` call (the call is atomic: any
    user error means nothing of it was applied)."""
    payload = obj(
        data_of(response, "inventorySetQuantities").get("inventorySetQuantities"),
        "inventorySetQuantities",
    )
    user_errors = arr(payload.get("userErrors"), "inventorySetQuantities.userErrors")
    if not user_errors:
        return [QuantityResult(change, "accepted") for change in batch]
    per_index: dict[int, tuple[str | None, str]] = {}
    general: list[tuple[str | None, str]] = []
    for i, raw in enumerate(user_errors):
        error = obj(raw, f"inventorySetQuantities.userErrors[{i}]")
        code = error.get("code") if isinstance(error.get("code"), str) else None
        message = strict.message(error.get("message") or code or "rejected")
        index = _error_index(error.get("field"))
        if index is not None and 0 <= index < len(batch):
            per_index[index] = (code, message)
        else:
            general.append((code, message))
    results = []
    for i, change in enumerate(batch):
        if i in per_index:
            code, message = per_index[i]
            status: QuantityStatus = "stale" if code == STALE_CODE else "rejected"
            results.append(QuantityResult(change, status, code, message))
        elif general:
            code, message = general[0]
            results.append(QuantityResult(change, "rejected", code, message))
        else:
            results.append(QuantityResult(change, "not_applied"))
    return results


def inventory_levels_request(inventory_item_ids: Sequence[str]) -> GraphQLBody:
    """Current ``available`` quantities of up to 30 inventory items at every location."""
    limit = queries.LEVELS_PAGE_SIZE
    if not 0 < len(set(inventory_item_ids)) <= limit:
        raise fail("ids", len(inventory_item_ids), f"must hold 1 to {limit} distinct ids")
    ids = [gid("InventoryItem", item) for item in dict.fromkeys(inventory_item_ids)]
    return {"query": queries.INVENTORY_LEVELS_QUERY, "variables": {"ids": ids}}


def inventory_levels(response: object) -> dict[tuple[str, str], int]:
    """(inventory item id, location id) -> available, from an inventory levels answer."""
    levels: dict[tuple[str, str], int] = {}
    for i, raw in enumerate(arr(data_of(response, "nodes").get("nodes"), "nodes")):
        item = opt_obj(raw, f"nodes[{i}]")
        if item is None:
            continue  # an unknown id answers null
        item_id = external_id(item.get("id"), f"nodes[{i}].id")
        connection = obj(item.get("inventoryLevels"), f"nodes[{i}].inventoryLevels")
        for j, raw_level in enumerate(arr(connection.get("nodes"), f"nodes[{i}].levels")):
            level = obj(raw_level, f"nodes[{i}].inventoryLevels.nodes[{j}]")
            location = obj(level.get("location"), f"nodes[{i}].levels[{j}].location")
            location_id = external_id(location.get("id"), f"nodes[{i}].levels[{j}].location.id")
            for quantity in arr(level.get("quantities"), "quantities"):
                entry = obj(quantity, "quantities[]")
                if entry.get("name") == "available" and isinstance(entry.get("quantity"), int):
                    levels[(item_id, location_id)] = entry["quantity"]
    return levels
