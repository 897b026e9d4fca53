"""Goodcang 谷仓 overseas warehouses (Warehouse, contract unverified). See :mod:`.connector`."""

from channelhub.connectors.goodcang.auth import GoodcangAuth, auth_headers
from channelhub.connectors.goodcang.check import SPEC, check
from channelhub.connectors.goodcang.connector import (
    CAPABILITIES,
    DEFAULT_BASE_URL,
    GoodcangError,
    GoodcangRefused,
    GoodcangWarehouse,
)
from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role

PLUGIN = ConnectorPlugin(
    platform="goodcang",
    roles=frozenset({Role.WAREHOUSE}),
    create=GoodcangWarehouse,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description=(
        "Goodcang 谷仓 overseas warehouses (contract unverified): outbound orders by reference "
        "number, cancel/intercept, status, tracking, fees, inventory"
    ),
    spec=SPEC,
    check=check,
)

__all__ = [
    "PLUGIN",
    "GoodcangAuth",
    "GoodcangError",
    "GoodcangRefused",
    "GoodcangWarehouse",
    "auth_headers",
]
