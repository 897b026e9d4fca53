"""``FourPxWarehouse``: 4PX 递四方 overseas warehouses (FOP ``fu.wms.*``) as a Warehouse
(contract unverified).

Contract: the third-party SDK's classes (contracts/wms/4px/), through the shared signed
gateway (:mod:`channelhub.connectors.http.gateway`): one ``POST /router/api/service``, the
operation in the ``method`` query parameter, ``sign`` per
:mod:`channelhub.mappings.fourpx.signing`, answers ``{"result", "msg", "errors", "data"}``
(``result`` "1" is success).

- Create: ``fu.wms.outbound.create`` with ``ref_no`` = the hub's dispatch id, warehouse and
  logistics product mapped from the hub's warehouse and service (``warehouse_codes``,
  ``shipping_methods``). Not ``IDEMPOTENT_OUTBOUND``: the sender reads back
  (``fu.wms.outbound.getlist`` by ref_no) before any resend; a refused create is read back too.
- Cancel / intercept: ``fu.wms.outbound.cancel`` (cancel_type OT) while 出库中 (S); later too late.
- Status: ``fu.wms.outbound.getlist`` -> state and the shipment; tracking per parcel with
  ``tr.order.tracking.get``.
- Fees: ``fu.wms.outbound.getbilling`` by ref_no (:meth:`outbound_fees`, the poll's fee step
  writes them to the money ledger, as for Goodcang and WINIT).
- Stock: ``fu.wms.inventory.get`` per mapped warehouse (a full read each time).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.fees import OutboundFees, fees_final
from channelhub.connectors.http.gateway import (
    Envelope,
    GatewayError,
    GatewayScheme,
    SignedGateway,
    SignedRequest,
)
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import (
    CancelResult,
    OutboundReceipt,
    OutboundStatus,
    PageOf,
    RawRecord,
    RecordFailure,
    StockLevel,
)
from channelhub.connectors.roles import Capability
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment, TrackingEvent
from channelhub.mappings.fourpx import fees as fourpx_fees
from channelhub.mappings.fourpx import wire
from channelhub.mappings.fourpx.signing import signed_query
from channelhub.mappings.gateway_signing import compact_json
from channelhub.mappings.warehouse_refs import mapped_code

PLATFORM = "fourpx"
DEFAULT_BASE_URL = "https://open.4px.com"
PATH = "/router/api/service"
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
#: guessed: 4PX publishes no limits here; 5/s per app key over every method
BUCKET = "4px-app-key"
LIMITS: Mapping[str, RateLimit] = {BUCKET: RateLimit(rate=5, burst=10)}


class FourPxRejected(InvalidInput):
    """4PX refused the outbound order; its own words are the problems."""


class FourPxScheme(GatewayScheme):
    """4PX's gateway rules: common parameters and ``sign`` in the query, data as the body."""

    label = "4PX"
    path = PATH
    throttled_codes = frozenset({wire.THROTTLED})
    retryable_codes = frozenset({wire.BUSY, wire.TIME_SKEW})
    auth_codes = frozenset({wire.SIGN_INVALID, wire.KEY_INVALID})

    def __init__(self, context: ConnectorContext) -> None:
        self._key = context.credential("app_key")
        self._secret = context.credential("app_secret")

    def __repr__(self) -> str:
        return "FourPxScheme(**********)"

    def build(self, method: str, data: Any, now: datetime) -> SignedRequest:
        body = b"" if data is None else compact_json(data)
        query = signed_query(
            method,
            body.decode("utf-8"),
            app_key=self._key.get_secret_value(),
            secret=self._secret.get_secret_value(),
            now=now,
        )
        return SignedRequest(body=body, query=query)

    def read(self, body: Any) -> Envelope:
        if not isinstance(body, dict) or "result" not in body:
            raise ValueError("no 'result'")
        ok = str(body["result"]) == "1"
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        code = str(errors[0].get("error_code")) if errors else str(body["result"])
        said = "; ".join(str(e.get("error_msg")) for e in errors) or str(body.get("msg") or "")
        return Envelope(ok, code, said, body.get("data"), body)


