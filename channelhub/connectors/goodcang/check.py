"""What a Goodcang account needs (:data:`SPEC`) and its live check (:func:`check`).

The check reads one page of inventory of the configured warehouses: a wrong app key or token,
or a warehouse code Goodcang does not know, shows there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.goodcang.connector import GoodcangWarehouse

SPEC = PlatformSpec(
    credentials=(
        field("app_key", "the app key from Goodcang's OMS (开放平台 API 授权)", required=True),
        field("app_token", "the app token issued with it", required=True),
    ),
    settings=(
        field(
            "warehouses",
            "hub warehouse code -> Goodcang warehouse_code, e.g. GC-DE:DEWH (default: same code)",
            FieldType.MAP,
        ),
        field(
            "shipping_methods",
            "the hub's service -> Goodcang shipping_method; keys WAREHOUSE/service, service, "
            "WAREHOUSE/default or default, e.g. default:DHL-PARCEL",
            FieldType.MAP,
        ),
        field("order_platform", "the create_order 'platform' value", default="OTHER"),
    ),
)


async def check(connector: GoodcangWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """One page of inventory of the configured warehouses."""
    pages = connector.get_stock_levels()
    try:
        levels = len((await anext(pages)).items)
    finally:
        await pages.aclose()  # type: ignore[attr-defined]
    codes = ", ".join(sorted(set(connector.warehouses.values()))) or "every warehouse"
    return [CheckLine(True, f"Goodcang inventory readable for {codes} ({levels} row(s))")]
