"""Webhooks in: ``POST /webhooks/{account}`` for any sales channel whose connector can verify
its platform's signature (Shopify's ``X-Shopify-Hmac-Sha256``, ...).

The connector checks the signature on the raw body (constant time) and the replay window;
a refusal is logged and answered 401 without saying more. An accepted delivery is
deduplicated on its event id (``webhook_deliveries``, ``ON CONFLICT DO NOTHING``) in the same
transaction as its effect: the raw body archived and, for order topics (``orders/...``), the
order mapped by the platform's mapping and stored with the guarded upsert. A body the mapping
refuses becomes a dead letter (200: the platform must not resend what we already keep).
Warehouse and carrier callbacks get their own routes here as those connectors land.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request

from channelhub.api.state import HubState, hub_state
from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.results import WebhookEvent
from channelhub.connectors.roles import Capability, SalesChannel
from channelhub.connectors.shopify import DuplicateWebhook
from channelhub.core.errors import ChannelhubError, InvalidInput, NotFound
from channelhub.core.models import Order
from channelhub.jobs.pulls import archive
from channelhub.mappings.catalog import normalizer
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import record_dead_letter, record_webhook_delivery
from channelhub.store.repos.orders import upsert_order

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

ORDER_TOPIC_PREFIXES = ("orders/", "orders_", "ORDER_")


def _store_event(
    state: HubState, platform: str, account: str, event: WebhookEvent
) -> dict[str, Any]:
    with state.session_factory.begin() as session:
        now = state.now()
        payload_id = archive(session, platform=platform, account=account, raw=event.raw)
        if not record_webhook_delivery(
            session,
            account=account,
            event_id=event.event_id,
            topic=event.topic,
            received_at=now,
            raw_payload_id=payload_id,
        ):
            return {"status": "duplicate", "event_id": event.event_id}
        if not event.topic.startswith(ORDER_TOPIC_PREFIXES):
            return {"status": "stored", "event_id": event.event_id}
        try:
            orders = normalizer(platform, "order")(dict(event.payload), account=account)
        except InvalidInput as exc:
            record_dead_letter(
                session,
                account=account,
                platform=platform,
                job_kind="webhook",
                subject="order",
                reason=str(exc),
                now=now,
                external_id=event.raw.external_id,
                raw_payload_id=payload_id,
                dedupe_key=f"record:{account}:webhook:{payload_id}",
            )
            return {"status": "dead_letter", "event_id": event.event_id}
        outcomes = [
            upsert_order(session, order, now=now, raw_payload_id=payload_id).outcome.value
            for order in orders
            if isinstance(order, Order)
        ]
        return {"status": "processed", "event_id": event.event_id, "orders": outcomes}


@router.post("/{account}")
async def receive_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> dict[str, Any]:
    """Verify, deduplicate and apply one webhook delivery for ``account``."""
    body = await request.body()
    try:
        with state.session_factory() as session:
            row = get_account(session, account)
    except NotFound:
        raise HTTPException(status_code=404, detail="unknown account") from None
    connector = state.connector_factory(row)
    try:
        if not isinstance(connector, SalesChannel) or (
            Capability.VERIFY_WEBHOOK not in connector.capabilities
        ):
            raise HTTPException(status_code=404, detail="this account takes no webhooks")
        try:
            event = connector.verify_webhook(request.headers, body, now=state.now())
        except DuplicateWebhook:  # the connector's own dedupe caught it: already taken in
            return {"status": "duplicate"}
        except WebhookRejected as exc:
            log.warning("webhook for %s refused: %s", account, exc)
            raise HTTPException(status_code=401, detail="webhook refused") from None
    finally:
        await connector.aclose()
    try:
        return _store_event(state, row.platform, account, event)
    except ChannelhubError as exc:  # e.g. the platform has no mapping installed
        log.warning("webhook %s for %s not applied: %s", event.event_id, account, exc)
        raise HTTPException(status_code=422, detail=str(exc)) from None
