"""Order webhook subscriptions (Admin GraphQL 2025-01): what the hub asks Shopify to send.

``orders/create`` and ``orders/updated`` to the hub's ``/webhooks/{account}`` address are the
primary order path (polling stays as the safety net); ``bulk_operations/finish`` to the same
address wakes a bulk order read as soon as its query finished. :func:`subscriptions_request`
lists the subscriptions already made for that address, so set-up is idempotent; the missing
topics are made with :func:`create_request` (``webhookSubscriptionCreate``, JSON format).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.mappings.shopify.requests import GraphQLBody, data_of

#: The order topics the hub takes in (REST-shaped bodies, mapped by the webhook intake).
ORDER_TOPICS = ("ORDERS_CREATE", "ORDERS_UPDATED")
#: A bulk query of the app finished: wakes the order read waiting on it (see
#: :mod:`channelhub.connectors.shopify.bulk`) instead of its next poll.
BULK_FINISH_TOPIC = "BULK_OPERATIONS_FINISH"
#: Every topic the hub subscribes to.
TOPICS = (*ORDER_TOPICS, BULK_FINISH_TOPIC)

SUBSCRIPTIONS_QUERY = """
query ChannelhubWebhookSubscriptions($topics: [WebhookSubscriptionTopic!], $callbackUrl: URL) {
  webhookSubscriptions(first: 50, topics: $topics, callbackUrl: $callbackUrl) {
    nodes { id topic callbackUrl }
  }
}
"""

CREATE_MUTATION = """
mutation ChannelhubWebhookSubscriptionCreate(
  $topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!
) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic callbackUrl }
    userErrors { field message }
  }
}
"""


def subscriptions_request(callback_url: str, topics: Sequence[str] = TOPICS) -> GraphQLBody:
    return {
        "query": SUBSCRIPTIONS_QUERY,
        "variables": {"topics": list(topics), "callbackUrl": callback_url},
    }


def subscribed_topics(response: object, callback_url: str) -> set[str]:
    """The topics already delivered to ``callback_url``."""
    data = data_of(response, "webhookSubscriptions")
    connection = data.get("webhookSubscriptions")
    nodes = connection.get("nodes") if isinstance(connection, Mapping) else None
    if not isinstance(nodes, list):
        raise InvalidInput.field("webhookSubscriptions", connection, "has no nodes list")
    return {
        str(node["topic"])
        for node in nodes
        if isinstance(node, Mapping) and node.get("callbackUrl") == callback_url
    }


def create_request(topic: str, callback_url: str) -> GraphQLBody:
    return {
        "query": CREATE_MUTATION,
        "variables": {
            "topic": topic,
            "webhookSubscription": {"callbackUrl": callback_url, "format": "JSON"},
        },
    }


def created_id(response: object) -> str:
    """The new subscription's id, or the userErrors as one refusal."""
    data = data_of(response, "webhookSubscriptionCreate")
    payload = data.get("webhookSubscriptionCreate")
    if not isinstance(payload, Mapping):
        raise InvalidInput.field("webhookSubscriptionCreate", payload, "is missing")
    errors: Any = payload.get("userErrors") or []
    if errors:
        text = "; ".join(str(e.get("message")) for e in errors if isinstance(e, Mapping))
        raise InvalidInput.field("webhookSubscriptionCreate", text, "— Shopify refused it")
    made = payload.get("webhookSubscription")
    found = made.get("id") if isinstance(made, Mapping) else None
    if not isinstance(found, str) or not found:
        raise InvalidInput.field("webhookSubscriptionCreate", made, "has no subscription id")
    return found
