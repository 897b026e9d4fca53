"""Setting up ORDER_CHANGE delivery to the seller's SQS queue (Notifications API v1).

Amazon pushes a notification when an order is created or changes; the hub reads it from an SQS
queue the seller owns (:mod:`channelhub.jobs.orders.sqs_orders`). Setting that up takes two steps:

1. an SQS **destination** for the queue's ARN (``createDestination``: a *grantless* operation,
   called with an LWA client-credentials token of scope ``sellingpartnerapi::notifications``;
   a destination belongs to the application, so one already made for this ARN is reused,
   found with ``getDestinations``);
2. the seller's **subscription** to ORDER_CHANGE on that destination (``createSubscription``
   with the seller's own token).

``getSubscription`` comes first, so running the set-up again changes nothing: a subscription
that already delivers to the queue is kept; one that delivers elsewhere is reported, not
replaced (another tool of the seller's may own it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from channelhub.connectors.amazon.auth import HEADER
from channelhub.connectors.errors import ContractViolation, NotFoundError
from channelhub.connectors.http.auth import RefreshingToken
from channelhub.connectors.http.client import ConnectorResponse
from channelhub.core.errors import InvalidInput
from channelhub.mappings.amazon import notifications as build

#: The destination's name as the seller sees it in Amazon's tooling.
DESTINATION_NAME = "channelhub ORDER_CHANGE"

Call = Callable[..., Awaitable[ConnectorResponse]]


@dataclass(frozen=True)
class OrderChangeSubscription:
    """Where the account's ORDER_CHANGE notifications go, and what the set-up did."""

    subscription_id: str
    destination_id: str
    queue_arn: str
    created_destination: bool
    created_subscription: bool

    @property
    def summary(self) -> str:
        if not self.created_subscription:
            return f"ORDER_CHANGE already delivered to {self.queue_arn} (unchanged)"
        made = "new destination" if self.created_destination else "existing destination"
        return f"ORDER_CHANGE now delivered to {self.queue_arn} ({made} {self.destination_id})"


def _payload(response: ConnectorResponse, operation: str) -> Any:
    try:
        return build.payload(response.json(), operation)
    except InvalidInput as exc:
        raise ContractViolation(f"{operation} answered without a payload: {exc}") from None


def _text(found: Any, name: str, operation: str) -> str:
    value = found.get(name)
    if not isinstance(value, str) or not value:
        raise ContractViolation(f"{operation} answered without {name!r}")
    return value


async def _destination(
    call: Call, grantless: RefreshingToken, queue_arn: str, *, create: bool
) -> tuple[str | None, bool]:
    """The destination id delivering to ``queue_arn``: found, else created when ``create``
    (grantless calls); (None, False) when not found and not to be created."""
    headers = {HEADER: (await grantless.get()).get_secret_value()}
    found = _payload_list(
        await call("getDestinations", "GET", build.DESTINATIONS_PATH, headers=headers)
    )
    existing = build.destination_for(found, queue_arn)
    if existing is not None or not create:
        return existing, False
    body = build.create_destination_body(name=DESTINATION_NAME, queue_arn=queue_arn)
    created = await call(
        "createDestination", "POST", build.DESTINATIONS_PATH, json=body, headers=headers
    )
    return _text(_payload(created, "createDestination"), "destinationId", "createDestination"), True


def _payload_list(response: ConnectorResponse) -> list[Any]:
    body = response.json()
    found = body.get("payload") if isinstance(body, dict) else None
    if not isinstance(found, list):
        raise ContractViolation("getDestinations answered without a payload list")
    return found


async def subscribe_order_changes(
    call: Call, grantless: RefreshingToken, queue_arn: str
) -> OrderChangeSubscription:
    """Make sure the account's ORDER_CHANGE notifications go to ``queue_arn`` (idempotent)."""
    build.check_queue_arn(queue_arn)
    path = build.subscription_path()
    query = {"payloadVersion": build.PAYLOAD_VERSION}
    try:
        current = _payload(
            await call("getSubscription", "GET", path, params=query), "getSubscription"
        )
    except NotFoundError:
        current = None
    # with a subscription already, nothing is created: it delivers to the queue, or is reported
    destination, made = await _destination(call, grantless, queue_arn, create=current is None)
    if current is not None:
        subscription = _text(current, "subscriptionId", "getSubscription")
        if destination is None or current.get("destinationId") != destination:
            raise InvalidInput.field(
                "ORDER_CHANGE subscription",
                subscription,
                f"already delivers to destination {current.get('destinationId')!r}, not to "
                f"{queue_arn}: delete it in your other tool (or Amazon's) and run this again",
            )
        return OrderChangeSubscription(subscription, destination, queue_arn, False, False)
    if destination is None:  # pragma: no cover - created above when missing
        raise ContractViolation("createDestination answered no destination")
    body = build.create_subscription_body(destination_id=destination)
    created = _payload(
        await call("createSubscription", "POST", path, json=body), "createSubscription"
    )
    subscription = _text(created, "subscriptionId", "createSubscription")
    return OrderChangeSubscription(subscription, destination, queue_arn, made, True)
