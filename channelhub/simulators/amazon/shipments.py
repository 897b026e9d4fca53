"""v0 ``confirmShipment`` for the Amazon simulator.

One call per package. The package reference must be a positive number; quantities may not
exceed what is unshipped; FBA, pending and cancelled orders are refused. The same
confirmation sent again answers 204 and changes nothing (the simulator's choice, documented);
a different one under a used reference is refused. A confirmation that changes the order's
status (to shipped or partly shipped) sends ORDER_CHANGE to the subscribed queue, as Amazon
notifies status changes.
"""

from __future__ import annotations

import copy
from typing import Any

from channelhub.simulators.amazon.catalog import iso
from channelhub.simulators.amazon.state import AmazonState, SimError, parse_time


def confirm_shipment(state: AmazonState, order_id: str, body: Any) -> None:
    """v0 confirmShipment: check the package against the order, then ship its items."""
    order = state.orders.get(order_id)
    if order is None:
        raise SimError(404, "NotFound", f"order {order_id} was not found")
    if not isinstance(body, dict) or not isinstance(body.get("packageDetail"), dict):
        raise SimError(400, "InvalidInput", "packageDetail is required")
    if body.get("marketplaceId") != order["salesChannel"]["marketplaceId"]:
        raise SimError(400, "InvalidInput", "marketplaceId does not match the order's marketplace")
    detail = body["packageDetail"]
    for field in (
        "packageReferenceId",
        "carrierCode",
        "trackingNumber",
        "shipDate",
        "orderItems",
    ):
        if not detail.get(field):
            raise SimError(400, "InvalidInput", f"packageDetail.{field} is required")
    reference = str(detail["packageReferenceId"])
    if not reference.isdigit() or int(reference) < 1:
        raise SimError(400, "InvalidInput", "packageReferenceId must be a positive number")
    if detail["carrierCode"] == "Other" and not detail.get("carrierName"):
        raise SimError(400, "InvalidInput", "carrierName is required when carrierCode is Other")
    parse_time(str(detail["shipDate"]), "shipDate")
    if order["fulfillment"]["fulfilledBy"] == "AMAZON":
        raise SimError(
            400, "InvalidInput", "orders fulfilled by Amazon cannot be confirmed by the seller"
        )
    if order["fulfillment"]["fulfillmentStatus"] in ("CANCELLED", "PENDING"):
        raise SimError(
            400,
            "InvalidInput",
            f"an order in status {order['fulfillment']['fulfillmentStatus']} cannot be shipped",
        )
    known = state.packages.setdefault(order_id, {})
    if reference in known:
        previous = known[reference]
        if previous["_request"] == detail:
            return  # the same confirmation again changes nothing
        raise SimError(
            400, "InvalidInput", f"package {reference} was already confirmed differently"
        )
    items = {i["orderItemId"]: i for i in order["orderItems"]}
    for entry in detail["orderItems"]:
        item = items.get(entry.get("orderItemId"))
        if item is None:
            raise SimError(
                400,
                "InvalidInput",
                f"order item {entry.get('orderItemId')} is not in the order",
            )
        remaining = item["quantityOrdered"] - item["fulfillment"]["quantityFulfilled"]
        quantity = entry.get("quantity")
        if not isinstance(quantity, int) or not 1 <= quantity <= remaining:
            raise SimError(
                400,
                "InvalidInput",
                f"quantity {quantity} of {item['orderItemId']}: only {remaining} unshipped",
            )
    for entry in detail["orderItems"]:
        fulfillment = items[entry["orderItemId"]]["fulfillment"]
        fulfillment["quantityFulfilled"] += entry["quantity"]
        fulfillment["quantityUnfulfilled"] = max(
            fulfillment["quantityUnfulfilled"] - entry["quantity"], 0
        )
    done = all(
        i["fulfillment"]["quantityFulfilled"] >= i["quantityOrdered"] for i in order["orderItems"]
    )
    status = "SHIPPED" if done else "PARTIALLY_SHIPPED"
    changed = order["fulfillment"]["fulfillmentStatus"] != status
    order["fulfillment"]["fulfillmentStatus"] = status
    order["lastUpdatedTime"] = iso(state.now())
    known[reference] = {
        "packageReferenceId": reference,
        "carrier": detail["carrierCode"]
        if detail["carrierCode"] != "Other"
        else detail["carrierName"],
        "trackingNumber": detail["trackingNumber"],
        "shipTime": detail["shipDate"],
        "packageItems": [
            {"orderItemId": e["orderItemId"], "quantity": e["quantity"]}
            for e in detail["orderItems"]
        ],
        "_request": copy.deepcopy(detail),
    }
    if changed:  # a status change: Amazon sends ORDER_CHANGE to the subscribed queue
        state.notifications.order_changed(
            order, seller_id=state.seller_id, change_type="OrderStatusChange"
        )
