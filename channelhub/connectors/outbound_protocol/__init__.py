"""Warehouse connector for any WMS that speaks the channelhub outbound protocol
(docs/outbound-protocol.openapi.json).

Account configuration: ``base_url`` (the warehouse's endpoint, required), credential
``secret`` (the per-warehouse signing secret), setting ``warehouse`` (the hub's code for it;
default: the account name).

Every request is signed by an auth hook at send time, so each retry carries its own
timestamp; ``t`` strictly increases per connector so two attempts in one second never share a
signature (the receiver refuses a seen signature as a replay). Shipments and stock arrive by
callback (:meth:`OutboundProtocolWarehouse.verify_callback` checks and parses them); stock
levels can also be read with ``GET /stock``, level by level (one the hub cannot read is set
aside with its body, never the page).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime

import httpx
from pydantic import SecretStr

from channelhub.connectors.errors import WebhookRejected
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.outbound_protocol.check import SPEC, check
from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin, http_client_for
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    StockLevel,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState
from channelhub.core.signing import SIGNATURE_HEADER, SignatureError, sign, verify
from channelhub.core.warehouse_reports import InterceptOutcome
from channelhub.mappings import outbound_protocol as proto

PLATFORM = "outbound_protocol"
CAPABILITIES = frozenset(
    {
        Capability.CREATE_OUTBOUND,
        Capability.CANCEL_OUTBOUND,
        Capability.INTERCEPT_OUTBOUND,
        Capability.OUTBOUND_STATUS,
        Capability.STOCK_LEVELS,
    }
)
#: The protocol publishes no usage plan; this keeps the hub polite (configurable per account).
DEFAULT_LIMIT = RateLimit(rate=10, burst=20)
STATES: Mapping[str, OutboundState] = {
    "accepted": OutboundState.ACCEPTED,
    "picking": OutboundState.PICKING,
    "packed": OutboundState.PACKED,
    "shipped": OutboundState.SHIPPED,
    "cancelled": OutboundState.CANCELLED,
}


class WarehouseRejected(InvalidInput):
    """The warehouse refused the outbound order; ``reasons`` say what the seller must fix."""

    def __init__(self, key: str, reasons: Sequence[proto.RejectReason]) -> None:
        self.reasons = tuple(reasons)
        super().__init__([str(r) for r in reasons], source=f"warehouse refused {key}")


class SignedRequests:
    """Auth hook: ``X-Channelhub-Signature`` over each attempt's exact body."""

    def __init__(self, secret: SecretStr, now: Callable[[], datetime]) -> None:
        self._secret = secret
        self._now = now
        self._last = 0

    def __repr__(self) -> str:
        return "SignedRequests(secret=**********)"

    async def apply(self, request: httpx.Request) -> httpx.Request:
        stamp = max(int(self._now().timestamp()), self._last + 1)
        self._last = stamp
        request.headers[SIGNATURE_HEADER] = sign(self._secret, stamp, request.content)
        return request

    async def on_unauthorized(self) -> bool:
        return False  # a refused signature is a wrong secret or clock: retrying changes nothing


