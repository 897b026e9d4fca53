"""What an Amazon account needs (:data:`SPEC`) and its live check (:func:`check`).

The check asks LWA for a token with the account's refresh token, reads one order across the
configured marketplaces (no buyer data) and one listing of the configured seller, so a wrong
secret, a marketplace the seller does not sell in and a wrong seller id each show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field
from channelhub.mappings.amazon import requests as build

if TYPE_CHECKING:
    from channelhub.connectors.amazon.connector import AmazonConnector

SPEC = PlatformSpec(
    credentials=(
        field(
            "client_id",
            "LWA client id of your SP-API app (amzn1.application-oa2-client...)",
            required=True,
        ),
        field("client_secret", "LWA client secret of your SP-API app", required=True),
        field(
            "refresh_token", "LWA refresh token from authorising the app (Atzr|...)", required=True
        ),
        field("aws_access_key_id", "AWS key allowed to read and delete on the SQS queue"),
        field("aws_secret_access_key", "its secret (both, or neither: boto3's own credentials)"),
    ),
    settings=(
        field("seller_id", "your selling partner id (merchant token)", required=True),
        field(
            "marketplace_ids",
            "marketplaces to sync, comma-separated (the first is the listings marketplace)",
            FieldType.LIST,
            required=True,
        ),
        field(
            "lwa_url",
            "LWA token URL (default: Amazon's for Amazon hosts, else BASE_URL/auth/o2/token)",
            FieldType.URL,
        ),
        field(
            "with_pii",
            "fetch buyer name and address (needs the PII role)",
            FieldType.BOOL,
            default=True,
        ),
        field(
            "overlap_seconds",
            "how far each order window re-reads the last",
            FieldType.FLOAT,
            default=300,
        ),
        field("page_size", "orders per searchOrders page (1-100)", FieldType.INT, default=100),
        field(
            "patch_threshold",
            "more quantity changes than this go as one feed",
            FieldType.INT,
            default=20,
        ),
        field(
            "feed_poll_seconds", "seconds between feed status polls", FieldType.FLOAT, default=30
        ),
        field("feed_max_polls", "feed status polls before giving up", FieldType.INT, default=240),
        field(
            "sqs_queue_url",
            "SQS queue for ORDER_CHANGE notifications (orders in seconds; polling stays on)",
            FieldType.URL,
        ),
        field("sqs_region", "the queue's AWS region (default: from the queue URL)"),
        field("sqs_endpoint_url", "an SQS-compatible server instead of AWS's", FieldType.URL),
        field("sqs_wait_seconds", "long-poll wait per receive (0-20)", FieldType.INT, default=5),
    ),
)


async def check(connector: AmazonConnector, context: ConnectorContext) -> list[CheckLine]:
    """LWA token, one order of the marketplaces, one listing of the seller."""
    await connector.token.get()
    lines = [CheckLine(True, f"LWA token ok ({connector.lwa_url})")]
    now = context.now()
    query = build.search_orders_query(
        marketplace_ids=connector.marketplace_ids,
        updated_after=now - timedelta(days=1),
        now=now,
        max_results=1,
    )
    await connector.call("searchOrders", "GET", build.SEARCH_ORDERS_PATH, params=query)
    marketplaces = ", ".join(connector.marketplace_ids)
    lines.append(CheckLine(True, f"orders readable in marketplaces {marketplaces}"))
    await connector.call(
        "searchListingsItems",
        "GET",
        build.listings_item_path(connector.seller_id),
        params=build.search_listings_query(
            marketplace_id=connector.marketplace_ids[0], page_size=1
        ),
    )
    lines.append(CheckLine(True, f"listings readable for seller {connector.seller_id}"))
    return lines
