"""Temu partner Open API connector. Contract unverified: see contracts/temu/."""

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.temu.check import SPEC, check
from channelhub.connectors.temu.connector import CAPABILITIES, TemuConnector, create_connector

PLUGIN = ConnectorPlugin(
    platform="temu",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=create_connector,
    capabilities=CAPABILITIES,
    default_base_url="https://openapi-b-us.temu.com",
    description="Temu partner Open API (contract unverified: third-party docs transcript)",
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "TemuConnector", "create_connector"]
