"""What a WINIT account needs (:data:`SPEC`) and its live check (:func:`check`).

Credentials as the SDK's WinitConfig names them: ``app_key`` (the 万邑联 login), ``token``
(signs ``sign``), ``client_id`` and ``client_secret`` (the app; signs ``client_sign``) and
``platform`` (the app code). The check reads one inventory page of each mapped warehouse: a
wrong signature or an unknown warehouse id shows there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.winit.connector import WinitWarehouse

SPEC = PlatformSpec(
    credentials=(
        field("app_key", "your 万邑联 account (app_key)", required=True),
        field("token", "the account's token (signs 'sign')", required=True),
        field("client_id", "your app's client_id", required=True),
        field("client_secret", "your app's client_secret (signs 'client_sign')", required=True),
        field("platform", "your app's code (platform)", required=True),
    ),
    settings=(
        field(
            "warehouse_codes",
            "hub warehouse -> WINIT warehouseID (e.g. WINIT-US:1000008)",
            FieldType.MAP,
            required=True,
        ),
        field(
            "shipping_methods",
            "hub shipping service -> WINIT deliveryWayID (e.g. standard:1000001)",
            FieldType.MAP,
        ),
        field("default_shipping_method", "deliveryWayID when the order's service is not mapped"),
    ),
)


async def check(connector: WinitWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """One signed inventory read per mapped warehouse."""
    lines = []
    pages = connector.get_stock_levels()
    try:
        async for page in pages:
            lines.append(CheckLine(True, f"signed call ok: {len(page.items)} SKU(s) read"))
            break
    finally:
        await pages.aclose()  # type: ignore[attr-defined]
    return lines
