"""Webhooks in: ``POST /webhooks/{account}`` for any sales channel whose connector can verify
its platform's signature (Shopify's ``X-Shopify-Hmac-Sha256``, ...).

Fast intake: the gate (:mod:`channelhub.api.inbound`) bounds the body and the source's
refusals; the account's shared connector checks the signature on the raw body (constant time)
and the replay window; nothing is stored before that (a refusal keeps bounded evidence only).
An accepted delivery is stored by the group-commit writer (:mod:`channelhub.api.writer`): its
raw body archived and its row in ``webhook_deliveries`` (``ON CONFLICT DO NOTHING`` on the
platform's event identity: a redelivery or a replay of the same event is "duplicate"), left
pending. The answer is 200 once that is committed; :mod:`channelhub.jobs.orders.webhook_intake`
maps and takes the orders in right after (the writer wakes the in-process worker), and sets
a record it cannot take aside as a dead letter with its raw body: a delivery is never
answered 500 for its content.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy.exc import SQLAlchemyError

from channelhub.api.state import HubState, hub_state
from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.roles import Capability, SalesChannel
from channelhub.connectors.shopify import DuplicateWebhook

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", tags=["webhooks"])
ROUTE = "webhook"


@router.post("/{account}")
async def receive_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> dict[str, Any]:
    """Verify and store one webhook delivery for ``account``; it is applied right after."""
    admitted = await state.gate.admit(request, account, route=ROUTE)
    connector = admitted.connector
    if not isinstance(connector, SalesChannel) or (
        Capability.VERIFY_WEBHOOK not in connector.capabilities
    ):
        raise HTTPException(status_code=404, detail="this account takes no webhooks")
    try:
        event = connector.verify_webhook(request.headers, admitted.body, now=state.now())
    except DuplicateWebhook:  # the connector's own dedupe caught it: already taken in
        return {"status": "duplicate"}
    except WebhookRejected as exc:
        raise await state.gate.refuse(admitted, request, ROUTE, str(exc)) from None
    try:
        fresh = await state.writer.store(admitted.row.platform, account, event)
    except SQLAlchemyError:  # the database is away: the platform retries the delivery
        raise HTTPException(status_code=503, detail="not stored, retry later") from None
    return {"status": "accepted" if fresh else "duplicate", "event_id": event.event_id}
