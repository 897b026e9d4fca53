"""Amazon Multi-Channel Fulfillment + FBA inventory (Warehouse). See :mod:`.connector`."""

from channelhub.connectors.amazon_mcf.check import SPEC, check
from channelhub.connectors.amazon_mcf.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    AmazonMcfWarehouse,
    McfRejected,
)
from channelhub.connectors.amazon_mcf.limits import USAGE_PLANS
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role

PLUGIN = ConnectorPlugin(
    platform="amazon_mcf",
    roles=frozenset({Role.WAREHOUSE}),
    create=AmazonMcfWarehouse,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description=(
        "Amazon MCF (fulfillmentOutbound 2020-07-01): orders, cancel, hold/release, shipments "
        "with tracking; FBA inventory (getInventorySummaries) as the warehouse's stock"
    ),
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "USAGE_PLANS", "AmazonMcfWarehouse", "McfRejected"]
