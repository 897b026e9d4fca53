"""``WinitWarehouse``: WINIT 万邑通 overseas warehouses as a Warehouse (contract unverified).

Contract: the third-party SDK's request / response classes (contracts/wms/winit/), through the
shared signed gateway (:mod:`channelhub.connectors.http.gateway`): one ``POST
/openapi/service``, the operation in ``action``, ``sign`` and ``client_sign`` per
:mod:`channelhub.mappings.winit.signing`, answers ``{"code", "msg", "data"}`` (``"0"`` is
success).

- Create: ``createOutboundOrder`` with ``sellerOrderNo`` = the hub's dispatch id and
  ``repeatable`` N, warehouse and delivery way mapped from the hub's warehouse and service
  (settings ``warehouse_codes``, ``shipping_methods``). Not ``IDEMPOTENT_OUTBOUND``: the sender
  reads back (``queryOutboundOrderList`` by sellerOrderNo) before any resend; a create WINIT
  refuses is read back too (an order already there is the earlier attempt).
- Cancel / intercept: ``voidOutboundOrder`` until picking starts; later it is too late.
- Status: ``queryOutboundOrder`` -> state and the shipment with its packages; tracking per
  parcel with ``queryTrack``.
- Fees: ``sms.incomeSettlement.queryOutboundOrderFee`` by sellerNo (:meth:`outbound_fees`, the
  poll's fee step writes them to the money ledger, as for Goodcang and 4PX).
- Stock: ``queryProductInventoryList4Page`` per mapped warehouse (a full read each time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from channelhub.connectors.errors import NotFoundError
from channelhub.connectors.fees import OutboundFees, fees_final
from channelhub.connectors.gateway_warehouse import GatewayWarehouse
from channelhub.connectors.http.gateway import (
    Envelope,
    GatewayError,
    GatewayScheme,
    SignedRequest,
    compact_json,
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
from channelhub.mappings.winit import fees as winit_fees
from channelhub.mappings.winit import wire
from channelhub.mappings.winit.signing import signed_body

PLATFORM = "winit"
DEFAULT_BASE_URL = "https://openapi.winit.com.cn"
PATH = "/openapi/service"
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
#: guessed: WINIT publishes no limits; 5/s per app key over every action
BUCKET = "winit-app-key"
LIMITS: Mapping[str, RateLimit] = {BUCKET: RateLimit(rate=5, burst=10)}


class WinitRejected(InvalidInput):
    """WINIT refused the outbound order; its own words are the problems."""


class WinitScheme(GatewayScheme):
    """WINIT's gateway rules: everything in the JSON body, two MD5 signatures."""

    label = "WINIT"
    path = PATH
    throttled_codes = frozenset({wire.THROTTLED})
    retryable_codes = frozenset({wire.BUSY, wire.TIME_SKEW})
    auth_codes = frozenset({wire.SIGN_INVALID, wire.TOKEN_INVALID})

    def __init__(self, context: ConnectorContext) -> None:
        self._secrets = {
            "app_key": context.credential("app_key"),
            "token": context.credential("token"),
            "client_id": context.credential("client_id"),
            "client_secret": context.credential("client_secret"),
            "platform": context.credential("platform"),
        }

    def __repr__(self) -> str:
        return "WinitScheme(**********)"

    def build(self, method: str, data: Any, now: Any) -> SignedRequest:
        s = {k: v.get_secret_value() for k, v in self._secrets.items()}
        body = signed_body(
            method,
            data,
            app_key=s["app_key"],
            client_id=s["client_id"],
            platform=s["platform"],
            token=s["token"],
            client_secret=s["client_secret"],
            now=now,
        )
        return SignedRequest(body=compact_json(body))

    def read(self, body: Any) -> Envelope:
        if not isinstance(body, dict) or "code" not in body:
            raise ValueError("no 'code'")
        code = str(body["code"])
        return Envelope(code == "0", code, str(body.get("msg") or ""), body.get("data"), body)


