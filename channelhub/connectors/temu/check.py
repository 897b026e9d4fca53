"""What a Temu account needs (:data:`SPEC`) and its live check (:func:`check`).

The check calls ``bg.open.accesstoken.info.get`` with the account's signed credentials: it
proves the app key, secret and token, shows the shop (mall) the token belongs to, when the
token expires, and names each API the jobs call that the token is not authorised for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from channelhub.connectors.plugin import CheckLine, ConnectorContext
from channelhub.connectors.spec import FieldType, PlatformSpec, field
from channelhub.mappings.temu import (
    GOODS_LIST,
    ORDER_DETAIL,
    ORDER_LIST,
    ORDER_SHIPPING_INFO,
    REGION_HOSTS,
    SHIPMENT_CONFIRM,
    STOCK_EDIT,
    TOKEN_INFO,
    token_expiry,
)

if TYPE_CHECKING:
    from channelhub.connectors.temu.connector import TemuConnector

SPEC = PlatformSpec(
    credentials=(
        field("app_key", "app key of your Temu partner app", required=True),
        field("app_secret", "app secret of your Temu partner app", required=True),
        field(
            "access_token",
            "the shop's access token from Seller Center authorisation",
            required=True,
        ),
    ),
    settings=(
        field(
            "region",
            "which Temu gateway serves the shop",
            default="us",
            choices=tuple(REGION_HOSTS),
        ),
        field("currency", "the shop's currency", default="USD"),
        field(
            "carrier_ids",
            "hub carrier name -> Temu carrier id, e.g. ups:123,usps:456",
            FieldType.MAP,
        ),
    ),
)

#: The API types the jobs call with the token.
NEEDED_APIS = (
    ORDER_LIST,
    ORDER_DETAIL,
    ORDER_SHIPPING_INFO,
    GOODS_LIST,
    STOCK_EDIT,
    SHIPMENT_CONFIRM,
)


async def check(connector: TemuConnector, context: ConnectorContext) -> list[CheckLine]:
    """Token info: the mall, the expiry and the authorised API types."""
    result = await connector.call(TOKEN_INFO, {})
    info = result if isinstance(result, dict) else {}
    lines = [CheckLine(True, f"signed call ok: token of mall {info.get('mallId')}")]
    if info.get("expiredTime"):
        status = token_expiry(int(info["expiredTime"]), now=context.now())
        if context.observer is not None:
            context.observer.on_token("access", expires_at=status.expires_at)
        lines.append(CheckLine(not status.expired, status.message))
    scopes = info.get("apiScopeList")
    if isinstance(scopes, list):
        missing = [api for api in NEEDED_APIS if api not in scopes]
        if missing:
            lines.append(
                CheckLine(False, "the token lacks APIs the jobs call: " + ", ".join(missing))
            )
        else:
            lines.append(CheckLine(True, "every API the jobs call is authorised"))
    return lines
