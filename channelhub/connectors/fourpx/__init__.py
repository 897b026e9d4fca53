"""4PX 递四方 overseas warehouses (Warehouse, contract unverified). See :mod:`.connector`."""

from channelhub.connectors.fourpx.check import SPEC, check
from channelhub.connectors.fourpx.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    FourPxRejected,
    FourPxScheme,
    FourPxWarehouse,
)
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role

PLUGIN = ConnectorPlugin(
    platform="fourpx",
    roles=frozenset({Role.WAREHOUSE}),
    create=FourPxWarehouse,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description=(
        "4PX 递四方 overseas warehouses (contract unverified): outbound consignments, cancel, "
        "status and tracking, stock, fees"
    ),
    spec=SPEC,
    check=check,
)

__all__ = ["PLUGIN", "FourPxRejected", "FourPxScheme", "FourPxWarehouse"]
