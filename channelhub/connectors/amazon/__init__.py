"""Amazon Selling Partner API connector (SalesChannel). See :mod:`.connector`."""

from channelhub.connectors.amazon.check import SPEC, check
from channelhub.connectors.amazon.connector import CAPABILITIES, DEFAULT_BASE_URL, AmazonConnector
from channelhub.connectors.amazon.limits import USAGE_PLANS
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role

PLUGIN = ConnectorPlugin(
    platform="amazon",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=AmazonConnector,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="Amazon SP-API: orders 2026-01-01, listings 2021-08-01, feeds, confirmShipment",
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "USAGE_PLANS", "AmazonConnector"]
