"""``GoodcangWarehouse``: Goodcang 谷仓 overseas warehouses as a Warehouse (contract unverified).

No published spec: the vendored field tables (``contracts/wms/goodcang/order.md``,
``inventory.md``) and a third-party SDK's classes are the reference; what they leave open is
guessed and listed in the README's connector table.

- Auth: ``app-key`` / ``app-token`` headers (:mod:`.auth`).
- Create: ``create_order`` with ``reference_no`` = the hub's dispatch id
  (:func:`~channelhub.mappings.goodcang.requests.reference_no`), the Goodcang
  ``warehouse_code`` mapped from the hub's warehouse (setting ``warehouses``, default the
  same code) and ``shipping_method`` from the hub's service (setting ``shipping_methods``).
  No ``IDEMPOTENT_OUTBOUND``: the outbox sender reads the order back by reference
  (``get_order_by_ref_code``) before any resend, and a refused create is read back too (an
  order already there is the earlier attempt, ``created=False``).
- Cancel / intercept: ``cancel_order`` (截单) by order code; ``cancel_status`` 2 is done,
  another status an intercept still in progress (``CANCEL_REQUESTED``, settled by the poll),
  a refusal once shipped ``CANCEL_TOO_LATE``.
- Status: ``get_order_by_ref_code`` -> state, the shipment (boxes and tracking numbers) and
  a problem (异常订单 / 问题件) a person must see; fees (``fee_details``) by
  :meth:`outbound_fees`, typed by :mod:`channelhub.mappings.goodcang.fees` for the ledger.
- Tracking: ``batch_query_tracking_status`` by reference numbers, 50 at a time
  (:meth:`order_tracking`), TMS codes into the canonical vocabulary.
- Stock: ``get_product_inventory`` for the account's Goodcang warehouses, 200 rows a page:
  on hand = sellable + reserved (待出库: still on the shelf), available = sellable. A row
  that cannot be read is set aside with its body (a failure of its page), never the page.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from channelhub.connectors.errors import ContractViolation, FatalError, NotFoundError
from channelhub.connectors.fees import OutboundFees, fees_final
from channelhub.connectors.goodcang.auth import GoodcangAuth, inspect_goodcang_response
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    StockLevel,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.stock_rows import stock_page
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment, TrackingEvent
from channelhub.mappings import goodcang as gcm
from channelhub.mappings.goodcang import errors as gc
from channelhub.mappings.goodcang import fees as gc_fees
from channelhub.mappings.goodcang import requests as build
from channelhub.mappings.goodcang.answers import when

PLATFORM = "goodcang"
DEFAULT_BASE_URL = "https://oms.goodcang.net/public_open"
#: Goodcang states no limits: 5/s with a burst of 10 per operation is a guess, kept low.
LIMITS: Mapping[str, RateLimit] = {
    op: RateLimit(rate=5, burst=10)
    for op in (
        "create_order",
        "get_order_by_ref_code",
        "cancel_order",
        "batch_query_tracking_status",
        "get_product_inventory",
    )
}
CAPABILITIES = frozenset(
    {
        Capability.CREATE_OUTBOUND,
        Capability.CANCEL_OUTBOUND,
        Capability.INTERCEPT_OUTBOUND,
        Capability.OUTBOUND_STATUS,
        Capability.STOCK_LEVELS,
        Capability.POLLED_OUTBOUND,
    }
)


class GoodcangRefused(InvalidInput):
    """Goodcang refused the order; its own words are kept as the problems."""


class GoodcangError(FatalError):
    """A Goodcang failure the connector has no better name for (its code and message)."""


def _text_map(value: object) -> dict[str, str]:
    if isinstance(value, str):
        value = json.loads(value) if value.strip().startswith("{") else {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def _exact_json(content: bytes) -> Any:
    """Goodcang writes fees as JSON floats (``"totalFee": 79.844``): read them as Decimal."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:
        raise ContractViolation("Goodcang answered with a body that is not JSON") from None


