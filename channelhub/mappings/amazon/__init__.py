"""Amazon SP-API wire formats <-> the canonical model (pure: no I/O, no clock).

- orders: :func:`normalize_orders` (searchOrders / getOrder bodies or one order object)
- listings: :func:`normalize_listings` (searchListingsItems / getListingsItem bodies)
- requests: the query/body builders the connector sends (see :mod:`.requests`)
- feeds: JSON_LISTINGS_FEED documents and processing-report parsing (see :mod:`.feeds`)
- notifications: ORDER_CHANGE -> which order to backfill
"""

from channelhub.mappings.amazon._wire import Wire
from channelhub.mappings.amazon.feeds import (
    MAX_FEED_MESSAGES,
    FeedDocument,
    SkuResult,
    StockUpdate,
    listings_feed_documents,
    parse_processing_report,
)
from channelhub.mappings.amazon.listings import listing_from_wire, normalize_listings
from channelhub.mappings.amazon.notifications import OrderChange, order_change
from channelhub.mappings.amazon.orders import ORDER_STATES, normalize_orders, order_from_wire

__all__ = [
    "MAX_FEED_MESSAGES",
    "ORDER_STATES",
    "FeedDocument",
    "OrderChange",
    "SkuResult",
    "StockUpdate",
    "Wire",
    "listing_from_wire",
    "listings_feed_documents",
    "normalize_listings",
    "normalize_orders",
    "order_change",
    "order_from_wire",
    "parse_processing_report",
]
