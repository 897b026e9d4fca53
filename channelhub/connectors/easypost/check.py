"""What an EasyPost account needs (:data:`SPEC`) and its live check (:func:`check`).

The check lists one tracker with the API key: read-only, and refused with 401 for a wrong key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import PlatformSpec, field

if TYPE_CHECKING:
    from channelhub.connectors.easypost import EasyPostCarrier

SPEC = PlatformSpec(
    credentials=(
        field("api_key", "EasyPost API key (production or test)", required=True),
        field("webhook_secret", "the secret EasyPost signs webhooks with"),
    ),
)


async def check(connector: EasyPostCarrier, context: ConnectorContext) -> list[CheckLine]:
    """An authenticated tracker list."""
    await connector._http.request("list_trackers", "GET", "/v2/trackers", params={"page_size": "1"})
    return [CheckLine(True, "API key ok: trackers readable")]
