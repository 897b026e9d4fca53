"""What an eBay account needs (:data:`SPEC`) and its live check (:func:`check`).

The check asks for a user token per API the jobs use (each with only that API's scope, as
the connector does), then reads one order and one inventory item with them: a wrong key, a
refresh token without a scope and a dead URL each show.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import PlatformSpec, field
from channelhub.mappings.ebay import FULFILLMENT_BASE, INVENTORY_BASE, get_orders_params
from channelhub.mappings.ebay.builders import API_SCOPES

if TYPE_CHECKING:
    from channelhub.connectors.ebay.connector import EbayConnector

SPEC = PlatformSpec(
    credentials=(
        field("client_id", "App ID (client id) of your eBay developer keyset", required=True),
        field("client_secret", "Cert ID (client secret) of your eBay keyset", required=True),
        field(
            "refresh_token",
            "user refresh token granting sell.fulfillment, sell.inventory and sell.finances",
            required=True,
        ),
        field("verification_token", "Marketplace Account Deletion verification token"),
    ),
    settings=(
        field("notification_endpoint", "the public URL eBay notifications are sent to"),
        field(
            "finance_base_url",
            "Finances API host (default https://apiz.ebay.com; a simulator's URL is used as is)",
        ),
    ),
)

#: The APIs the jobs use with a user token (notification uses an application token).
USER_APIS = ("fulfillment", "inventory")


async def check(connector: EbayConnector, context: ConnectorContext) -> list[CheckLine]:
    """A token per API scope, one order read, one inventory item read."""
    lines: list[CheckLine] = []
    for api in USER_APIS:
        await connector.auth.tokens[api].get()
        scopes = " ".join(s.rsplit("/", 1)[-1] for s in API_SCOPES[api])
        lines.append(CheckLine(True, f"user token ok with scope {scopes}"))
    since = context.now() - timedelta(days=1)
    await connector.http.request(
        "getOrders", "GET", f"{FULFILLMENT_BASE}/order", params=get_orders_params(since, limit=1)
    )
    lines.append(CheckLine(True, "orders readable (Fulfillment API)"))
    await connector.http.request(
        "getInventoryItems",
        "GET",
        f"{INVENTORY_BASE}/inventory_item",
        params={"limit": "1", "offset": "0"},
    )
    lines.append(CheckLine(True, "inventory readable (Inventory API)"))
    return lines
