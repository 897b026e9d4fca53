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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.fees import OutboundFees, fees_final
from channelhub.connectors.gateway_warehouse import GatewayWarehouse
from channelhub.connectors.http.gateway import (
    Envelope,
    GatewayError,
    GatewayScheme,
    SignedRequest,
)
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import (
    CancelResult,
    OutboundStatus,
    RecordFailure,
)
from channelhub.connectors.roles import Capability
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder, OutboundState, Shipment, TrackingEvent
from channelhub.mappings.fourpx import fees as fourpx_fees
from channelhub.mappings.fourpx import wire
from channelhub.mappings.fourpx.signing import signed_query
from channelhub.mappings.gateway_signing import compact_json

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


class FourPxWarehouse(GatewayWarehouse):
    """One 4PX customer account: its mapped overseas warehouses, as a Warehouse."""

    platform = PLATFORM
    capabilities = CAPABILITIES
    label = "4PX"
    code_name = "4PX-WAREHOUSE-CODE"
    rejected = FourPxRejected
    default_base_url = DEFAULT_BASE_URL
    bucket = BUCKET
    limits = LIMITS
    stock_rows = wire.STOCK
    create_method = wire.CREATE  # 4PX refuses a repeated ref_no

    def make_scheme(self, context: ConnectorContext) -> GatewayScheme:
        return FourPxScheme(context)

    def create_data(self, order: OutboundOrder, *, warehouse: str, method: str) -> Any:
        return wire.create_data(order, warehouse_code=warehouse, product_code=method)

    def created_number(self, data: object) -> object:
        return data.get("consignment_no") if isinstance(data, dict) else None

    def listed_number(self, listed: Mapping[str, Any]) -> object:
        return listed.get("consignment_no")

    def listed_state(self, listed: Mapping[str, Any]) -> OutboundState:
        return wire.state_of(listed.get("status"))

    async def find_listed(self, key: str) -> Mapping[str, Any]:
        return (await self._listed(key))[0]

    async def inventory_page(
        self, code: str, page: int, skus: Sequence[str] | None
    ) -> tuple[Sequence[Any], bool, Envelope]:
        data = wire.inventory_data(warehouse_code=code, page=page, skus=skus)
        answer = await self.gateway.call(wire.INVENTORY, data)
        rows, more = wire.stock_rows(answer.data, page)
        return rows, more, answer

    async def _listed(self, key: str) -> tuple[dict[str, Any], Envelope]:
        """The consignment 4PX holds under the key's ref_no; NotFoundError when none."""
        answer = await self.gateway.call(wire.LIST, wire.list_data(wire.reference_of(key)))
        found = wire.first_listed(answer.data)
        if found is None:
            raise NotFoundError(f"4PX has no outbound consignment {wire.reference_of(key)}")
        return found, answer

    # --- outbound ------------------------------------------------------------------------

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
        warehouse = self._hub_warehouse(node.get("from_warehouse_code"))
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
