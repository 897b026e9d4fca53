"""Shopify webhook intake: signature, replay window, dedupe on ``X-Shopify-Webhook-Id``, and
the event's identity (:func:`event_identity`) as the delivery's event id for the store.

Order matters: the HMAC is checked first (a forged delivery must not burn a genuine id in the
dedupe store), then the replay window on ``X-Shopify-Triggered-At`` (Shopify retries a
delivery for 48 hours, so the window is a little longer), then the dedupe store records the
id in one step and says whether it had it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.connectors.shopify.dedupe import StoreDedupe, WebhookDedupe
from channelhub.connectors.webhooks import check_replay_window, verify_hmac_sha256
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Order
from channelhub.mappings import shopify as m

#: The id of the event a delivery carries (one event may be delivered under several webhook ids).
EVENT_ID_HEADER = "x-shopify-event-id"


class DuplicateWebhook(WebhookRejected):
    """A delivery whose ``X-Shopify-Webhook-Id`` was already processed: answer 200, skip it."""


class WebhookIntake:
    """The webhook half of the Shopify connector (mixed into :class:`ShopifyConnector`)."""

    account: str
    _context: ConnectorContext
    _dedupe: WebhookDedupe
    _webhook_window: timedelta

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Signature (constant time) -> replay window -> dedupe on the webhook id.

        Raises WebhookRejected for a forged, malformed or stale delivery and
        :class:`DuplicateWebhook` for one already processed (answer it 200 and skip it).
        """
        lower = {k.lower(): v for k, v in headers.items()}
        verify_hmac_sha256(
            self._context.credential("api_secret"),
            body,
            lower.get(m.webhooks.HMAC_HEADER.lower()),
            platform="shopify",
        )
        webhook_id = lower.get(m.webhooks.WEBHOOK_ID_HEADER.lower())
        if not webhook_id:
            raise WebhookRejected("the webhook has no X-Shopify-Webhook-Id", platform="shopify")
        triggered = lower.get(m.webhooks.TRIGGERED_AT_HEADER.lower())
        occurred_at = None
        if triggered:
            try:
                occurred_at = datetime.fromisoformat(triggered.replace("Z", "+00:00"))
            except ValueError:
                raise WebhookRejected(
                    "X-Shopify-Triggered-At is not a time", platform="shopify"
                ) from None
            if occurred_at.tzinfo is None:
                occurred_at = occurred_at.replace(tzinfo=UTC)
            check_replay_window(occurred_at, now, window=self._webhook_window, platform="shopify")
        try:
            payload = m.load_webhook_json(body)
        except InvalidInput:
            raise WebhookRejected("the webhook body is not JSON", platform="shopify") from None
        if not isinstance(payload, dict):
            raise WebhookRejected("the webhook body is not a JSON object", platform="shopify")
        if self._dedupe.seen(webhook_id):
            raise DuplicateWebhook(
                f"webhook {webhook_id} was already processed", platform="shopify"
            )
        topic = lower.get(m.webhooks.TOPIC_HEADER.lower(), "")
        external_id = str(payload["id"]) if isinstance(payload.get("id"), int | str) else None
        raw = RawRecord("webhook", external_id, body, now)
        identity = event_identity(lower, topic, payload) or webhook_id
        return WebhookEvent(identity, topic, occurred_at, payload, raw)

    def use_store_dedupe(self) -> None:
        """The caller dedupes in its store, on the event identity (see :class:`StoreDedupe`)."""
        self._dedupe = StoreDedupe()

    def order_from_webhook(self, event: WebhookEvent) -> Order:
        """The canonical order of an ``orders/create|updated|cancelled`` delivery."""
        if event.topic not in m.webhooks.ORDER_TOPICS:
            raise InvalidInput.field("topic", event.topic, "is not an order topic")
        (order,) = m.normalize_orders(dict(event.payload), account=self.account)
        return order


def event_identity(lower: Mapping[str, str], topic: str, payload: Mapping[str, object]) -> str:
    """What one platform event is, whatever delivery carries it: Shopify's
    ``X-Shopify-Event-Id`` (the same for every delivery of one event, unlike the webhook id),
    else the topic, the resource id and its ``updated_at``; empty when neither is known.
    A replay of an event under a new webhook id is then a duplicate in the store."""
    event = lower.get(EVENT_ID_HEADER, "").strip()
    if event:
        return f"event:{event[:200]}"
    resource, updated = payload.get("id"), payload.get("updated_at")
    if isinstance(resource, int | str) and isinstance(updated, str) and topic:
        return f"{topic[:60]}:{str(resource)[:40]}:{updated[:40]}"
    return ""
