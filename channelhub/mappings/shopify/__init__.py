"""Shopify Admin GraphQL (2025-01) <-> canonical model. Pure: no I/O, no clock.

Orders (GraphQL nodes, GraphQL responses, REST/webhook JSON) -> :func:`normalize_orders`;
products/variants -> :func:`normalize_listings`; locations -> :func:`normalize_locations`;
request builders and answer readers for stock pushes and fulfilment; webhook signature check.
"""

from channelhub.mappings.shopify import pricing, queries, webhooks
from channelhub.mappings.shopify.cost import (
    QueryCost,
    ThrottleStatus,
    is_throttled,
    query_cost,
    refill_wait,
)
from channelhub.mappings.shopify.fulfilment import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    ShopifyFulfillment,
    Tracking,
    fulfillment_create_request,
    fulfillment_state_request,
    order_fulfillments_request,
    parse_fulfillment_create,
    parse_fulfillment_orders,
    parse_order_fulfillments,
    parse_pushed_tracking,
    plan_fulfillment,
)
from channelhub.mappings.shopify.listings import (
    ShopifyLocation,
    listings_from_product,
    normalize_listings,
    normalize_locations,
    quantity_at,
)
from channelhub.mappings.shopify.orders import (
    channel_state,
    is_cash_on_delivery,
    normalize_orders,
    order_from_node,
)
from channelhub.mappings.shopify.requests import (
    MAX_INPUT_ITEMS,
    STALE_CODE,
    QuantityChange,
    QuantityResult,
    data_of,
    inventory_levels,
    inventory_levels_request,
    inventory_set_quantities_request,
    inventory_set_quantities_requests,
    inventory_set_results,
    locations_request,
    more_line_items,
    order_line_items_request,
    order_request,
    orders_request,
    orders_search,
    page_info,
    products_request,
    with_line_items,
)
from channelhub.mappings.shopify.rest import rest_order_to_node
from channelhub.mappings.shopify.webhooks import (
    load_webhook_json,
    sign_webhook,
    verify_webhook_hmac,
)

__all__ = [
    "MAX_INPUT_ITEMS",
    "STALE_CODE",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "QuantityChange",
    "QuantityResult",
    "QueryCost",
    "ShopifyFulfillment",
    "ShopifyLocation",
    "ThrottleStatus",
    "Tracking",
    "channel_state",
    "data_of",
    "fulfillment_create_request",
    "fulfillment_state_request",
    "inventory_levels",
    "inventory_levels_request",
    "inventory_set_quantities_request",
    "inventory_set_quantities_requests",
    "inventory_set_results",
    "is_cash_on_delivery",
    "is_throttled",
    "listings_from_product",
    "load_webhook_json",
    "locations_request",
    "more_line_items",
    "normalize_listings",
    "normalize_locations",
    "normalize_orders",
    "order_from_node",
    "order_fulfillments_request",
    "order_line_items_request",
    "order_request",
    "orders_request",
    "orders_search",
    "page_info",
    "parse_fulfillment_create",
    "parse_fulfillment_orders",
    "parse_order_fulfillments",
    "parse_pushed_tracking",
    "plan_fulfillment",
    "pricing",
    "products_request",
    "quantity_at",
    "queries",
    "query_cost",
    "refill_wait",
    "rest_order_to_node",
    "sign_webhook",
    "verify_webhook_hmac",
    "webhooks",
    "with_line_items",
]
