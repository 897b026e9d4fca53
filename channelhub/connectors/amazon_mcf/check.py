"""What an Amazon MCF / FBA account needs (:data:`SPEC`) and its live check (:func:`check`).

The account takes the same three LWA credentials as the seller's ``amazon`` account (the same
SP-API app and refresh token may serve both: Amazon hands out any number of access tokens for
one refresh token). The check gets a token and reads one page of FBA inventory in the
configured marketplace: a wrong secret, a marketplace the seller has no FBA stock in, or an app
without the fulfilment role each show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field
from channelhub.mappings.amazon_mcf.requests import POLICIES, SPEEDS

if TYPE_CHECKING:
    from channelhub.connectors.amazon_mcf.connector import AmazonMcfWarehouse

SPEC = PlatformSpec(
    credentials=(
        field(
            "client_id",
            "LWA client id of your SP-API app (the same as your amazon account's)",
            required=True,
        ),
        field("client_secret", "LWA client secret of your SP-API app", required=True),
        field(
            "refresh_token",
            "LWA refresh token (the amazon account's works when the app has the fulfilment role)",
            required=True,
        ),
    ),
    settings=(
        field(
            "marketplace_id",
            "the marketplace of the FBA stock and MCF orders (e.g. ATVPDKIKX0DER for US)",
            required=True,
        ),
        field("warehouse", "the hub's warehouse code of this FBA stock (default: account name)"),
        field(
            "lwa_url",
            "LWA token URL (default: Amazon's for Amazon hosts, else BASE_URL/auth/o2/token)",
            FieldType.URL,
        ),
        field(
            "shipping_speed",
            "MCF shipping speed when the order names none",
            choices=SPEEDS,
            default="Standard",
        ),
        field(
            "fulfillment_policy",
            "what Amazon does when a line cannot be filled",
            choices=POLICIES,
            default="FillOrKill",
        ),
        field("packing_slip_comment", "text on the packing slip when the order has no remarks"),
        field(
            "allocation_preview",
            "ask getFulfillmentPreview for each order and let its fees and arrival weigh in "
            "allocation (cheapest / fastest)",
            FieldType.BOOL,
            default=False,
        ),
        field(
            "allocation_preview_budget",
            "previews one order import run may ask (0-30; the rest go by the cost table)",
            FieldType.INT,
            default=20,
        ),
        field(
            "stock_overlap_seconds",
            "how far each changed-since inventory read re-reads the last",
            FieldType.FLOAT,
            default=300,
        ),
    ),
)


async def check(connector: AmazonMcfWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """LWA token, then one page of FBA inventory in the configured marketplace."""
    await connector.token.get()
    lines = [CheckLine(True, f"LWA token ok ({connector.lwa_url})")]
    pages = connector.get_stock_levels()
    try:
        levels = len((await anext(pages)).items)
    finally:
        await pages.aclose()  # type: ignore[attr-defined]
    lines.append(
        CheckLine(
            True,
            f"FBA inventory readable in marketplace {connector.marketplace_id} "
            f"({levels} SKU(s) on the first page)",
        )
    )
    return lines
