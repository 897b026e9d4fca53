"""What a Walmart seller account needs (:data:`SPEC`) and its live check (:func:`check`).

The check gets a token with the client credentials (a wrong key shows at once) and reads one
page of released orders, one of changed orders and one of items: a key without the orders or
items scope shows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field
from channelhub.mappings.walmart import (
    FEED_THRESHOLD,
    ITEMS_PATH,
    ORDERS_PATH,
    RELEASED_PATH,
    all_orders_params,
    released_params,
)

if TYPE_CHECKING:
    from channelhub.connectors.walmart.connector import WalmartConnector

SPEC = PlatformSpec(
    credentials=(
        field("client_id", "Client ID of your Walmart Marketplace API key", required=True),
        field("client_secret", "Client Secret of that API key", required=True),
        field(
            "notification_password",
            "the password you gave Walmart for webhook BASIC_AUTH (authDetails.password)",
        ),
    ),
    settings=(
        field(
            "notification_username",
            "the user name you gave Walmart for webhook BASIC_AUTH (authDetails.userName)",
        ),
        field(
            "notification_auth_header",
            "the header Walmart sends the webhook credentials in (authDetails.authHeaderName)",
            default="Authorization",
        ),
        field(
            "stock_feed_threshold",
            "above this many SKUs a stock push goes as one bulk inventory feed",
            FieldType.INT,
            default=FEED_THRESHOLD,
        ),
    ),
)


async def check(connector: WalmartConnector, context: ConnectorContext) -> list[CheckLine]:
    """A token, one released-orders read, one all-orders read, one items read."""
    await connector.auth.token.get()
    lines = [CheckLine(True, "access token ok (client credentials)")]
    now = context.now()
    await connector.http.request(
        "getAllReleasedOrders",
        "GET",
        RELEASED_PATH,
        params=released_params(now - timedelta(days=1), now, limit=1),
        expected={200, 404},  # 404: "no orders found" in the day, which is fine
    )
    lines.append(CheckLine(True, "released orders readable (Orders API)"))
    await connector.http.request(
        "getAllOrders",
        "GET",
        ORDERS_PATH,
        params=all_orders_params(now - timedelta(days=1), now, created_from=now, limit=1),
        expected={200, 404},
    )
    lines.append(CheckLine(True, "order changes readable (all orders, by last modified)"))
    await connector.http.request("getAllItems", "GET", ITEMS_PATH, params={"limit": "1"})
    lines.append(CheckLine(True, "items readable (Items API)"))
    return lines