class WinitWarehouse(GatewayWarehouse):
    """One WINIT seller account: its mapped overseas warehouses, as a Warehouse."""

    platform = PLATFORM
    capabilities = CAPABILITIES
    label = "WINIT"
    code_name = "WINIT-WAREHOUSE-ID"
    rejected = WinitRejected
    default_base_url = DEFAULT_BASE_URL
    bucket = BUCKET
    limits = LIMITS
    stock_rows = wire.STOCK
    create_method = wire.CREATE  # repeatable N: WINIT never takes a sellerOrderNo twice

    def make_scheme(self, context: ConnectorContext) -> GatewayScheme:
        return WinitScheme(context)

    def create_data(self, order: OutboundOrder, *, warehouse: str, method: str) -> Any:
        return wire.create_data(order, warehouse_id=warehouse, delivery_way_id=method)

    def created_number(self, data: object) -> object:
        return data.get("orderNo") if isinstance(data, dict) else None

    def listed_number(self, listed: Mapping[str, Any]) -> object:
        return listed.get("documentNo")

    def listed_state(self, listed: Mapping[str, Any]) -> OutboundState:
        return wire.state_of(listed.get("status"))

    async def find_listed(self, key: str) -> Mapping[str, Any]:
        return await self._listed(key)

    async def inventory_page(
        self, code: str, page: int, skus: Sequence[str] | None
    ) -> tuple[Sequence[Any], bool, Envelope]:
        data = wire.inventory_data(warehouse_id=code, page=page, skus=skus)
        answer = await self.gateway.call(wire.INVENTORY, data)
        rows, more = wire.stock_rows(answer.data)
        return rows, more, answer

    async def _listed(self, key: str) -> dict[str, Any]:
        """The order WINIT holds under the key's sellerOrderNo; NotFoundError when none."""
        found = wire.first_listed(
            (await self.gateway.call(wire.LIST, wire.list_data(wire.reference_of(key)))).data
        )
        if found is None:
            raise NotFoundError(f"WINIT has no outbound order {wire.reference_of(key)}")
        return found

    # --- outbound ------------------------------------------------------------------------

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """voidOutboundOrder: CANCELLED before picking, CANCEL_TOO_LATE from then on."""
        listed = await self._listed(idempotency_key)
        status = listed.get("status")
        if status == "VO":
            return CancelResult(idempotency_key, OutboundState.CANCELLED, "already voided")
        try:
            await self.gateway.call(wire.VOID, {"outboundOrderNum": listed.get("documentNo")})
        except GatewayError as refused:
            return CancelResult(
                idempotency_key,
                OutboundState.CANCEL_TOO_LATE,
                f"WINIT order {status}: {refused.envelope.message}",
            )
        return CancelResult(idempotency_key, OutboundState.CANCELLED)

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        listed = await self._listed(idempotency_key)
        order_no = str(listed.get("documentNo"))
        answer = await self.gateway.call(wire.DETAIL, {"outboundOrderNum": order_no})
        detail = wire.order_detail(answer.data)
        raw = self._raw("outbound", idempotency_key, answer.raw)
        warehouse = self._hub_warehouse(detail.get("warehouseId"))
        shipments: list[Shipment] = []
        failures: list[RecordFailure] = []
        try:
            shipments = wire.shipments_of(detail, warehouse=warehouse, outbound_key=idempotency_key)
        except InvalidInput as error:
            failures.append(RecordFailure(self._raw("shipment", order_no, detail), str(error)))
        return OutboundStatus(
            idempotency_key=idempotency_key,
            warehouse_order_id=order_no,
            state=wire.state_of(detail.get("status")),
            shipments=tuple(shipments),
            raw=raw,
            failures=tuple(failures),
            problem=wire.problem_of(detail),
            final=detail.get("status") in wire.FINAL,
        )

    async def outbound_fees(self, idempotency_key: str) -> OutboundFees:
        """The order's fee records (``queryOutboundOrderFee``) as charges
        (:mod:`channelhub.mappings.winit.fees`), the answer kept raw; its state from the
        order list (:func:`~channelhub.connectors.fees.fees_final`)."""
        listed = await self._listed(idempotency_key)
        answer = await self.gateway.call(
            wire.FEES, wire.fees_data(wire.reference_of(idempotency_key))
        )
        charges = winit_fees.fee_charges(answer.data)
        return OutboundFees(
            idempotency_key=idempotency_key,
            warehouse_order_id=str(listed.get("documentNo") or "") or None,
            charges=charges,
            raw=answer.raw if isinstance(answer.raw, dict) else {"data": answer.data},
            final=fees_final(wire.state_of(listed.get("status")), bool(charges)),
        )

    async def parcel_tracking(
        self, idempotency_key: str, tracking_number: str, carrier: str
    ) -> list[TrackingEvent]:
        """queryTrack for one parcel of a shipped order."""
        listed = await self._listed(idempotency_key)
        data = wire.track_data(
            order_no=str(listed.get("documentNo")),
            warehouse_id=str(listed.get("warehouseId") or "") or None,
            tracking_number=tracking_number,
        )
        answer = await self.gateway.call(wire.TRACK, data)
        return wire.tracking_events(answer.data, tracking_number=tracking_number, carrier=carrier)
