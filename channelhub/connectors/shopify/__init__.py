"""Shopify Admin GraphQL (2025-01) connector: the ``shopify`` SalesChannel plugin."""

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.shopify.check import SPEC, check
from channelhub.connectors.shopify.connector import CAPABILITIES, ShopifyConnector
from channelhub.connectors.shopify.dedupe import InMemoryWebhookDedupe, WebhookDedupe
from channelhub.connectors.shopify.webhooks import DuplicateWebhook

PLUGIN = ConnectorPlugin(
    platform="shopify",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=ShopifyConnector,
    capabilities=CAPABILITIES,
    default_base_url=None,  # https://{settings.shop}.myshopify.com
    description="Shopify Admin GraphQL API 2025-01: orders, products, stock, fulfilment, webhooks",
    spec=SPEC,
    check=check,
)

__all__ = [
    "PLUGIN",
    "DuplicateWebhook",
    "InMemoryWebhookDedupe",
    "ShopifyConnector",
    "WebhookDedupe",
]
