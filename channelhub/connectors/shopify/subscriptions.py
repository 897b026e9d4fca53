"""Registering the shop's order (and bulk-finish) webhooks with Shopify (mixed into the
Shopify connector).

Idempotent: the subscriptions already delivering to the hub's address are read first and only
the missing topics are created (see :mod:`channelhub.mappings.shopify.subscriptions`).
"""

from __future__ import annotations

from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.mappings.shopify import subscriptions as sub


class WebhookSubscribe:
    """The subscription half of the Shopify connector."""

    _gql: ShopifyGraphQL

    async def subscribe_order_webhooks(self, callback_url: str) -> list[str]:
        """``orders/create``, ``orders/updated`` and ``bulk_operations/finish`` to
        ``callback_url``; returns the topics this call created (empty: already subscribed)."""
        answer = await self._gql.call(
            "webhookSubscriptions", sub.subscriptions_request(callback_url)
        )
        have = sub.subscribed_topics(answer, callback_url)
        made: list[str] = []
        for topic in sub.TOPICS:
            if topic in have:
                continue
            created = await self._gql.call(
                "webhookSubscriptionCreate",
                sub.create_request(topic, callback_url),
                idempotent=False,
            )
            sub.created_id(created)
            made.append(topic)
        return made
