"""The 4PX 递四方 simulator: one signed gateway, FOP's envelope and (guessed) error codes.

``POST /router/api/service?app_key=..&format=json&method=..&timestamp=..&v=1.0.0&sign=..``
with the business data as the JSON body; ``sign`` is verified over the exact body bytes
(:mod:`channelhub.mappings.fourpx.signing`), the timestamp must be within 10 minutes of the
simulator's clock. Answers are HTTP 200 ``{"result": "1"|"0", "msg", "errors": [{"error_code",
"error_msg"}], "data"}``; throttling is the same envelope with code 1001. Methods: those the
connector uses (``wire.METHODS``). The warehouse behind: :mod:`channelhub.simulators.overseas`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.mappings.fourpx import wire
from channelhub.mappings.fourpx.signing import sign_matches
from channelhub.mappings.winit.signing import CHINA, TIMESTAMP_FORMAT
from channelhub.simulators.base import Simulator
from channelhub.simulators.clock import SERVED_STAGE_AFTER, ManualClock, wall_clock
from channelhub.simulators.info import SimulatorInfo
from channelhub.simulators.overseas import (
    ACCEPTED,
    CANCELLED,
    PACKED,
    PICKING,
    SHIPPED,
    OverseasState,
    Refused,
    SimOrder,
)
from channelhub.simulators.throttle import SimLimit

DEFAULT_CREDENTIALS = {"app_key": "fop-sim-key", "app_secret": "fop-sim-secret"}
US_WAREHOUSE, DE_WAREHOUSE = "USLAXA", "DEFRAA"
METHODS = ("F3", "F5")
DEFAULT_STOCK = {
    US_WAREHOUSE: {"MUG-RED": 50, "TEE-M": 20},
    DE_WAREHOUSE: {"MUG-RED": 10, "TEE-M": 10},
}
SIMULATOR_INFO = SimulatorInfo(
    platform="fourpx",
    account="my-4px",
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "warehouse_codes": f"4PX-US:{US_WAREHOUSE},4PX-DE:{DE_WAREHOUSE}",
        "default_shipping_method": METHODS[0],
    },
    served={"clock": wall_clock, "stage": SERVED_STAGE_AFTER},
)
STATUS = {ACCEPTED: "S", PICKING: "P", PACKED: "P", SHIPPED: "C", CANCELLED: "X"}
SCAN_CODES = {
    "info_received": "FPX_I_RCV",
    "in_transit": "FPX_T_TRN",
    "out_for_delivery": "FPX_D_OFD",
    "delivered": "FPX_S_DLV",
}
REFUSALS = {
    "bad_data": wire.BAD_DATA,
    "stock": wire.BAD_DATA,
    "duplicate": wire.DUPLICATE,
    "not_found": wire.NOT_FOUND,
    "too_late": wire.TOO_LATE,
}
SKEW = timedelta(minutes=10)


class FopFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def failed(code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "result": "0",
            "msg": "System processing failed",
            "errors": [{"error_code": code, "error_msg": message}],
            "data": None,
        }
    )


def succeeded(data: Any) -> JSONResponse:
    return JSONResponse({"result": "1", "msg": "Success", "errors": [], "data": data})


def create_app(
    *,
    seed: int = 0,
    clock: Callable[[], datetime] | None = None,
    stock: Mapping[str, Mapping[str, int]] | None = None,
    stage: timedelta = timedelta(hours=2),
    credentials: Mapping[str, str] | None = None,
    rate: SimLimit = SimLimit(5, 10),
    error_rate: float = 0.0,
    in_process: bool = True,
) -> Simulator:
    """A 4PX simulator (ASGI app); ``sim.state`` is its :class:`OverseasState`."""
    now = clock or ManualClock()
    state = OverseasState(
        clock=now,
        stock=DEFAULT_STOCK if stock is None else stock,
        methods=METHODS,
        prefix="OC",
        stage=stage,
    )
    secrets = {**DEFAULT_CREDENTIALS, **(credentials or {})}
    sim = Simulator(
        platform="fourpx",
        seed=seed,
        limits={"gateway": rate},
        throttled=lambda request, op, wait: failed(wire.THROTTLED, "request too frequent"),
        error_response=lambda status: JSONResponse(
            {"result": "0", "msg": "system busy", "errors": []}, status_code=status
        ),
        caller_key=lambda request: "app",
        clock=lambda: now().timestamp(),
        in_process=in_process,
    )
    sim.faults.update(error_rate=error_rate)
    sim.state = state  # type: ignore[attr-defined]
    sim.advance = _advancer(now, state)  # type: ignore[attr-defined]
    handlers = _handlers(state)

    @sim.app.post("/router/api/service", dependencies=[Depends(sim.limit("gateway"))])
    async def service(request: Request) -> Response:
        query = dict(request.query_params)
        text = (await request.body()).decode("utf-8")
        try:
            _verify(query, text, secrets, now())
            handler = handlers.get(query.get("method", ""))
            if handler is None:
                raise FopFault(wire.NO_METHOD, f"method {query.get('method')} does not exist")
            try:
                data = json.loads(text) if text else {}
            except ValueError:
                raise FopFault(wire.BAD_DATA, "the body is not JSON") from None
            return succeeded(handler(data if isinstance(data, dict) else {}))
        except FopFault as fault:
            return failed(fault.code, fault.message)
        except Refused as refused:
            return failed(REFUSALS[refused.kind], refused.message)

    return sim


create_simulator = create_app


def _advancer(clock: Callable[[], datetime], state: OverseasState) -> Callable[[timedelta], None]:
    def advance(by: timedelta) -> None:
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs the simulator's ManualClock")
        clock.tick(by)
        state.sync()

    return advance


def _verify(query: Mapping[str, str], body: str, secrets: Mapping[str, str], now: datetime) -> None:
    if query.get("app_key") != secrets["app_key"]:
        raise FopFault(wire.KEY_INVALID, "app_key is invalid")
    if not sign_matches(query, body, secrets["app_secret"]):
        raise FopFault(wire.SIGN_INVALID, "sign is invalid")
    try:
        sent = datetime.fromtimestamp(int(query.get("timestamp", "")) / 1000, now.tzinfo)
    except ValueError:
        raise FopFault(wire.TIME_SKEW, "timestamp is not epoch milliseconds") from None
    if abs(sent - now) > SKEW:
        raise FopFault(wire.TIME_SKEW, "timestamp is outside 10 minutes")


def _millis(at: datetime | None) -> int | None:
    return int(at.timestamp() * 1000) if at else None


def _outbound(order: SimOrder) -> dict[str, Any]:
    return {
        "consignment_no": order.number,
        "ref_no": order.reference,
        "4px_tracking_no": f"4PX{order.number}",
        "from_warehouse_code": order.warehouse,
        "status": STATUS[order.status],
        "consignment_type": "S",
        "logistics_product_code": order.method,
        "carrier_code": "USPS" if order.tracking else None,
        "shipping_no": order.tracking,
        "create_time": _millis(order.created_at),
        "complete_time": _millis(order.shipped_at),
        "country": order.ship_to.get("country"),
        "outboundlist_sku": [
            {"sku_code": s, "qty": q, "stock_quality": "G"} for s, q in order.lines
        ],
    }


def _handlers(state: OverseasState) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def create(data: dict[str, Any]) -> Any:
        desc = data.get("oconsignment_desc") or {}
        for required in ("country", "city", "street", "first_name"):
            if not desc.get(required):
                raise FopFault(wire.BAD_DATA, f"oconsignment_desc.{required} is required")
        if data.get("consignment_type") != "S":
            raise FopFault(wire.BAD_DATA, "only consignment_type S is simulated")
        lines = [
            (str(s.get("sku_code")), int(s.get("qty") or 0))
            for s in data.get("oconsignment_sku") or []
        ]
        order = state.create(
            reference=str(data.get("ref_no") or ""),
            warehouse=str(data.get("from_warehouse_code") or ""),
            method=str(
                (data.get("logistics_service_info") or {}).get("logistics_product_code") or ""
            ),
            lines=lines,
            ship_to={"country": str(desc["country"])},
        )
        return {"consignment_no": order.number, "4px_tracking_no": f"4PX{order.number}"}

    def listing(data: dict[str, Any]) -> Any:
        state.sync()
        found = [
            _outbound(o)
            for o in state.orders.values()
            if (not data.get("ref_no") or o.reference == data["ref_no"])
            and (not data.get("consignment_no") or o.number == data["consignment_no"])
        ]
        return {"page_no": 1, "page_size": len(found), "total": 1, "data": found}

    def cancel(data: dict[str, Any]) -> Any:
        order = (
            state.find(number=str(data.get("consignment_no") or ""))
            if data.get("consignment_no")
            else state.find(reference=str(data.get("ref_no") or ""))
        )
        if data.get("cancel_type") not in ("AP", "RO", "OS", "BC", "CF", "OT"):
            raise FopFault(wire.BAD_DATA, "cancel_type is not one of AP, RO, OS, BC, CF, OT")
        state.cancel(order)
        return {"consignment_no": order.number, "status": "X", "ref_no": order.reference}

    def track(data: dict[str, Any]) -> Any:
        number = str(data.get("deliveryOrderNo") or "")
        for order in state.orders.values():
            if order.tracking == number:
                scans = order.scans(state.clock(), state.stage)
                return {
                    "deliveryOrderNo": number,
                    "destinationCountry": order.ship_to.get("country"),
                    "trackingList": [
                        {
                            "businessLinkCode": SCAN_CODES[name],
                            "occurDatetime": at.astimezone(CHINA).strftime(TIMESTAMP_FORMAT),
                            "occurLocation": "Los Angeles",
                            "trackingContent": name.replace("_", " "),
                        }
                        for name, at in reversed(scans)
                    ],
                }
        raise Refused("not_found", f"no parcel {number}")

    def inventory(data: dict[str, Any]) -> Any:
        wanted = set(data.get("lstsku") or [])
        rows = [
            {
                "warehouse_code": data.get("warehouse_code"),
                "sku_code": sku,
                "available_stock": available,
                "pending_stock": reserved,
                "onway_stock": 0,
                "stock_quality": "G",
            }
            for sku, on_hand, available, reserved in state.levels(
                str(data.get("warehouse_code") or "")
            )
            if not wanted or sku in wanted
        ]
        size = int(data.get("page_size") or 50)
        page = int(data.get("page_no") or 1)
        pages = max(1, -(-len(rows) // size))
        return {
            "page_no": page,
            "page_size": size,
            "total": pages,
            "data": rows[(page - 1) * size : page * size],
        }

    def billing(data: dict[str, Any]) -> Any:
        order = (
            state.find(reference=str(data.get("ref_no") or ""))
            if data.get("ref_no")
            else state.find(number=str(data.get("consignment_no") or ""))
        )
        return {
            "billinglist": [
                {
                    "consignment_no": order.number,
                    "billing_type": "101" if code == "handling" else "102",
                    "deduction_type": "D",
                    "billing_date": order.shipped_at.strftime("%Y-%m-%d")
                    if order.shipped_at
                    else None,
                    "currency": currency,
                    "billing_amount": str(amount),
                }
                for code, amount, currency in order.fees
            ]
        }

    return {
        wire.CREATE: create,
        wire.LIST: listing,
        wire.CANCEL: cancel,
        wire.TRACK: track,
        wire.INVENTORY: inventory,
        wire.BILLING: billing,
    }
