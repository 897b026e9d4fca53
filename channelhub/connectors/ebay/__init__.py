"""eBay Sell APIs connector (contracts: contracts/ebay/*_oas3.json)."""

from channelhub.connectors.ebay.check import SPEC, check
from channelhub.connectors.ebay.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    EbayConnector,
    create_connector,
)
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role

PLUGIN = ConnectorPlugin(
    platform="ebay",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=create_connector,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="eBay Sell APIs: Fulfillment, Inventory, Notification (OAuth refresh token)",
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "EbayConnector", "create_connector"]