class FourPxWarehouse:
    """One 4PX customer account: its mapped overseas warehouses, as a Warehouse."""

    platform = PLATFORM
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        settings = context.settings
        self.account = context.account
        self.warehouse_codes: dict[str, str] = dict(settings.get("warehouse_codes") or {})
        if not self.warehouse_codes:
            raise InvalidInput.field(
                "warehouse_codes", None, "is required (HUB-WAREHOUSE:4PX-WAREHOUSE-CODE,...)"
            )
        self.shipping_methods: dict[str, str] = dict(settings.get("shipping_methods") or {})
        self.default_method = str(settings.get("default_shipping_method") or "") or None
        self._now = context.now
        self.gateway = SignedGateway(
            context,
            FourPxScheme(context),
            default_base_url=DEFAULT_BASE_URL,
            limits=LIMITS,
            bucket_of=lambda method: BUCKET,
        )

    def __repr__(self) -> str:
        return f"FourPxWarehouse(account={self.account!r})"

    async def aclose(self) -> None:
        await self.gateway.aclose()

    def _raw(self, kind: str, key: str | None, data: Any) -> RawRecord:
        return RawRecord(kind, key, compact_json(data), self._now())

    async def _listed(self, key: str) -> tuple[dict[str, Any], Envelope]:
        """The consignment 4PX holds under the key's ref_no; NotFoundError when none."""
        answer = await self.gateway.call(wire.LIST, wire.list_data(wire.reference_of(key)))
        found = wire.first_listed(answer.data)
        if found is None:
            raise NotFoundError(f"4PX has no outbound consignment {wire.reference_of(key)}")
        return found, answer

    # --- outbound ------------------------------------------------------------------------

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        key = order.idempotency_key
        data = wire.create_data(
            order,
            warehouse_code=mapped_code(self.warehouse_codes, order.warehouse, what="warehouse"),
            product_code=mapped_code(
                self.shipping_methods,
                order.shipping_service,
                what="shipping_service",
                default=self.default_method,
            ),
        )
        try:
            answer = await self.gateway.call(wire.CREATE, data)  # 4PX refuses a repeated ref_no
        except GatewayError as refused:
            try:
                existing, _ = await self._listed(key)
            except NotFoundError:
                raise FourPxRejected(
                    [refused.envelope.message], source=f"4PX refused {key}"
                ) from None
            return OutboundReceipt(
                key,
                str(existing.get("consignment_no")),
                wire.state_of(existing.get("status")),
                False,
            )
        number = answer.data.get("consignment_no") if isinstance(answer.data, dict) else None
        return OutboundReceipt(key, str(number), OutboundState.ACCEPTED, True)

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """fu.wms.outbound.cancel: CANCELLED while 出库中, CANCEL_TOO_LATE once picked."""
        listed, _ = await self._listed(idempotency_key)
        status = listed.get("status")
        if status in ("X", "D"):
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already cancelled")
        data = {
            "consignment_no": listed.get("consignment_no"),
            "cancel_type": "OT",
            "cancel_remark": reason[:200],
        }
        try:
            await self.gateway.call(wire.CANCEL, data)
        except GatewayError as refused:
            return CancelResult(
                idempotency_key,
                OutboundState.CANCEL_TOO_LATE,
                f"4PX consignment {status}: {refused.envelope.message}",
            )
        return CancelResult(idempotency_key, OutboundState.CANCELLED)

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        node, answer = await self._listed(idempotency_key)
        number = str(node.get("consignment_no"))
        warehouse = self._hub_warehouse(node)
        shipments: list[Shipment] = []
        failures: list[RecordFailure] = []
        try:
            shipments = wire.shipments_of(node, warehouse=warehouse, outbound_key=idempotency_key)
        except InvalidInput as error:
            failures.append(RecordFailure(self._raw("shipment", number, node), str(error)))
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=number,
            state=wire.state_of(node.get("status")),
            shipments=tuple(shipments),
            raw=self._raw("outbound", idempotency_key, answer.raw),
            failures=tuple(failures),
            problem=wire.problem_of(node),
            final=node.get("status") in wire.FINAL,
        )

    def _hub_warehouse(self, node: Mapping[str, Any]) -> str:
        wanted = str(node.get("from_warehouse_code") or "")
        for hub, code in self.warehouse_codes.items():
            if code == wanted:
                return hub
        return next(iter(self.warehouse_codes))

    async def outbound_fees(self, idempotency_key: str) -> OutboundFees:
        """The consignment's billing list (``getbilling``) as charges
        (:mod:`channelhub.mappings.fourpx.fees`), the answer kept raw; its state from the
        consignment list (:func:`~channelhub.connectors.fees.fees_final`)."""
        node, _ = await self._listed(idempotency_key)
        answer = await self.gateway.call(
            wire.BILLING, {"ref_no": wire.reference_of(idempotency_key)}
        )
        charges = fourpx_fees.fee_charges(answer.data)
        return OutboundFees(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(node.get("consignment_no") or "") or None,
            charges=charges,
            raw=answer.raw if isinstance(answer.raw, dict) else {"data": answer.data},
            final=fees_final(wire.state_of(node.get("status")), bool(charges)),
            posted_at=fourpx_fees.billed_on(answer.data),
        )

    async def parcel_tracking(
        self, idempotency_key: str, tracking_number: str, carrier: str
    ) -> list[TrackingEvent]:
        """tr.order.tracking.get for one parcel."""
        answer = await self.gateway.call(wire.TRACK, {"deliveryOrderNo": tracking_number})
        return wire.tracking_events(answer.data, tracking_number=tracking_number, carrier=carrier)

    # --- stock ---------------------------------------------------------------------------

    async def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """Every mapped warehouse's stock, page by page (a full read: no changed-since)."""
        wanted = set(skus) if skus is not None else None
        codes = list(self.warehouse_codes.items())
        for position, (hub, code) in enumerate(codes):
            page = 1
            while True:
                data = wire.inventory_data(warehouse_code=code, page=page, skus=skus)
                answer = await self.gateway.call(wire.INVENTORY, data)
                found, more = wire.stock_page(answer.data, page)
                now = self._now()
                levels = tuple(
                    StockLevel(hub, s.sku, s.on_hand, s.available, s.reserved, as_of=now)
                    for s in found
                    if wanted is None or s.sku in wanted
                )
                last = not more and position == len(codes) - 1
                raw = RawRecord("stock", f"{hub}:{page}", json.dumps(answer.raw).encode(), now)
                yield PageOf(items=levels, raw=(raw,), cursor=None, done=last)
                if not more:
                    break
                page += 1
