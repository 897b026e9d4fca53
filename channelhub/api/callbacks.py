"""Warehouse and carrier callbacks in, plus the published outbound protocol document.

- ``POST /callbacks/warehouse/{account}``: the channelhub outbound protocol
  (``X-Channelhub-Signature``; a signature seen before inside the window is a replay).
- ``POST /webhooks/shipbob/{account}``: ShipBob order webhooks (:mod:`channelhub.connectors.
  shipbob.webhooks`).
- ``POST /webhooks/easypost/{account}``: EasyPost tracker events -> tracking events.
- ``GET /webhooks/ebay/{account}?challenge_code=...`` answers eBay's endpoint challenge (the
  marketplace account deletion subscription); ``POST`` verifies ``X-EBAY-SIGNATURE`` and
  records the notification.
- ``GET /openapi/outbound-protocol.json``: the protocol document warehouses implement.

A refused delivery (bad signature, stale timestamp, replay) is answered 401 without detail,
logged with its reason, and its body kept in the raw payload archive (kind
``refused_callback``) for audit. An accepted one is handled by
:func:`channelhub.jobs.warehouse_callbacks.receive` (archived, deduplicated on its event id,
applied, or dead-lettered with its raw body for replay).

Amazon notifications are not HTTP: SP-API delivers them through Amazon SQS or EventBridge, so
the hub reads them from a queue (a job), never from a route here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse

from channelhub.api.state import HubState, hub_state
from channelhub.connectors.errors import ConnectorError, WebhookRejected
from channelhub.connectors.outbound_protocol.document import SERVED_PATH, protocol_document
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.core.errors import ChannelhubError, NotFound
from channelhub.jobs.handlers import warehouse_codes
from channelhub.jobs.pulls import archive
from channelhub.jobs.warehouse_callbacks import Delivery, parse_report, receive
from channelhub.mappings import easypost
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import record_webhook_delivery
from channelhub.store.tables.accounts import Account

log = logging.getLogger(__name__)
router = APIRouter(tags=["callbacks"])

PROTOCOL = "outbound_protocol"


def _account(state: HubState, account: str, platform: str) -> Account:
    try:
        with state.session_factory() as session:
            row = get_account(session, account)
    except NotFound:
        raise HTTPException(status_code=404, detail="unknown account") from None
    if row.platform != platform:
        raise HTTPException(status_code=404, detail=f"account is not a {platform} account")
    return row


def _refuse(state: HubState, row: Account, body: bytes, reason: str) -> HTTPException:
    """Log the refusal and keep the body (deduplicated on its bytes) for audit."""
    with state.session_factory.begin() as session:
        payload_id = archive(
            session,
            platform=row.platform,
            account=row.name,
            raw=RawRecord("refused_callback", None, body, state.now()),
        )
    log.warning(
        "%s callback for %s refused (raw payload %s): %s",
        row.platform,
        row.name,
        payload_id,
        reason,
    )
    return HTTPException(status_code=401, detail="callback refused")


def _replay_guard(state: HubState, account: str) -> Callable[[str], bool]:
    """``seen(signature)``: records a signature, True when it was already used (a replay)."""

    def seen(signature: str) -> bool:
        with state.session_factory.begin() as session:
            return not record_webhook_delivery(
                session,
                account=account,
                event_id=f"signature:{signature}",
                topic="signature",
                received_at=state.now(),
            )

    return seen


def _answer(result: dict[str, Any]) -> JSONResponse:
    # a dead-lettered delivery is kept: 200 so the sender does not resend what we hold
    return JSONResponse(result)


@router.post("/callbacks/warehouse/{account}")
async def warehouse_callback(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A signed channelhub outbound protocol callback (shipment, intercept result, stock)."""
    body = await request.body()
    row = _account(state, account, PROTOCOL)
    connector = state.connector_factory(row)
    parse_error: ChannelhubError | None = None
    try:
        callback = connector.verify_callback(
            request.headers, body, now=state.now(), seen=_replay_guard(state, account)
        )
    except WebhookRejected as exc:
        raise _refuse(state, row, body, str(exc)) from None
    except ChannelhubError as exc:  # verified, but the envelope does not parse
        callback, parse_error = None, exc
    finally:
        await connector.aclose()
    with state.session_factory() as session:
        codes = tuple(warehouse_codes(session, row.name, dict(row.settings or {})))
    event_id = callback.event_id if callback else f"unparsed:{_digest(body)}"
    delivery = Delivery(
        platform=PROTOCOL,
        account=account,
        event_id=event_id,
        topic=callback.type if callback else "unparsed",
        raw=RawRecord("callback", event_id, body, state.now()),
        warehouses=codes,
    )

    def parse() -> Any:
        if parse_error is not None:
            raise parse_error
        assert callback is not None
        return callback.payload

    return _answer(receive(state.session_factory, delivery, parse, now=state.now()))


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def _verified(
    state: HubState, account: str, platform: str, request: Request
) -> tuple[bytes, Any, WebhookEvent]:
    """The raw body, the account's connector and its verified event; a refused delivery is
    kept and answered 401 (see ``_refuse``)."""
    body = await request.body()
    row = _account(state, account, platform)
    connector = state.connector_factory(row)
    try:
        event: WebhookEvent = connector.verify_webhook(request.headers, body, now=state.now())
    except WebhookRejected as exc:
        raise _refuse(state, row, body, str(exc)) from None
    finally:
        await connector.aclose()
    return body, connector, event


