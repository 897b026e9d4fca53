"""ORDER_CHANGE notifications (OrderChangeNotification.json): which order to re-read, once.

Notifications arrive at least once through SQS/EventBridge; the hub dedupes on
``NotificationMetadata.NotificationId`` and backfills the order with ``getOrder`` (the
notification's own summary lacks money and addresses, so it is never mapped to an Order).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
