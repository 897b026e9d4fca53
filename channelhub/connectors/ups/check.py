"""What a UPS account needs (:data:`SPEC`) and its live check (:func:`check`).

The check asks for an OAuth token with the client credentials (client-credentials grant):
a wrong id or secret is refused there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.ups import UpsCarrier

SPEC = PlatformSpec(
    credentials=(
        field("client_id", "client id of your app on developer.ups.com", required=True),
        field("client_secret", "client secret of that app", required=True),
    ),
    settings=(
        field("merchant_id", "your 6-character UPS account number (sent on the token call)"),
    ),
)


async def check(connector: UpsCarrier, context: ConnectorContext) -> list[CheckLine]:
    """An OAuth token for the client credentials."""
    await connector.token.get()
    return [CheckLine(True, "OAuth token ok (client credentials)")]
