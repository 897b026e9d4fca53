"""Walmart webhook notifications: what can be verified, and how.

The notifications spec (contracts/walmart/walmart-marketplace-notifications-*.yml) lets a
subscription protect its destination with ``authDetails``: ``BASIC_AUTH`` (user name and
password sent in the header ``authHeaderName``), ``OAUTH`` (Walmart fetches a token from the
seller's ``authUrl``) or ``HMAC`` (a ``clientSecret``). The spec does not say how the HMAC is
computed (algorithm, header, signed content), so it cannot be verified here; BASIC_AUTH is what
the hub checks: the header must equal ``Basic base64(user:password)``, compared in constant
time. There is no signed timestamp, so there is no replay window: deliveries are deduplicated
on the event's id (``eventId``, else the body's SHA-256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.core.errors import ConfigError


class NotificationVerifier:
    """Checks one account's webhook BASIC_AUTH header."""

    def __init__(
        self, *, username: str | None, password: SecretStr | None, header: str = "Authorization"
    ) -> None:
        self._username = username
        self._password = password
        self._header = header.lower()

    def _expected(self) -> bytes:
        if not self._username or self._password is None:
            raise ConfigError(
                "walmart: webhooks need the 'notification_username' setting and the "
                "'notification_password' credential (the subscription's BASIC_AUTH)"
            )
        pair = f"{self._username}:{self._password.get_secret_value()}".encode()
        return b"Basic " + base64.b64encode(pair)

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: datetime) -> WebhookEvent:
        expected = self._expected()
        lowered = {k.lower(): v for k, v in headers.items()}
        given = lowered.get(self._header, "").encode()
        if not hmac.compare_digest(given, expected):
            raise WebhookRejected(
                f"the {self._header} header does not carry the subscription's credentials",
                platform="walmart",
            )
        try:
            payload = json.loads(body)
        except ValueError as exc:
            raise WebhookRejected("the notification body is not JSON", platform="walmart") from exc
        if not isinstance(payload, dict):
            raise WebhookRejected("the notification body is not an object", platform="walmart")
        found = payload.get("source")
        source: dict[str, object] = found if isinstance(found, dict) else {}
        event_id = payload.get("eventId") or source.get("eventId")
        topic = payload.get("eventType") or source.get("eventType") or "unknown"
        return WebhookEvent(
            event_id=str(event_id) if event_id else hashlib.sha256(body).hexdigest(),
            topic=str(topic),
            occurred_at=None,
            payload=payload,
            raw=RawRecord(
                kind="webhook", external_id=str(event_id or ""), body=body, received_at=now
            ),
        )