class OutboundProtocolWarehouse:
    """One warehouse reached through the channelhub outbound protocol."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        if not context.base_url:
            raise InvalidInput.field(
                "base_url", None, f"is required for warehouse {context.account!r}"
            )
        self.account = context.account
        self.warehouse = str(context.settings.get("warehouse", context.account))
        self._secret = context.credential("secret")
        self._now = context.now
        self._http = http_client_for(
            context,
            default_base_url=context.base_url,
            limits={},
            default_limit=DEFAULT_LIMIT,
            auth=SignedRequests(self._secret, context.now),
        )

    def __repr__(self) -> str:
        return f"OutboundProtocolWarehouse(account={self.account!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        """POST the order; 201 created, 200 already there, 422 -> :class:`WarehouseRejected`."""
        raw = json.dumps(proto.outbound_order_body(order), separators=(",", ":")).encode()
        response = await self._http.request(
            "create_outbound",
            "POST",
            "/outbound-orders",
            content=raw,
            headers={
                "Content-Type": "application/json",
                proto.IDEMPOTENCY_HEADER: order.idempotency_key,
            },
            expected={200, 201, 422},
            idempotent=True,  # the Idempotency-Key makes a repeat safe
        )
        answer = proto.parse_submit_response(response.json())
        if isinstance(answer, proto.Rejected):
            raise WarehouseRejected(order.idempotency_key, answer.reasons)
        return OutboundReceipt(
            idempotency_key=order.idempotency_key,
            warehouse_order_id=answer.warehouse_order_id,
            state=OutboundState.ACCEPTED,
            created=response.status == 201,
        )

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """Intercept: CANCELLED when stopped before packing, CANCEL_TOO_LATE after."""
        raw = json.dumps(proto.intercept_request_body(reason, self._now())).encode()
        response = await self._http.request(
            "cancel_outbound",
            "POST",
            proto.order_path(idempotency_key, "intercept"),
            content=raw,
            headers={"Content-Type": "application/json"},
            idempotent=True,  # the warehouse answers a repeat with the same result
        )
        result = proto.parse_intercept_result(response.json(), warehouse=self.warehouse)
        stopped = result.outcome is InterceptOutcome.SUCCEEDED
        return CancelResult(
            idempotency_key=idempotency_key,
            state=OutboundState.CANCELLED if stopped else OutboundState.CANCEL_TOO_LATE,
            reason=result.message,
        )

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        """The warehouse's state; shipments come by callback, so ``shipments`` is empty."""
        response = await self._http.request(
            "get_outbound", "GET", proto.order_path(idempotency_key)
        )
        body = response.json()
        state = str(body.get("state")) if isinstance(body, dict) else None
        if state is None or state not in STATES:
            raise InvalidInput.field(
                "state", state, f"is not one of {', '.join(STATES)}", source=PLATFORM
            )
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(body.get("warehouse_order_id")),
            state=STATES[state],
            shipments=(),
            raw=RawRecord("outbound", idempotency_key, response.content, self._now()),
        )

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """``GET /stock`` page by page (every SKU the warehouse holds; ``skus`` filters).
        Each level is read on its own (:func:`~channelhub.connectors.stock_rows.stock_page`):
        one the mapping refuses is one of the page's ``failures``, with its body and the
        warehouse it names; a page whose own fields are wrong is refused whole."""
        wanted = set(skus) if skus is not None else None
        while True:
            response = await self._http.request(
                "stock_levels", "GET", proto.STOCK_PATH, params=proto.stock_query(cursor)
            )
            page = proto.stock_rows(response.json())
            cursor = page.next_cursor
            yield stock_page(
                proto.STOCK,
                page.levels,
                warehouse=_as_named,
                now=self._now(),
                done=cursor is None,
                cursor=cursor,
                wanted=wanted,
                as_of=page.taken_at,
            )
            if cursor is None:
                return

    def verify_callback(
        self,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: datetime,
        seen: Callable[[str], bool] | None = None,
    ) -> proto.WarehouseCallback:
        """Check a callback's signature, freshness and replay, then parse it."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            verify(self._secret, lowered.get(SIGNATURE_HEADER.lower()), body, now=now, seen=seen)
        except SignatureError as exc:
            raise WebhookRejected(str(exc), platform=PLATFORM) from None
        try:
            payload = json.loads(body)
        except ValueError:
            raise WebhookRejected("the callback body is not JSON", platform=PLATFORM) from None
        return proto.parse_callback(payload)


def _as_named(code: str) -> str:
    """A level names the WMS's own warehouse code: the pull matches it to the hub warehouse
    registered with it as ``--external-id``."""
    return code


PLUGIN = ConnectorPlugin(
    platform=PLATFORM,
    roles=frozenset({Role.WAREHOUSE}),
    create=OutboundProtocolWarehouse,
    capabilities=CAPABILITIES,
    description="Any WMS speaking the channelhub outbound protocol (signed push + callbacks)",
    spec=SPEC,
    check=check,
)
