"""Walmart Marketplace connector (contracts: contracts/walmart/*.yml)."""

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.walmart.check import SPEC, check
from channelhub.connectors.walmart.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    WalmartConnector,
    create_connector,
)

PLUGIN = ConnectorPlugin(
    platform="walmart",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=create_connector,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="Walmart Marketplace: Orders, Items, Inventory, Feeds (OAuth client credentials)",
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "WalmartConnector", "create_connector"]
