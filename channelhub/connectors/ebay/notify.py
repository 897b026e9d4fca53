"""eBay notification verification with the public key fetched by ``kid`` and cached.

The pure checks are in ``channelhub.mappings.ebay.notifications``; this adds the key fetch
(getPublicKey, application token) and a per-connector cache, so one account's keys are never
shared through module state (the app keeps one connector per account, so the cache outlives
requests). eBay rotates keys rarely; a kid not in the cache is fetched once.

A forged notification names any ``kid`` it likes, so before anything is fetched the kid must
have the shape of a key id (:data:`KID_SHAPE`; it is URL-escaped in the path all the same), a
kid eBay did not know is remembered for :data:`NEGATIVE_TTL` seconds, and fetches of unknown
kids spend a small budget (:data:`FETCH_BUDGET` per :data:`FETCH_WINDOW` seconds, per
account): past it, an unknown kid is refused without calling eBay.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import quote

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

#: What a key id looks like (eBay's are UUIDs); anything else is refused unfetched.
KID_SHAPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: Seconds a kid eBay did not know is refused without asking again.
NEGATIVE_TTL = 600.0
#: Fetches of keys not yet cached allowed per window (per account).
FETCH_BUDGET = 5
FETCH_WINDOW = 600.0
#: At most this many keys and unknown kids are remembered.
MAX_REMEMBERED = 1_000


class NotificationVerifier:
    """Verifies one account's eBay notifications; caches public keys by kid."""

    def __init__(
        self,
        http: ConnectorHttpClient,
        *,
        verification_token: SecretStr | None,
        endpoint: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._token = verification_token
        self._endpoint = endpoint
        self._clock = clock
        self.keys: dict[str, PublicKey] = {}
        self.unknown: OrderedDict[str, float] = OrderedDict()  # kid -> refused until
        self._spent: list[float] = []  # when each budgeted fetch happened
        self._fetching = asyncio.Lock()
        self.fetches = 0

    def _allowed_fetch(self, kid: str) -> None:
        now = self._clock()
        until = self.unknown.get(kid)
        if until is not None and until > now:
            raise WebhookRejected(f"public key {kid!r} is unknown to eBay", platform="ebay")
        self._spent = [t for t in self._spent if t > now - FETCH_WINDOW]
        if len(self._spent) >= FETCH_BUDGET:
            raise WebhookRejected(
                f"public key {kid!r} is not cached and the key fetch budget is spent",
                platform="ebay",
            )
        self._spent.append(now)

    async def public_key(self, kid: str) -> PublicKey:
        if not KID_SHAPE.fullmatch(kid):
            raise WebhookRejected("the signature's kid is not a key id", platform="ebay")
        async with self._fetching:  # one fetch per kid, even for concurrent requests
            if kid in self.keys:
                return self.keys[kid]
            self._allowed_fetch(kid)
            try:
                response = await self._http.request(
                    "getPublicKey", "GET", f"{NOTIFICATION_BASE}/public_key/{quote(kid, safe='')}"
                )
                key = PublicKey.from_response(response.json())
            except ConnectorError as exc:
                if exc.retryable:  # eBay is away, not a forged kid: the sender retries
                    raise
                self._remember_unknown(kid)
                raise WebhookRejected(f"no public key for kid {kid!r}: {exc}") from exc
            except InvalidInput as exc:
                self._remember_unknown(kid)
                raise WebhookRejected(f"no public key for kid {kid!r}: {exc}") from exc
            self.fetches += 1
            if len(self.keys) >= MAX_REMEMBERED:
                self.keys.pop(next(iter(self.keys)))
            self.keys[kid] = key
            return key

    def _remember_unknown(self, kid: str) -> None:
        self.unknown[kid] = self._clock() + NEGATIVE_TTL
        self.unknown.move_to_end(kid)
        while len(self.unknown) > MAX_REMEMBERED:
            self.unknown.popitem(last=False)

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
