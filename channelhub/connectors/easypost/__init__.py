"""EasyPost Carrier connector: trackers and their webhooks (contracts/carriers/easypost).

Account configuration: credential ``api_key`` (HTTP Basic user name, empty password) and,
for webhooks, ``webhook_secret``. ``track`` creates (or finds: EasyPost answers an existing
tracker for a known code) a tracker and maps its details. Webhooks are verified with the
``X-Hmac-Signature: hmac-sha256-hex=…`` HMAC in constant time; EasyPost signs no timestamp,
so the replay window is checked on the Event's ``created_at`` and duplicates are the caller's
to drop by ``event_id``. Rates and labels are not implemented yet.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from datetime import datetime, timedelta

from pydantic import SecretStr

from channelhub.connectors.easypost.check import SPEC, check
from channelhub.connectors.errors import CapabilityMissing, WebhookRejected
from channelhub.connectors.http.auth import HeaderTokenAuth
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
    WebhookEvent,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.connectors.webhooks import check_replay_window, verify_hmac_sha256
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import TrackingEvent
from channelhub.mappings import easypost

PLATFORM = "easypost"
DEFAULT_BASE_URL = "https://api.easypost.com"
CAPABILITIES = frozenset({Capability.TRACK, Capability.VERIFY_WEBHOOK})
DEFAULT_LIMIT = RateLimit(rate=5, burst=10)


class EasyPostCarrier:
    """One EasyPost account as a Carrier (tracking) with verified webhooks."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        self.account = context.account
        self._context = context
        key = context.credential("api_key").get_secret_value()
        basic = base64.b64encode(f"{key}:".encode()).decode()
        self._http = http_client_for(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits={},
            default_limit=DEFAULT_LIMIT,
            auth=HeaderTokenAuth("Authorization", SecretStr(basic), prefix="Basic "),
        )

    def __repr__(self) -> str:
        return f"EasyPostCarrier(account={self.account!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def track(self, tracking_number: str, carrier: str | None = None) -> list[TrackingEvent]:
        """Create-or-find the tracker for the number and return its events."""
        if not tracking_number.strip():  # a path or a tracker for nothing: never sent
            raise InvalidInput.field("tracking_number", tracking_number, "is empty")
        response = await self._http.request(
            "create_tracker",
            "POST",
            "/v2/trackers",
            json=easypost.tracker_create_body(tracking_number, carrier),
            idempotent=True,  # EasyPost returns the existing tracker for a known code
        )
        return scan_by_scan(response.json(), received_at=self._context.now())

    def verify_webhook(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        window: timedelta = timedelta(minutes=5),
    ) -> WebhookEvent:
        """Check the HMAC and the Event's age; return the event (tracking via the mapping)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        verify_hmac_sha256(
            self._context.credential("webhook_secret"),
            body,
            lowered.get(easypost.SIGNATURE_HEADER.lower()),
            encoding="hex",
            prefix=easypost.SIGNATURE_PREFIX,
            platform=PLATFORM,
        )
        try:
            payload = json.loads(body)
            event_id = str(payload["id"])
            sent_at = datetime.fromisoformat(str(payload["created_at"]).replace("Z", "+00:00"))
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected(
                "the webhook is not an EasyPost Event", platform=PLATFORM
            ) from None
        check_replay_window(sent_at, now, window=window, platform=PLATFORM)
        return WebhookEvent(
            event_id=event_id,
            topic=str(payload.get("description")),
            occurred_at=sent_at,
            payload=payload,
            raw=RawRecord("webhook", event_id, body, now),
        )

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        raise CapabilityMissing("EasyPost rating is not implemented in channelhub yet")

    async def create_label(self, request: LabelRequest) -> Label:
        raise CapabilityMissing("EasyPost labels are not implemented in channelhub yet")


def scan_by_scan(payload: object, *, received_at: datetime) -> Tracked:
    """Every ``tracking_details`` entry of a Tracker mapped on its own: one the mapping
    cannot read is set aside (the tracker with that one entry is the body kept, which
    :func:`channelhub.mappings.easypost.normalize_tracking` reads again on replay)."""
    details = payload.get("tracking_details") if isinstance(payload, dict) else None
    if not isinstance(payload, dict) or payload.get("object") != "Tracker":
        return Tracked(easypost.normalize_tracking(payload))  # not a Tracker: as before
    scans: PageRecords[TrackingEvent] = PageRecords()
    number = payload.get("tracking_code")
    for detail in details if isinstance(details, list) else [details]:
        one = {**payload, "tracking_details": [detail]}
        raw = RawRecord(
            "tracking",
            number if isinstance(number, str) else None,
            json.dumps(one, separators=(",", ":"), default=str).encode(),
            received_at,
        )
        scans.take(raw, easypost.tracker_events, one)
    return Tracked(scans.items, scans.failures)


PLUGIN = ConnectorPlugin(
    platform=PLATFORM,
    roles=frozenset({Role.CARRIER}),
    create=EasyPostCarrier,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="EasyPost: trackers and signed tracker webhooks",
    spec=SPEC,
    check=check,
)
