"""ORDER_CHANGE notifications (OrderChangeNotification.json): which order to re-read, once.

Notifications arrive at least once through SQS/EventBridge; the hub dedupes on
``NotificationMetadata.NotificationId`` and backfills the order with ``getOrder`` (the
notification's own summary lacks money and addresses, so it is never mapped to an Order).

The requests that set the delivery up (Notifications API v1, notifications.json) are built here
too: an SQS destination (createDestination, grantless) and the seller's ORDER_CHANGE
subscription to it (createSubscription).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.mappings.amazon._wire import Wire


@dataclass(frozen=True)
class OrderChange:
    """What an ORDER_CHANGE notification says: its id (dedupe key), the order, when."""

    notification_id: str
    order_id: str
    seller_id: str | None
    event_time: datetime
    change_type: str | None


def order_change(payload: object, *, source: str | None = None) -> OrderChange:
    """Read an ORDER_CHANGE notification; anything else is refused naming the field."""
    root = Wire(payload, "notification", source)
    kind = root.req("NotificationType")
    if kind.text() != "ORDER_CHANGE":
        raise kind.fail("is not ORDER_CHANGE")
    change = root.req("Payload").req("OrderChangeNotification")
    return OrderChange(
        notification_id=root.req("NotificationMetadata").req("NotificationId").nonempty_text(),
        order_id=change.req("AmazonOrderId").order_id(),
        seller_id=change.opt_text("SellerId"),
        event_time=root.req("EventTime").when(),
        change_type=change.opt_text("OrderChangeType"),
    )


# --- Notifications API v1 requests (notifications.json) ------------------------------------

DESTINATIONS_PATH = "/notifications/v1/destinations"
SUBSCRIPTION_PATH = "/notifications/v1/subscriptions/{notification_type}"
ORDER_CHANGE = "ORDER_CHANGE"
#: The ORDER_CHANGE payload version the hub reads (OrderChangeNotification.json).
PAYLOAD_VERSION = "1.0"
#: The LWA scope of the grantless Notifications operations (destinations).
NOTIFICATIONS_SCOPE = "sellingpartnerapi::notifications"
_SQS_ARN = re.compile(r"arn:aws:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,80}(\.fifo)?)")


def subscription_path(notification_type: str = ORDER_CHANGE) -> str:
    return SUBSCRIPTION_PATH.format(notification_type=notification_type)


def check_queue_arn(arn: str) -> str:
    """An SQS queue ARN as createDestination takes it (``arn:aws:sqs:REGION:ACCOUNT:NAME``)."""
    if not _SQS_ARN.fullmatch(arn):
        raise InvalidInput.field(
            "SQS queue ARN", arn, "is not arn:aws:sqs:REGION:ACCOUNT-ID:QUEUE-NAME"
        )
    return arn


def create_destination_body(*, name: str, queue_arn: str) -> dict[str, Any]:
    """createDestination: an SQS destination named ``name`` for ``queue_arn``."""
    return {"name": name, "resourceSpecification": {"sqs": {"arn": check_queue_arn(queue_arn)}}}


def create_subscription_body(*, destination_id: str) -> dict[str, Any]:
    """createSubscription: ORDER_CHANGE (payload 1.0) to ``destination_id``."""
    return {"payloadVersion": PAYLOAD_VERSION, "destinationId": destination_id}


def payload(body: object, operation: str) -> Mapping[str, Any]:
    """The ``payload`` object of a Notifications API answer, or a refusal naming it."""
    found = body.get("payload") if isinstance(body, Mapping) else None
    if not isinstance(found, Mapping):
        raise InvalidInput.field(operation, "answer", "has no 'payload' object")
    return found


def destination_for(destinations: object, queue_arn: str) -> str | None:
    """The id of the destination among getDestinations' payload that delivers to
    ``queue_arn``, if any (a destination is the application's, shared by its sellers)."""
    if not isinstance(destinations, list):
        raise InvalidInput.field("getDestinations", "payload", "is not a list")
    for item in destinations:
        if not isinstance(item, Mapping):
            continue
        resource = item.get("resource")
        sqs = resource.get("sqs") if isinstance(resource, Mapping) else None
        if isinstance(sqs, Mapping) and sqs.get("arn") == queue_arn:
            found = item.get("destinationId")
            if isinstance(found, str) and found:
                return found
    return None
