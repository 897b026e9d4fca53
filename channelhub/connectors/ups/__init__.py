"""UPS Carrier connector: OAuth client credentials + Track API (contracts/carriers/ups).

Account configuration: credentials ``client_id`` and ``client_secret``; optional setting
``merchant_id`` (the 6-digit account number, sent as ``x-merchant-id`` on the token call).
The access token lives in this connector instance (never a module cache) and is refreshed
from ``expires_in`` (a string in UPS's answer) before it runs out, or once after a 401.
Quotes and labels (Shipping.yaml) are not implemented yet: only ``track``.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime

from channelhub.connectors.errors import CapabilityMissing
from channelhub.connectors.http.auth import HeaderTokenAuth, RefreshingToken, TokenGrant
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin, http_client_for
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import (
    Label,
    LabelRequest,
    RateQuote,
    RateRequest,
    RawRecord,
    Tracked,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.connectors.ups.check import SPEC, check
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent
from channelhub.mappings import ups

PLATFORM = "ups"
DEFAULT_BASE_URL = "https://onlinetools.ups.com"
CAPABILITIES = frozenset({Capability.TRACK})
DEFAULT_LIMIT = RateLimit(rate=5, burst=10)  # UPS publishes no plan in the spec; be polite


class UpsCarrier:
    """One UPS developer app (client credentials) as a Carrier."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        self.account = context.account
        self._context = context
        client_id = context.credential("client_id").get_secret_value()
        secret = context.credential("client_secret").get_secret_value()
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        token_headers = {"Authorization": f"Basic {basic}"}
        merchant = context.settings.get("merchant_id")
        if merchant:
            token_headers["x-merchant-id"] = str(merchant)
        self._token_http = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits={}, default_limit=DEFAULT_LIMIT
        )

        async def fetch() -> TokenGrant:
            response = await self._token_http.request(
                "oauth_token",
                "POST",
                "/security/v1/oauth/token",
                content=b"grant_type=client_credentials",
                headers={**token_headers, "Content-Type": "application/x-www-form-urlencoded"},
                idempotent=True,
            )
            return TokenGrant.from_oauth_response(response.json())

        self.token = RefreshingToken(
            fetch,
            clock=context.clock,
            redactor=context.redactor,
            observer=context.observer,
            shared=context.token_slot(
                f"oauth {merchant or ''}",
                context.credential("client_id"),
                context.credential("client_secret"),
            ),
        )
        self._http = http_client_for(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits={},
            default_limit=DEFAULT_LIMIT,
            auth=HeaderTokenAuth("Authorization", self.token, prefix="Bearer "),
        )

    def __repr__(self) -> str:
        return f"UpsCarrier(account={self.account!r})"

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._token_http.aclose()

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Every scan UPS has for the number (404 "not found yet" -> no events)."""
        if not tracking_number.strip():  # a path or a tracker for nothing: never sent
            raise InvalidInput.field("tracking_number", tracking_number, "is empty")
        response = await self._http.request(
            "track",
            "GET",
            f"/api/track/v1/details/{tracking_number}",
            params={"locale": "en_US", "returnSignature": "false"},
            headers={
                # "An identifier unique to the request" (Tracking.yaml): unique across
                # processes and connector instances, not a counter that restarts with each
                "transId": uuid.uuid4().hex,
                "transactionSrc": "channelhub",
            },
            expected={200, 404},
        )
        if response.status == 404:
            return Tracked()
        return scan_by_scan(response.json(), received_at=self._context.now())

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        raise CapabilityMissing("UPS rating is not implemented in channelhub yet")

    async def create_label(self, request: LabelRequest) -> Label:
        raise CapabilityMissing("UPS labels are not implemented in channelhub yet")


def scan_by_scan(payload: object, *, received_at: datetime) -> Tracked:
    """Every activity of a UPS ``trackResponse`` mapped on its own: one the mapping cannot
    read is set aside (its package with that one activity is the body kept, which
    :func:`channelhub.mappings.ups.normalize_tracking` reads again on replay)."""
    response = payload.get("trackResponse") if isinstance(payload, dict) else None
    shipments = response.get("shipment") if isinstance(response, dict) else None
    if not isinstance(shipments, list):
        return Tracked(ups.normalize_tracking(payload))  # not a trackResponse: as before
    scans: PageRecords[TrackingEvent] = PageRecords()
    for shipment in shipments:
        packages = shipment.get("package") if isinstance(shipment, dict) else None
        for package in packages if isinstance(packages, list) else []:
            activities = package.get("activity") if isinstance(package, dict) else None
            if not isinstance(activities, list):
                activities = [activities]
            for activity in activities:
                one = {**package, "activity": [activity]}
                number = package.get("trackingNumber")
                raw = RawRecord(
                    "tracking",
                    number if isinstance(number, str) else None,
                    json.dumps(one, separators=(",", ":"), default=str).encode(),
                    received_at,
                )
                scans.take(raw, ups.package_events, one)
    return Tracked(scans.items, scans.failures)


PLUGIN = ConnectorPlugin(
    platform=PLATFORM,
    roles=frozenset({Role.CARRIER}),
    create=UpsCarrier,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="UPS: OAuth client credentials, Track API",
    spec=SPEC,
    check=check,
)
