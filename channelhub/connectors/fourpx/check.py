"""What a 4PX account needs (:data:`SPEC`) and its live check (:func:`check`).

Credentials as FopClient names them: ``app_key`` and ``app_secret`` (signs every call). The
check reads one inventory page of the first mapped warehouse: a wrong secret or an unknown
warehouse code shows there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.fourpx.connector import FourPxWarehouse

SPEC = PlatformSpec(
    credentials=(
        field("app_key", "your FOP app key", required=True),
        field("app_secret", "your FOP app secret (signs every call)", required=True),
    ),
    settings=(
        field(
            "warehouse_codes",
            "hub warehouse -> 4PX warehouse code (e.g. 4PX-US:USLAXA)",
            FieldType.MAP,
            required=True,
        ),
        field(
            "shipping_methods",
            "hub shipping service -> 4PX logistics product code (e.g. standard:F3)",
            FieldType.MAP,
        ),
        field("default_shipping_method", "logistics product code when the service is not mapped"),
    ),
)


async def check(connector: FourPxWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """One signed inventory read."""
    lines = []
    pages = connector.get_stock_levels()
    try:
        async for page in pages:
            lines.append(CheckLine(True, f"signed call ok: {len(page.items)} SKU(s) read"))
            break
    finally:
        await pages.aclose()  # type: ignore[attr-defined]
    return lines