def _plain(value: Any) -> Any:
    """A fee record fit for a JSON column: Decimals as their exact text."""
    return str(value) if isinstance(value, Decimal) else value


class GoodcangWarehouse:
    """One Goodcang customer account (its app key), serving one or more hub warehouses."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        settings = context.settings
        self.account = context.account
        #: hub warehouse code -> Goodcang warehouse_code (a code not listed is sent as is)
        self.warehouses = _text_map(settings.get("warehouses"))
        self.methods = _text_map(settings.get("shipping_methods"))
        self.platform_name = str(settings.get("order_platform") or "OTHER")
        self._now = context.now
        self.http = http_client_for(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits=LIMITS,
            auth=GoodcangAuth(
                app_key=context.credential("app_key"), app_token=context.credential("app_token")
            ),
            inspect_response=inspect_goodcang_response,
            limit_feedback=None,
        )

    def __repr__(self) -> str:
        return f"GoodcangWarehouse(account={self.account!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    def code_of(self, warehouse: str) -> str:
        """Goodcang's ``warehouse_code`` for the hub's warehouse."""
        return self.warehouses.get(warehouse, warehouse)

    async def _post(self, operation: str, path: str, body: Mapping[str, Any]) -> gc.Answer:
        response = await self.http.request(
            operation, "POST", path, json=body, idempotent=operation != "create_order"
        )
        return gc.read_answer(_exact_json(response.content))

    async def _order(self, key: str) -> tuple[Mapping[str, Any], bytes]:
        """get_order_by_ref_code; an unknown reference is NotFoundError."""
        answer = await self._post(
            "get_order_by_ref_code", build.BY_REFERENCE_PATH, build.by_reference_body(key)
        )
        if not answer.ok:
            if answer.code == gc.ORDER_NOT_FOUND:
                raise NotFoundError(f"Goodcang has no order {build.reference_no(key)}")
            raise GoodcangError(answer.said(), operation="get_order_by_ref_code")
        order = gcm.order_data(answer.body)
        text = json.dumps(order, separators=(",", ":"), ensure_ascii=False, default=str)
        return order, text.encode()

    # --- outbound ------------------------------------------------------------------------

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        key = order.idempotency_key
        code = self.code_of(order.warehouse)
        body = build.create_order_body(
            order,
            warehouse_code=code,
            shipping_method=build.shipping_method_for(order, self.methods, code),
            platform=self.platform_name,
        )
        answer = await self._post("create_order", build.CREATE_PATH, body)
        if answer.ok:
            number = str(answer.body.get("order_code") or "")
            return OutboundReceipt(key, number, OutboundState.ACCEPTED, True)
        try:
            existing, _ = await self._order(key)
        except NotFoundError:
            raise GoodcangRefused([answer.said()], source=f"Goodcang refused {key}") from None
        number = str(existing.get("order_code") or "")
        return OutboundReceipt(key, number, gcm.order_state(existing), False)

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """cancel_order (截单): CANCELLED, CANCEL_REQUESTED while Goodcang intercepts, or
        CANCEL_TOO_LATE once it shipped."""
        existing, _ = await self._order(idempotency_key)
        status = gcm.status_of(existing)
        if status == "X":
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already cancelled")
        if status == "D":
            return CancelResult(
                idempotency_key, OutboundState.CANCEL_TOO_LATE, "Goodcang shipped it already"
            )
        number = str(existing.get("order_code") or "")
        body = build.cancel_body(number, reason)
        answer = await self._post("cancel_order", build.CANCEL_PATH, body)
        if answer.ok:
            done = str(answer.body.get("cancel_status")) == "2"
            state = OutboundState.CANCELLED if done else OutboundState.CANCEL_REQUESTED
            return CancelResult(idempotency_key, state, None if done else "Goodcang intercepting")
        after, _ = await self._order(idempotency_key)
        if gcm.status_of(after) == "X":
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already cancelled")
        return CancelResult(idempotency_key, OutboundState.CANCEL_TOO_LATE, answer.said())

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        order, content = await self._order(idempotency_key)
        raw = RawRecord("outbound", idempotency_key, content, self._now())
        shipments: PageRecords[Shipment] = PageRecords()
        warehouse = self._hub_code(str(order.get("warehouse_code") or ""))
        shipments.take(raw, self._shipment, order, warehouse, idempotency_key)
        status = gcm.status_of(order)
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(order.get("order_code") or "") or None,
            state=gcm.order_state(order),
            shipments=tuple(shipments.items),
            raw=raw,
            failures=tuple(shipments.failures),
            problem=gcm.order_problem(order),
            final=status in gcm.FINAL_STATUSES,
        )

    def _hub_code(self, goodcang_code: str) -> str:
        for hub, theirs in self.warehouses.items():
            if theirs == goodcang_code:
                return hub
        return goodcang_code

    @staticmethod
    def _shipment(order: Mapping[str, Any], warehouse: str, key: str) -> list[Shipment]:
        found = gcm.shipment_from(order, warehouse=warehouse, outbound_key=key)
        return [] if found is None else [found]

    async def outbound_fees(self, idempotency_key: str) -> OutboundFees:
        """The order's ``fee_details`` (SHIPPING, OPF, FSC, DT, RSF, OTF, totalFee) as charges
        (:mod:`channelhub.mappings.goodcang.fees`) and kept raw; final once the order is
        cancelled, or shipped and charged."""
        order, _ = await self._order(idempotency_key)
        found = order.get("fee_details")
        fees = {k: _plain(v) for k, v in found.items()} if isinstance(found, Mapping) else {}
        return OutboundFees(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(order.get("order_code") or "") or None,
            charges=gc_fees.fee_charges(fees),
            raw=fees,
            final=fees_final(gcm.order_state(order), gc_fees.charged(fees)),
            posted_at=when(order.get("date_shipping"), "fee_details.date_shipping"),
        )

    async def order_tracking(self, idempotency_keys: Sequence[str]) -> list[TrackingEvent]:
        """batch_query_tracking_status by reference number, 50 orders per call."""
        events: list[TrackingEvent] = []
        keys = list(idempotency_keys)
        for start in range(0, len(keys), build.MAX_TRACKING_BATCH):
            batch = keys[start : start + build.MAX_TRACKING_BATCH]
            answer = await self._post(
                "batch_query_tracking_status", build.TRACKING_PATH, build.tracking_body(batch)
            )
            if not answer.ok:
                raise GoodcangError(answer.said(), operation="batch_query_tracking_status")
            events.extend(gcm.tracking_events(answer.body, carriers={}))
        return events

    # --- stock ---------------------------------------------------------------------------

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """Every SKU of the account's Goodcang warehouses, page by page (levels name
        Goodcang's warehouse_code: register the hub warehouse with it as ``--external-id``
        or list it in ``warehouses``). Each row is read on its own
        (:func:`~channelhub.connectors.stock_rows.stock_page`): a row the mapping refuses is
        one of the page's ``failures``, with its body and the warehouse it names."""
        codes = sorted(set(self.warehouses.values()))
        wanted = set(skus) if skus is not None else None
        page = 1
        while True:
            response = await self.http.request(
                "get_product_inventory",
                "POST",
                build.INVENTORY_PATH,
                json=build.inventory_body(codes, page, skus),
                idempotent=True,  # a read: repeating it after a 5xx or a timeout is safe
            )
            answer = gc.read_answer(_exact_json(response.content))
            if not answer.ok:
                raise GoodcangError(answer.said(), operation="get_product_inventory")
            rows, count = gcm.inventory_rows(answer.body)
            done = not rows or page * build.INVENTORY_PAGE >= count
            now = self._now()
            yield stock_page(
                gcm.STOCK, rows, warehouse=self._hub_code, now=now, done=done, wanted=wanted
            )
            if done:
                return
            page += 1