@router.post("/webhooks/shipbob/{account}")
async def shipbob_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A ShipBob order webhook: shipped, delivered or cancelled."""
    body, connector, event = await _verified(state, account, "shipbob", request)
    warehouse = str(connector.warehouse)
    now = state.now()
    delivery = Delivery(
        platform="shipbob",
        account=account,
        event_id=event.event_id,
        topic=event.topic,
        raw=event.raw,
    )

    def parse() -> Any:
        return parse_report(
            "shipbob", body, topic=event.topic, warehouse=warehouse, received_at=now
        )

    result = receive(
        state.session_factory, delivery, parse, now=now, replay_info={"warehouse": warehouse}
    )
    return _answer(result)


@router.post("/webhooks/easypost/{account}")
async def easypost_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """An EasyPost tracker event: its tracking events are stored, orders delivered."""
    _body, _connector, event = await _verified(state, account, "easypost", request)
    delivery = Delivery("easypost", account, event.event_id, event.topic, event.raw)
    payload = dict(event.payload)
    result = receive(
        state.session_factory,
        delivery,
        lambda: easypost.normalize_tracking(payload),
        now=state.now(),
    )
    return _answer(result)


@router.get("/webhooks/ebay/{account}")
async def ebay_challenge(
    account: str, challenge_code: str, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """eBay's endpoint check: ``{"challengeResponse": sha256(code + token + endpoint)}``."""
    row = _account(state, account, "ebay")
    connector = state.connector_factory(row)
    try:
        answer = connector.challenge_response(challenge_code)
    except ChannelhubError as exc:
        log.warning("eBay challenge for %s not answered: %s", account, exc)
        raise HTTPException(status_code=409, detail=str(exc)) from None
    finally:
        await connector.aclose()
    return JSONResponse({"challengeResponse": answer})


@router.post("/webhooks/ebay/{account}")
async def ebay_notification(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A signed eBay notification: verified, archived and recorded once, then acknowledged."""
    body = await request.body()
    row = _account(state, account, "ebay")
    connector = state.connector_factory(row)
    try:
        event: WebhookEvent = await connector.verify_notification(
            request.headers, body, now=state.now()
        )
    except WebhookRejected as exc:
        raise _refuse(state, row, body, str(exc)) from None
    except ConnectorError as exc:  # the public key could not be fetched: eBay retries
        log.warning("eBay notification for %s not verified yet: %s", account, exc)
        raise HTTPException(status_code=503, detail="verification unavailable") from None
    finally:
        await connector.aclose()
    delivery = Delivery("ebay", account, event.event_id, event.topic, event.raw)
    return _answer(receive(state.session_factory, delivery, lambda: None, now=state.now()))


@router.get(SERVED_PATH)
def outbound_protocol_document() -> JSONResponse:
    """The OpenAPI document of the channelhub outbound protocol."""
    return JSONResponse(protocol_document())
