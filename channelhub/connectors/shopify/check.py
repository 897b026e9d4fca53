"""What a Shopify account needs (:data:`SPEC`) and its live check (:func:`check`).

The check reads the shop's name with the account's token and the access scopes the app was
granted, and names each scope the jobs need that is missing (a custom app's token carries
only the scopes ticked when it was installed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.shopify.connector import ShopifyConnector

SPEC = PlatformSpec(
    credentials=(
        field(
            "access_token", "Admin API access token of your custom app (shpat_...)", required=True
        ),
        field("api_secret", "API secret key of the app (verifies webhooks)"),
    ),
    settings=(
        field("shop", "the NAME in NAME.myshopify.com (or give --base-url)"),
        field("api_version", "Admin API version", default="2025-01"),
        field("location_id", "the location whose stock the hub sets (default: the first)"),
        field(
            "overlap_seconds",
            "how far each order window re-reads the last",
            FieldType.FLOAT,
            default=300,
        ),
        field(
            "hold_back_seconds",
            "order windows end this long before now",
            FieldType.FLOAT,
            default=60,
        ),
        field(
            "webhook_window_hours",
            "webhooks older than this are refused",
            FieldType.FLOAT,
            default=49,
        ),
        field(
            "bulk_after_days",
            "order windows at least this many days long (first import, reset-cursor --since, "
            "reconcile) are read with one bulk query (0: never, always paged)",
            FieldType.FLOAT,
            default=7,
        ),
        field(
            "bulk_page_orders",
            "orders per committed page when reading a bulk file (a run commits at most "
            "max_pages_per_run pages; the next run re-downloads the file and skips those)",
            FieldType.INT,
            default=1000,
        ),
        field(
            "bulk_max_wait_seconds",
            "how long a run waits for a bulk query before leaving it to the next run",
            FieldType.FLOAT,
            default=21600,
        ),
    ),
    base_url_or_setting="shop",
)

#: What the jobs do with the token: read orders and products, set stock, create fulfilments.
NEEDED_SCOPES = (
    "read_orders",
    "read_products",
    "write_inventory",
    "read_locations",
    "write_merchant_managed_fulfillment_orders",
)

SHOP_QUERY = """
query ChannelhubCheck {
  shop { name myshopifyDomain }
  currentAppInstallation { accessScopes { handle } }
}
"""


def missing_scopes(granted: set[str]) -> list[str]:
    """The needed scopes not granted (a write scope implies its read scope)."""
    have = granted | {"read_" + s.removeprefix("write_") for s in granted if s.startswith("write_")}
    return [scope for scope in NEEDED_SCOPES if scope not in have]


async def check(connector: ShopifyConnector, context: ConnectorContext) -> list[CheckLine]:
    """The shop it sees and whether the token carries every scope the jobs need."""
    answer = await connector._gql.call("check", {"query": SHOP_QUERY})
    data = answer.get("data") or {}
    shop = data.get("shop") or {}
    lines = [
        CheckLine(True, f"token ok: shop {shop.get('name')!r} ({shop.get('myshopifyDomain')})")
    ]
    installation = data.get("currentAppInstallation") or {}
    granted = {str(s.get("handle")) for s in installation.get("accessScopes") or []}
    missing = missing_scopes(granted)
    if missing:
        lines.append(
            CheckLine(False, "the token lacks scopes the jobs need: " + ", ".join(missing))
        )
    else:
        lines.append(CheckLine(True, "scopes ok: " + ", ".join(NEEDED_SCOPES)))
    return lines
