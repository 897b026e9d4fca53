"""Wish connector (CONTRACT UNVERIFIED: field names from a third-party SDK, contracts/wish/)."""

from channelhub.connectors.plugin import CheckLine, ConnectorContext, ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.spec import PlatformSpec, field
from channelhub.connectors.wish.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    WishConnector,
    create_connector,
)

SPEC = PlatformSpec(
    credentials=(
        field("client_id", "client id of your Wish app", required=True),
        field("client_secret", "client secret of your Wish app", required=True),
        field("refresh_token", "the merchant's refresh token from the app's OAuth", required=True),
    ),
    settings=(
        field("warehouse_id", "the Wish warehouse id stock is pushed to", required=True),
        field("origin_country", "country code parcels ship from (ShipOrder)", default="CN"),
    ),
)


async def check(connector: WishConnector, context: ConnectorContext) -> list[CheckLine]:
    """A token from the refresh token, then one orders read and one products read."""
    await connector.token.get()
    lines = [CheckLine(True, "access token ok (refresh token)")]
    lines.append(
        CheckLine(
            True, f"orders readable ({await connector.probe_orders()} updated in the last day)"
        )
    )
    await connector.probe_products()
    lines.append(CheckLine(True, "products readable"))
    return lines


PLUGIN = ConnectorPlugin(
    platform="wish",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=create_connector,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="Wish Merchant API v3 (contract unverified): orders, tracking, variation stock",
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "SPEC", "WishConnector", "create_connector"]
