"""What a ShipBob account needs (:data:`SPEC`) and its live check (:func:`check`).

The check lists the channels the PAT sees (``GET /channel``): it proves the token, and that
the configured ``channel_id`` is one of them with the scopes the jobs need (create and read
orders, read inventory).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.shipbob import ShipBobWarehouse

SPEC = PlatformSpec(
    credentials=(
        field("pat", "Personal Access Token from ShipBob's Integrations page", required=True),
        field("webhook_secret", "the secret ShipBob signs webhooks with"),
    ),
    settings=(
        field(
            "channel_id",
            "the ShipBob channel orders are created in (`accounts check` lists them)",
            required=True,
        ),
        field("warehouse", "the hub's warehouse code this account serves (default: its name)"),
    ),
)

NEEDED_SCOPES = ("orders_read", "orders_write", "inventory_read")
PREFIX = "/2026-01"


async def check(connector: ShipBobWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """The PAT's channels; the configured one must be there with the needed scopes."""
    response = await connector._http.request(
        "get_channels", "GET", f"{PREFIX}/channel", params={"RecordsPerPage": "250"}
    )
    body = response.json()
    items: list[dict[str, Any]] = [
        c
        for c in (body.get("items") if isinstance(body, dict) else body) or []
        if isinstance(c, dict)
    ]
    seen = ", ".join(f"{c.get('id')} ({c.get('name')})" for c in items) or "none"
    lines = [CheckLine(True, f"token ok: channels {seen}")]
    mine = next((c for c in items if str(c.get("id")) == connector.channel_id), None)
    if mine is None:
        lines.append(
            CheckLine(False, f"channel_id {connector.channel_id} is not one of the PAT's channels")
        )
        return lines
    missing = [s for s in NEEDED_SCOPES if s not in (mine.get("scopes") or [])]
    if missing:
        lines.append(
            CheckLine(False, f"channel {connector.channel_id} lacks scopes: " + ", ".join(missing))
        )
    else:
        lines.append(
            CheckLine(
                True, f"channel {connector.channel_id} scopes ok: " + ", ".join(NEEDED_SCOPES)
            )
        )
    return lines
