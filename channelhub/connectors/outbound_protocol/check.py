"""What an outbound-protocol warehouse account needs (:data:`SPEC`) and its live check.

The protocol has no "who am I" call, so the check reads the status of an order key that
cannot exist: a signed ``GET /outbound-orders/{key}`` answered 404 (or 200) proves the URL
and the signing secret; a wrong secret is refused with 401.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.outbound_protocol import OutboundProtocolWarehouse

SPEC = PlatformSpec(
    credentials=(field("secret", "the signing secret shared with the warehouse", required=True),),
    settings=(
        field("warehouse", "the hub's warehouse code this account serves (default: its name)"),
    ),
    base_url_required=True,
    base_url_help="the warehouse's outbound-protocol endpoint",
)

PROBE_KEY = "channelhub-account-check"


async def check(connector: OutboundProtocolWarehouse, context: ConnectorContext) -> list[CheckLine]:
    """One signed read the warehouse must authenticate."""
    await connector._http.request(
        "get_outbound", "GET", f"/outbound-orders/{PROBE_KEY}", expected={200, 404}
    )
    return [CheckLine(True, f"signed read ok: {context.base_url} accepts the secret")]
