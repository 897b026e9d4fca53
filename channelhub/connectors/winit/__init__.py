"""WINIT 万邑通 overseas warehouses (Warehouse, contract unverified). See :mod:`.connector`."""

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.winit.check import SPEC, check
from channelhub.connectors.winit.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    WinitRejected,
    WinitScheme,
    WinitWarehouse,
)

PLUGIN = ConnectorPlugin(
    platform="winit",
    roles=frozenset({Role.WAREHOUSE}),
    create=WinitWarehouse,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description=(
        "WINIT 万邑通 overseas warehouses (contract unverified): outbound orders, void, "
        "status and tracking, stock, fees"
    ),
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "WinitRejected", "WinitScheme", "WinitWarehouse"]
