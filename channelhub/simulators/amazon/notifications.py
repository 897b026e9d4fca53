"""The simulator's Notifications API: SQS destinations, subscriptions, ORDER_CHANGE delivery.

Operations (notifications.json): ``getDestinations`` / ``createDestination`` (grantless: an LWA
client-credentials token of scope ``sellingpartnerapi::notifications``), ``getSubscription`` /
``createSubscription`` (the seller's token). When an order is placed or changes
(:meth:`AmazonState.place_order`, :meth:`AmazonState.edit_order`), the ORDER_CHANGE
notification (OrderChangeNotification.json) goes to the SQS queue of the subscription's
destination through ``deliver(queue_arn, body)``: by default an SQS ``SendMessage`` with boto3
to ``sqs_endpoint_url`` (a local SQS-compatible server, e.g. moto; the queue is found by the
name and account in its ARN). Like Amazon, delivery is at least once: ``duplicate_rate``
sends some notifications twice with the same ``NotificationId``.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from channelhub.simulators.amazon.catalog import iso

Deliver = Callable[[str, str], None]
"""(queue ARN, message body) → the message is on the queue."""

APPLICATION_ID = "amzn1.sellerapps.app.sim-channelhub"
SUPPLY_SOURCE_ID = "d7679e14-031b-4ab3-a81b-ec4fc7a460b3"  # the seller's one supply source
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
_STATUS = {
    "PENDING": "Pending",
    "UNSHIPPED": "Unshipped",
    "PARTIALLY_SHIPPED": "PartiallyShipped",
    "SHIPPED": "Shipped",
    "CANCELLED": "Canceled",
}


class NotificationError(Exception):
    """A Notifications API refusal: status, code, message (the app renders Amazon's body)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def sqs_deliver(endpoint_url: str, *, region: str | None = None) -> Deliver:
    """SendMessage with boto3 to the queue an ARN names, on ``endpoint_url``."""
    import boto3  # only a simulator that delivers needs it

    clients: dict[str, Any] = {}

    def deliver(arn: str, body: str) -> None:
        _, _, _, arn_region, account, name = arn.split(":", 5)
        where = region or arn_region
        client = clients.get(where)
        if client is None:
            client = clients[where] = boto3.client(
                "sqs",
                region_name=where,
                endpoint_url=endpoint_url,
                aws_access_key_id="simulator",
                aws_secret_access_key="simulator",
            )
        url = client.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        client.send_message(QueueUrl=url, MessageBody=body)

    return deliver


def order_change_body(
    order: Mapping[str, Any],
    *,
    seller_id: str,
    subscription_id: str,
    notification_id: str,
    change_type: str,
    now: datetime,
) -> dict[str, Any]:
    """The ORDER_CHANGE notification of ``order`` (OrderChangeNotification.json)."""
    postal = order["_pii"]["recipient"]["deliveryAddress"]["postalCode"]
    status = order["fulfillment"]["fulfillmentStatus"]
    items = [
        {
            "OrderItemId": item["orderItemId"],
            "SellerSKU": item["product"]["sellerSku"],
            "SupplySourceId": SUPPLY_SOURCE_ID,
            "OrderItemStatus": _STATUS.get(status, "Unshipped"),
            "Quantity": item["quantityOrdered"],
            "QuantityShipped": item["fulfillment"]["quantityFulfilled"],
        }
        for item in order["orderItems"]
    ]
    return {
        "NotificationVersion": "1.0",
        "NotificationType": "ORDER_CHANGE",
        "PayloadVersion": "1.0",
        "EventTime": iso(now),
        "Payload": {
            "OrderChangeNotification": {
                "NotificationLevel": "OrderLevel",
                "SellerId": seller_id,
                "AmazonOrderId": order["orderId"],
                "OrderChangeType": change_type,
                "OrderChangeTrigger": {
                    "TimeOfOrderChange": order["lastUpdatedTime"],
                    "ChangeReason": "Order created"
                    if change_type == "OrderStatusChange" and status == "UNSHIPPED"
                    else "Order changed",
                },
                "Summary": {
                    "MarketplaceId": order["salesChannel"]["marketplaceId"],
                    "OrderStatus": _STATUS.get(status, "Unshipped"),
                    "PurchaseDate": order["createdTime"],
                    "DestinationPostalCode": postal,
                    "FulfillmentType": "AFN"
                    if order["fulfillment"]["fulfilledBy"] == "AMAZON"
                    else "MFN",
                    "OrderType": "StandardOrder",
                    "OrderItems": items,
                },
            }
        },
        "NotificationMetadata": {
            "ApplicationId": APPLICATION_ID,
            "SubscriptionId": subscription_id,
            "PublishTime": iso(now),
            "NotificationId": notification_id,
        },
    }


@dataclass
class Notifications:
    """Destinations and subscriptions of the simulated application and seller."""

    now: Callable[[], datetime]
    deliver: Deliver | None = None
    duplicate_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def _id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128)))

    # --- destinations (grantless) ---------------------------------------------------------

    def get_destinations(self) -> dict[str, Any]:
        return {"payload": list(self.destinations.values())}

    def create_destination(self, body: Any) -> dict[str, Any]:
        spec = body.get("resourceSpecification") if isinstance(body, dict) else None
        sqs = spec.get("sqs") if isinstance(spec, dict) else None
        arn = sqs.get("arn") if isinstance(sqs, dict) else None
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            raise NotificationError(400, "InvalidInput", "name is required")
        if not isinstance(arn, str) or not arn.startswith("arn:aws:sqs:") or arn.count(":") != 5:
            raise NotificationError(
                400, "InvalidInput", "resourceSpecification.sqs.arn is required"
            )
        if any(d["resource"]["sqs"]["arn"] == arn for d in self.destinations.values()):
            raise NotificationError(409, "Conflict", f"a destination for {arn} already exists")
        destination_id = self._id()
        destination = {
            "name": name,
            "destinationId": destination_id,
            "resource": {"sqs": {"arn": arn}},
        }
        self.destinations[destination_id] = destination
        return {"payload": destination}

    # --- subscriptions (the seller's) ----------------------------------------------------

    def get_subscription(self, notification_type: str) -> dict[str, Any]:
        found = self.subscriptions.get(notification_type)
        if found is None:
            raise NotificationError(
                404, "NotFound", f"no subscription for {notification_type} was found"
            )
        return {"payload": found}

    def create_subscription(self, notification_type: str, body: Any) -> dict[str, Any]:
        if notification_type != "ORDER_CHANGE":
            raise NotificationError(
                400, "InvalidInput", f"{notification_type} is not simulated (ORDER_CHANGE only)"
            )
        destination = body.get("destinationId") if isinstance(body, dict) else None
        version = body.get("payloadVersion") if isinstance(body, dict) else None
        if destination not in self.destinations:
            raise NotificationError(400, "InvalidInput", f"destination {destination!r} not found")
        if version != "1.0":
            raise NotificationError(400, "InvalidInput", "payloadVersion must be 1.0")
        if notification_type in self.subscriptions:
            raise NotificationError(409, "Conflict", f"already subscribed to {notification_type}")
        subscription = {
            "subscriptionId": self._id(),
            "payloadVersion": version,
            "destinationId": destination,
        }
        self.subscriptions[notification_type] = subscription
        return {"payload": subscription}

    # --- delivery ------------------------------------------------------------------------

    def order_changed(self, order: Mapping[str, Any], *, seller_id: str, change_type: str) -> None:
        """Send ORDER_CHANGE for ``order`` to the subscribed queue (nothing if unsubscribed)."""
        subscription = self.subscriptions.get("ORDER_CHANGE")
        if subscription is None:
            return
        arn = self.destinations[subscription["destinationId"]]["resource"]["sqs"]["arn"]
        body = order_change_body(
            order,
            seller_id=seller_id,
            subscription_id=subscription["subscriptionId"],
            notification_id=self._id(),
            change_type=change_type,
            now=self.now(),
        )
        self.sent.append(body)
        if self.deliver is None:
            return
        text = json.dumps(body)
        self.deliver(arn, text)
        if self.rng.random() < self.duplicate_rate:
            self.deliver(arn, text)
