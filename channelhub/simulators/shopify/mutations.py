"""The two mutations channelhub uses: ``inventorySetQuantities`` and ``fulfillmentCreate``.

Both follow the 2025-01 behaviour: ``inventorySetQuantities`` is atomic and compare-and-set
(a ``compareQuantity`` that no longer matches is ``COMPARE_QUANTITY_STALE`` and nothing is
applied); ``fulfillmentCreate`` fulfils fulfillment-order line items (all of a fulfillment
order's remaining lines when none are named) and records tracking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from channelhub.simulators.shopify.seed import ShopData, fulfillment_record, gid, iso, num

#: The reasons Shopify accepts for inventory changes.
REASONS = frozenset(
    {
        "correction",
        "cycle_count_available",
        "damaged",
        "movement_created",
        "movement_updated",
        "movement_received",
        "movement_canceled",
        "other",
        "promotion",
        "quality_control",
        "received",
        "reservation_created",
        "reservation_deleted",
        "reservation_updated",
        "restock",
        "safety_stock",
        "shrinkage",
    }
)


def _error(code: str, field: list[str], message: str) -> dict[str, Any]:
    return {"code": code, "field": field, "message": message}


def set_quantities(data: ShopData, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Apply an ``InventorySetQuantitiesInput`` (all or nothing)."""
    errors: list[dict[str, Any]] = []
    if payload["name"] not in {"available", "on_hand"}:
        errors.append(
            _error(
                "INVALID_NAME",
                ["input", "name"],
                "The quantity name must be either 'available' or 'on_hand'.",
            )
        )
    if payload["reason"] not in REASONS:
        errors.append(
            _error("INVALID_REASON", ["input", "reason"], "The specified reason is invalid.")
        )
    ignore = bool(payload.get("ignoreCompareQuantity"))
    seen: set[tuple[str, str]] = set()
    planned: list[tuple[str, str, int, int]] = []
    for i, quantity in enumerate(payload["quantities"]):
        at = ["input", "quantities", str(i)]
        item, location = num(quantity["inventoryItemId"]), num(quantity["locationId"])
        key = (item, location)
        if data.inventory_item(item) is None:
            errors.append(
                _error(
                    "INVALID_INVENTORY_ITEM",
                    [*at, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                )
            )
            continue
        if not any(num(loc["id"]) == location for loc in data.locations):
            errors.append(
                _error(
                    "INVALID_LOCATION",
                    [*at, "locationId"],
                    "The specified location could not be found.",
                )
            )
            continue
        if key not in data.levels:
            errors.append(
                _error(
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                    [*at, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                )
            )
            continue
        if key in seen:
            errors.append(
                _error(
                    "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    at,
                    "The combination of inventoryItemId and locationId must be unique.",
                )
            )
            continue
        seen.add(key)
        if quantity["quantity"] < 0:
            errors.append(
                _error(
                    "INVALID_QUANTITY_NEGATIVE",
                    [*at, "quantity"],
                    "The quantity can't be negative.",
                )
            )
            continue
        current = data.levels[key]
        compare = quantity.get("compareQuantity")
        if not ignore and compare is None:
            errors.append(
                _error(
                    "COMPARE_QUANTITY_REQUIRED",
                    [*at, "compareQuantity"],
                    "The compareQuantity argument must be given to each quantity or "
                    "ignored using ignoreCompareQuantity.",
                )
            )
            continue
        if not ignore and compare != current:
            errors.append(
                _error(
                    "COMPARE_QUANTITY_STALE",
                    [*at, "compareQuantity"],
                    "The compareQuantity value does not match persisted value.",
                )
            )
            continue
        planned.append((item, location, quantity["quantity"], current))
    if errors:
        return {"inventoryAdjustmentGroup": None, "userErrors": errors}
    changes = []
    for item, location, new, old in planned:
        data.levels[(item, location)] = new
        changes.append(
            {
                "name": payload["name"],
                "delta": new - old,
                "quantityAfterChange": new,
                "item": data.inventory_item(item),
                "location": next(loc for loc in data.locations if num(loc["id"]) == location),
            }
        )
    data.refresh_inventory()
    group = {
        "__typename": "InventoryAdjustmentGroup",
        "id": gid("InventoryAdjustmentGroup", data.new_id()),
        "createdAt": iso(now),
        "reason": payload["reason"],
        "referenceDocumentUri": payload.get("referenceDocumentUri"),
        "changes": changes,
    }
    return {"inventoryAdjustmentGroup": group, "userErrors": []}


def _find_fulfillment_order(
    data: ShopData, fo_id: str
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    for order in data.orders.values():
        for fo in order["fulfillmentOrders"]:
            if num(fo["id"]) == fo_id:
                return order, fo
    return None


def create_fulfillment(data: ShopData, payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Apply a ``FulfillmentInput``: all named fulfillment orders must belong to one order."""
    plan: list[tuple[dict[str, Any], int]] = []
    order: dict[str, Any] | None = None
    errors: list[dict[str, Any]] = []
    for i, group in enumerate(payload["lineItemsByFulfillmentOrder"]):
        at = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
        found = _find_fulfillment_order(data, num(group["fulfillmentOrderId"]))
        if found is None:
            errors.append(
                {
                    "field": [*at, "fulfillmentOrderId"],
                    "message": "Fulfillment order does not exist.",
                }
            )
            continue
        fo_order, fo = found
        if order is not None and fo_order is not order:
            errors.append(
                {"field": at, "message": "All fulfillment orders must belong to the same order."}
            )
            continue
        order = fo_order
        if fo["status"] not in {"OPEN", "IN_PROGRESS"}:
            errors.append(
                {
                    "field": at,
                    "message": f"Fulfillment order {num(fo['id'])} has an "
                    "unfulfillable status= " + fo["status"].lower() + ".",
                }
            )
            continue
        wanted = group.get("fulfillmentOrderLineItems")
        lines = {num(x["id"]): x for x in fo["lineItems"]}
        if not wanted:
            wanted = [
                {"id": x["id"], "quantity": x["remainingQuantity"]}
                for x in fo["lineItems"]
                if x["remainingQuantity"] > 0
            ]
        for j, item in enumerate(wanted):
            line = lines.get(num(item["id"]))
            if (
                line is None
                or item["quantity"] <= 0
                or item["quantity"] > line["remainingQuantity"]
            ):
                errors.append(
                    {
                        "field": [*at, "fulfillmentOrderLineItems", str(j)],
                        "message": "Invalid fulfillment order line item quantity requested.",
                    }
                )
                continue
            plan.append((line, item["quantity"]))
    if errors or order is None or not plan:
        return {
            "fulfillment": None,
            "userErrors": errors or [{"field": ["fulfillment"], "message": "Nothing to fulfil."}],
        }
    for fo_line, quantity in plan:
        fo_line["remainingQuantity"] -= quantity
        fo_line["lineItem"]["unfulfilledQuantity"] -= quantity
    for fo in order["fulfillmentOrders"]:
        if fo["status"] in {"OPEN", "IN_PROGRESS"}:
            done = all(x["remainingQuantity"] == 0 for x in fo["lineItems"])
            fo["status"] = "CLOSED" if done else "IN_PROGRESS"
    open_units = sum(line["unfulfilledQuantity"] for line in order["lineItems"])
    order["displayFulfillmentStatus"] = "PARTIALLY_FULFILLED" if open_units else "FULFILLED"
    order["updatedAt"] = iso(now)
    tracking = payload.get("trackingInfo") or {}
    record = fulfillment_record(
        data,
        now,
        [(fo_line["lineItem"], q) for fo_line, q in plan],
        tracking.get("company"),
        tracking.get("number"),
        tracking.get("url"),
    )
    order["fulfillments"].append(record)
    return {"fulfillment": record, "userErrors": []}


def mutation_root(data: ShopData, now: Callable[[], datetime]) -> dict[str, Any]:
    def inventory_set_quantities(info: Any, **args: Any) -> dict[str, Any]:
        return set_quantities(data, args["input"], now())

    def fulfillment_create(info: Any, **args: Any) -> dict[str, Any]:
        return create_fulfillment(data, args["fulfillment"], now())

    return {
        "inventorySetQuantities": inventory_set_quantities,
        "fulfillmentCreate": fulfillment_create,
    }
