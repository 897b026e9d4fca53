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

Every route passes the inbound gate first (:mod:`channelhub.api.inbound`: the source's
refusal budget, the account, the body size limit) and uses the account's shared connector. A
refused delivery (bad signature, stale timestamp, replay) is answered 401 without detail,
logged with its reason, and kept only as bounded evidence (size, hash, first bytes, redacted
headers; ``refused_deliveries``), never whole. Database work runs in the thread pool. An
accepted one is handled by
:func:`channelhub.jobs.fulfilment.callbacks.receive` (archived, deduplicated on its event id,
applied, or dead-lettered with its raw body for replay).

Amazon notifications are not HTTP: SP-API delivers them through Amazon SQS or EventBridge, so
the hub reads them from a queue (a job), never from a route here.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from channelhub.api.inbound import Admitted
from channelhub.api.state import HubState, hub_state
from channelhub.connectors.errors import ConnectorError, WebhookRejected
from channelhub.connectors.outbound_protocol.document import SERVED_PATH, protocol_document
from channelhub.connectors.results import RawRecord, WebhookEvent
from channelhub.core.errors import ChannelhubError, NotFound
from channelhub.jobs.engine.handlers import warehouse_codes
from channelhub.jobs.fulfilment.callbacks import Delivery, parse_report, receive
from channelhub.mappings import easypost
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.jobs import record_webhook_delivery
from channelhub.store.tables.accounts import Account

log = logging.getLogger(__name__)
router = APIRouter(tags=["callbacks"])

PROTOCOL = "outbound_protocol"


def _row(state: HubState, account: str, platform: str) -> Account:
    try:
        with state.session_factory() as session:
            row = get_account(session, account)
            session.expunge(row)
    except NotFound:
        raise HTTPException(status_code=404, detail="unknown account") from None
    if row.platform != platform:
        raise HTTPException(status_code=404, detail=f"account is not a {platform} account")
    return row


def _replay_guard(state: HubState, account: str) -> Callable[[str], bool]:
    """``seen(signature)``: records a signature, True when it was already used (a replay)."""

    def seen(signature: str) -> bool:
        with state.session_factory.begin() as session:
            return not record_webhook_delivery(
                session,
                account=account,
                event_id=f"signature:{signature}"[:255],
                topic="signature",
                received_at=state.now(),
            )

    return seen


def _answer(result: dict[str, Any]) -> JSONResponse:
    # a dead-lettered delivery is kept: 200 so the sender does not resend what we hold
    return JSONResponse(result)


def _warehouse_delivery(
    state: HubState, admitted: Admitted, headers: Mapping[str, str]
) -> dict[str, Any] | str:
    """Verify (the replay guard writes) and receive one protocol callback, in a worker
    thread; the refusal reason (a str) when the signature does not hold."""
    row, body = admitted.row, admitted.body
    parse_error: ChannelhubError | None = None
    try:
        callback = admitted.connector.verify_callback(
            headers, body, now=state.now(), seen=_replay_guard(state, row.name)
        )
    except WebhookRejected as exc:
        return str(exc)
    except ChannelhubError as exc:  # verified, but the envelope does not parse
        callback, parse_error = None, exc
    with state.session_factory() as session:
        codes = tuple(warehouse_codes(session, row.name, dict(row.settings or {})))
    event_id = callback.event_id if callback else f"unparsed:{_digest(body)}"
    delivery = Delivery(
        platform=PROTOCOL,
        account=row.name,
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

    return receive(state.session_factory, delivery, parse, now=state.now())


@router.post("/callbacks/warehouse/{account}")
async def warehouse_callback(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A signed channelhub outbound protocol callback (shipment, intercept result, stock)."""
    admitted = await state.gate.admit(request, account, route="callback", platform=PROTOCOL)
    headers = dict(request.headers)
    result = await run_in_threadpool(_warehouse_delivery, state, admitted, headers)
    if isinstance(result, str):
        raise await state.gate.refuse(admitted, request, "callback", result) from None
    return _answer(result)


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


async def _verified(
    state: HubState, account: str, platform: str, request: Request
) -> tuple[Admitted, WebhookEvent]:
    """The admitted request and its verified event; a refused one keeps bounded evidence
    only and is answered 401."""
    admitted = await state.gate.admit(request, account, route="webhook", platform=platform)
    try:
        event: WebhookEvent = admitted.connector.verify_webhook(
            request.headers, admitted.body, now=state.now()
        )
    except WebhookRejected as exc:
        raise await state.gate.refuse(admitted, request, "webhook", str(exc)) from None
    return admitted, event


@router.post("/webhooks/shipbob/{account}")
async def shipbob_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A ShipBob order webhook: shipped, delivered or cancelled."""
    admitted, event = await _verified(state, account, "shipbob", request)
    warehouse = str(admitted.connector.warehouse)
    now = state.now()
    delivery = Delivery(
        platform="shipbob",
        account=account,
        event_id=event.event_id,
        topic=event.topic,
        raw=event.raw,
    )
    body = admitted.body

    def parse() -> Any:
        return parse_report(
            "shipbob", body, topic=event.topic, warehouse=warehouse, received_at=now
        )

    result = await run_in_threadpool(
        receive, state.session_factory, delivery, parse, now=now,
        replay_info={"warehouse": warehouse},
    )  # fmt: skip
    return _answer(result)


@router.post("/webhooks/easypost/{account}")
async def easypost_webhook(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """An EasyPost tracker event: its tracking events are stored, orders delivered."""
    _admitted, event = await _verified(state, account, "easypost", request)
    delivery = Delivery("easypost", account, event.event_id, event.topic, event.raw)
    payload = dict(event.payload)
    result = await run_in_threadpool(
        receive,
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
    row = await run_in_threadpool(_row, state, account, "ebay")
    try:
        answer = state.gate.connectors.get(row).challenge_response(challenge_code[:1_000])
    except ChannelhubError as exc:
        log.warning("eBay challenge for %s not answered: %s", account, exc)
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return JSONResponse({"challengeResponse": answer})


@router.post("/webhooks/ebay/{account}")
async def ebay_notification(
    account: str, request: Request, state: HubState = Depends(hub_state)
) -> JSONResponse:
    """A signed eBay notification: verified with the account's cached key, archived and
    recorded once, then acknowledged."""
    admitted = await state.gate.admit(request, account, route="webhook", platform="ebay")
    try:
        event: WebhookEvent = await admitted.connector.verify_notification(
            request.headers, admitted.body, now=state.now()
        )
    except WebhookRejected as exc:
        raise await state.gate.refuse(admitted, request, "webhook", str(exc)) from None
    except ConnectorError as exc:  # the public key could not be fetched: eBay retries
        log.warning("eBay notification for %s not verified yet: %s", account, exc)
        raise HTTPException(status_code=503, detail="verification unavailable") from None
    delivery = Delivery("ebay", account, event.event_id, event.topic, event.raw)
    result = await run_in_threadpool(
        receive, state.session_factory, delivery, lambda: None, now=state.now()
    )
    return _answer(result)


@router.get(SERVED_PATH)
def outbound_protocol_document() -> JSONResponse:
    """The OpenAPI document of the channelhub outbound protocol."""
    return JSONResponse(protocol_document())
