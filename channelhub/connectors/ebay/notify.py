"""eBay notification verification with the public key fetched by ``kid`` and cached.

The pure checks are in ``channelhub.mappings.ebay.notifications``; this adds the key fetch
(getPublicKey, application token) and a per-connector cache, so one account's keys are never
shared through module state. eBay rotates keys rarely; a kid not in the cache is fetched once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr

from channelhub.connectors.errors import ConnectorError, WebhookRejected
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.mappings.ebay import (
    NOTIFICATION_BASE,
    PublicKey,
    SignatureHeader,
    challenge_response,
    is_fresh,
    parse_signature_header,
    verify_signature,
)


class NotificationVerifier:
    """Verifies one account's eBay notifications; caches public keys by kid."""

    def __init__(
        self,
        http: ConnectorHttpClient,
        *,
        verification_token: SecretStr | None,
        endpoint: str | None,
    ) -> None:
        self._http = http
        self._token = verification_token
        self._endpoint = endpoint
        self.keys: dict[str, PublicKey] = {}
        self.fetches = 0

    async def public_key(self, kid: str) -> PublicKey:
        if kid not in self.keys:
            try:
                response = await self._http.request(
                    "getPublicKey", "GET", f"{NOTIFICATION_BASE}/public_key/{kid}"
                )
                self.keys[kid] = PublicKey.from_response(response.json())
            except (ConnectorError, InvalidInput) as exc:
                raise WebhookRejected(f"no public key for kid {kid!r}: {exc}") from exc
            self.fetches += 1
        return self.keys[kid]

    def _check(
        self, headers: Mapping[str, str], body: bytes, key: PublicKey | None, now: datetime
    ) -> WebhookEvent:
        header = self._header(headers)
        if key is None:
            raise WebhookRejected(f"public key {header.kid!r} is not cached yet", platform="ebay")
        if not verify_signature(body, header, key):
            raise WebhookRejected("X-EBAY-SIGNATURE does not match the body", platform="ebay")
        if not is_fresh(body, now=now):
            raise WebhookRejected("the notification is outside the replay window", platform="ebay")
        payload = json.loads(body)
        notification = payload.get("notification") or {}
        topic = (payload.get("metadata") or {}).get("topic") or "unknown"
        event_id = str(notification.get("notificationId") or hashlib.sha256(body).hexdigest())
        occurred = notification.get("eventDate")
        return WebhookEvent(
            event_id=event_id,
            topic=str(topic),
            occurred_at=datetime.fromisoformat(occurred.replace("Z", "+00:00"))
            if occurred
            else None,
            payload=payload,
            raw=RawRecord(kind="webhook", external_id=event_id, body=body, received_at=now),
        )

    @staticmethod
    def _header(headers: Mapping[str, str]) -> SignatureHeader:
        lowered = {k.lower(): v for k, v in headers.items()}
        value = lowered.get("x-ebay-signature")
        if not value:
            raise WebhookRejected("no X-EBAY-SIGNATURE header", platform="ebay")
        try:
            return parse_signature_header(value)
        except InvalidInput as exc:
            raise WebhookRejected(str(exc), platform="ebay") from exc

    async def verify(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        header = self._header(headers)
        key = await self.public_key(header.kid)
        return self._check(headers, body, key, now)

    def verify_cached(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        header = self._header(headers)
        return self._check(headers, body, self.keys.get(header.kid), now)

    def challenge(self, challenge_code: str) -> str:
        if self._token is None or not self._endpoint:
            raise ConfigError(
                "ebay: the account-deletion challenge needs the 'verification_token' credential "
                "and the 'notification_endpoint' setting"
            )
        return challenge_response(challenge_code, self._token.get_secret_value(), self._endpoint)
