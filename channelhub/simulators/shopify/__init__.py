"""Shopify Admin GraphQL (2025-01) simulator: ``create_app(seed=...)`` and the webhook sender."""

from channelhub.simulators.shopify.app import (
    SIMULATOR_INFO,
    JournalEntry,
    ShopSimulator,
    create_app,
    create_simulator,
)
from channelhub.simulators.shopify.seed import ShopData, generate_shop
from channelhub.simulators.shopify.webhooks import (
    WebhookDelivery,
    WebhookSender,
    render_rest_order,
)

__all__ = [
    "SIMULATOR_INFO",
    "JournalEntry",
    "ShopData",
    "ShopSimulator",
    "WebhookDelivery",
    "WebhookSender",
    "create_app",
    "create_simulator",
    "generate_shop",
    "render_rest_order",
]
