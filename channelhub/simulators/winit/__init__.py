"""The WINIT 万邑通 simulator: one signed gateway, WINIT's envelope and (guessed) codes.

``POST /openapi/service`` with the JSON body the SDK sends; both ``sign`` (token) and
``client_sign`` (client secret) are verified (:mod:`channelhub.mappings.winit.signing`), the
timestamp must be within 10 minutes of the simulator's clock (China time). Answers are HTTP 200
``{"code", "msg", "data"}``: ``"0"`` success, otherwise a code of
:mod:`channelhub.mappings.winit.wire` (bad signature, unknown action, duplicate sellerOrderNo,
too late to void...); throttling is the same envelope with code 429. Actions: those the
connector uses (``wire.ACTIONS``). The warehouse behind: :mod:`channelhub.simulators.overseas`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, Response

from channelhub.mappings.winit import wire
from channelhub.mappings.winit.signing import CHINA, TIMESTAMP_FORMAT, signs_match
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

DEFAULT_CREDENTIALS = {
    "app_key": "seller@example.com",
    "token": "winit-sim-token",
    "client_id": "winit-sim-client",
    "client_secret": "winit-sim-secret",
    "platform": "SIMAPP",
}
US_WAREHOUSE, DE_WAREHOUSE = "1000008", "1000069"
METHODS = ("1000001", "1000002")
DEFAULT_STOCK = {
    US_WAREHOUSE: {"MUG-RED": 50, "TEE-M": 20},
    DE_WAREHOUSE: {"MUG-RED": 10, "TEE-M": 10},
}
SIMULATOR_INFO = SimulatorInfo(
    platform="winit",
    account="my-winit",
    credentials=DEFAULT_CREDENTIALS,
    settings={
        "warehouse_codes": f"WINIT-US:{US_WAREHOUSE},WINIT-DE:{DE_WAREHOUSE}",
        "default_shipping_method": METHODS[0],
    },
    served={"clock": wall_clock, "stage": SERVED_STAGE_AFTER},
)
STATUS = {ACCEPTED: "WP", PICKING: "PK", PACKED: "PC", SHIPPED: "DLC", CANCELLED: "VO"}
SCAN_CODES = {
    "info_received": "IR",
    "in_transit": "IT",
    "out_for_delivery": "OD",
    "delivered": "DL",
}
REFUSALS = {
    "bad_data": wire.BAD_DATA,
    "stock": wire.BAD_DATA,
    "duplicate": wire.DUPLICATE,
    "not_found": wire.NOT_FOUND,
    "too_late": wire.TOO_LATE,
}
SKEW = timedelta(minutes=10)


class WinitFault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def envelope(code: str, msg: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "data": data})


def _when(at: datetime | None) -> str | None:
    return at.astimezone(CHINA).strftime(TIMESTAMP_FORMAT) if at else None


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
    """A WINIT simulator (ASGI app); ``sim.state`` is its :class:`OverseasState`."""
    now = clock or ManualClock()
    state = OverseasState(
        clock=now,
        stock=DEFAULT_STOCK if stock is None else stock,
        methods=METHODS,
        prefix="WO",
        stage=stage,
    )
    secrets = {**DEFAULT_CREDENTIALS, **(credentials or {})}
    sim = Simulator(
        platform="winit",
        seed=seed,
        limits={"gateway": rate},
        throttled=lambda request, op, wait: envelope(
            wire.THROTTLED, "请求过于频繁 too many requests"
        ),
        error_response=lambda status: JSONResponse(
            {"code": wire.BUSY, "msg": "系统繁忙"}, status_code=status
        ),
        caller_key=lambda request: "app",
        clock=lambda: now().timestamp(),
        in_process=in_process,
    )
    sim.faults.update(error_rate=error_rate)
    sim.state = state  # type: ignore[attr-defined]
    sim.advance = _advancer(now, state)  # type: ignore[attr-defined]
    handlers = _handlers(state)

    @sim.app.post("/openapi/service", dependencies=[Depends(sim.limit("gateway"))])
    async def service(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except ValueError:
            return envelope(wire.BAD_DATA, "请求体不是JSON body is not JSON")
        try:
            _verify(body, secrets, now())
            handler = handlers.get(str(body.get("action")))
            if handler is None:
                raise WinitFault(
                    wire.NO_ACTION, f"action {body.get('action')} 不存在 does not exist"
                )
            data = body.get("data")
            return envelope("0", "操作成功", handler(data if isinstance(data, dict) else {}))
        except WinitFault as fault:
            return envelope(fault.code, fault.message)
        except Refused as refused:
            return envelope(REFUSALS[refused.kind], refused.message)

    return sim


create_simulator = create_app


def _advancer(clock: Callable[[], datetime], state: OverseasState) -> Callable[[timedelta], None]:
    def advance(by: timedelta) -> None:
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs the simulator's ManualClock")
        clock.tick(by)
        state.sync()

    return advance


def _verify(body: Mapping[str, Any], secrets: Mapping[str, str], now: datetime) -> None:
    if body.get("app_key") != secrets["app_key"] or body.get("platform") != secrets["platform"]:
        raise WinitFault(wire.TOKEN_INVALID, "app_key 或 platform 无效 unknown app_key or platform")
    if not signs_match(body, token=secrets["token"], client_secret=secrets["client_secret"]):
        raise WinitFault(wire.SIGN_INVALID, "签名错误 sign is invalid")
    try:
        sent = datetime.strptime(str(body.get("timestamp")), TIMESTAMP_FORMAT).replace(tzinfo=CHINA)
    except ValueError:
        raise WinitFault(wire.TIME_SKEW, "timestamp 格式错误 is not yyyy-MM-dd HH:mm:ss") from None
    if abs(sent - now) > SKEW:
        raise WinitFault(wire.TIME_SKEW, "timestamp 已过期 is outside 10 minutes")


def _listed(order: SimOrder) -> dict[str, Any]:
    return {
        "documentNo": order.number,
        "sellerOrderNo": order.reference,
        "status": STATUS[order.status],
        "warehouseId": int(order.warehouse),
        "deliverywayId": int(order.method),
        "trackingNo": order.tracking,
    }


def _detail(order: SimOrder) -> dict[str, Any]:
    packages = []
    if order.tracking:
        packages.append(
            {
                "packageNum": f"{order.number}-1",
                "trackingNos": [order.tracking],
                "status": "DLC",
                "outboundDate": _when(order.shipped_at),
                "weight": 0.8,
                "merchandiseList": [{"productCode": s, "productNum": q} for s, q in order.lines],
            }
        )
    return {
        "outboundOrderNum": order.number,
        "sellerOrderNo": order.reference,
        "status": STATUS[order.status],
        "warehouseId": order.warehouse,
        "deliverywayId": int(order.method),
        "deliverywayName": "Standard" if order.method == METHODS[0] else "Express",
        "carrier": "USPS" if order.tracking else None,
        "trackingNum": order.tracking,
        "outboundDate": _when(order.shipped_at),
        "orderedTime": _when(order.created_at),
        "recipientName": order.ship_to.get("recipientName"),
        "state": order.ship_to.get("state"),
        "packageList": packages,
    }


def _handlers(state: OverseasState) -> dict[str, Callable[[dict[str, Any]], Any]]:
    def create(data: dict[str, Any]) -> Any:
        if data.get("repeatable") == "Y":
            raise WinitFault(wire.BAD_DATA, "repeatable Y is not simulated")
        lines = []
        for item in data.get("productList") or []:
            lines.append((str(item.get("productCode")), int(item.get("productNum") or 0)))
        for required in ("recipientName", "address1", "city", "state"):
            if not data.get(required):
                raise WinitFault(wire.BAD_DATA, f"{required} 不能为空 is required")
        order = state.create(
            reference=str(data.get("sellerOrderNo") or ""),
            warehouse=str(data.get("warehouseID") or ""),
            method=str(data.get("deliveryWayID") or ""),
            lines=lines,
            ship_to={k: str(data[k]) for k in ("recipientName", "state") if k in data},
        )
        return {"orderNo": order.number, "splitType": "NONE", "orderNoList": [order.number]}

    def listing(data: dict[str, Any]) -> Any:
        state.sync()
        found = [
            _listed(o)
            for o in state.orders.values()
            if not data.get("sellerOrderNo") or o.reference == data["sellerOrderNo"]
        ]
        return {
            "currentPageNum": 1,
            "currentPageSize": len(found),
            "total": len(found),
            "list": found,
        }

    def detail(data: dict[str, Any]) -> Any:
        order = state.find(number=str(data.get("outboundOrderNum") or ""))
        return {"currentPageNum": 1, "currentPageSize": 1, "total": 1, "list": [_detail(order)]}

    def void(data: dict[str, Any]) -> Any:
        state.cancel(state.find(number=str(data.get("outboundOrderNum") or "")))
        return "作废成功"

    def track(data: dict[str, Any]) -> Any:
        order = state.find(number=str(data.get("outboundNum") or ""))
        if data.get("trackingNum") and data["trackingNum"] != order.tracking:
            raise Refused("not_found", f"no parcel {data['trackingNum']}")
        return [
            {
                "scanlocation": "Los Angeles, CA",
                "scandateTime": _when(at),
                "trackingmess": name.replace("_", " "),
                "status": SCAN_CODES[name],
            }
            for name, at in order.scans(state.clock(), state.stage)
        ]

    def inventory(data: dict[str, Any]) -> Any:
        rows = [
            {
                "productCode": sku,
                "warehouseId": data.get("warehouseId"),
                "inStockQty": on_hand,
                "qtyAvailable": available,
                "qtyWaitOut": reserved,
            }
            for sku, on_hand, available, reserved in state.levels(
                str(data.get("warehouseId") or "")
            )
            if not data.get("productCode") or sku == data["productCode"]
        ]
        size = int(data.get("pageSize") or 100)
        start = (int(data.get("pageNum") or 1) - 1) * size
        page = rows[start : start + size]
        return {
            "page": {"startRow": start, "numRows": len(page), "totalRows": len(rows)},
            "list": page,
        }

    def fees(data: dict[str, Any]) -> Any:
        order = state.find(reference=str(data.get("sellerNo") or ""))
        lines = [
            {
                "chargeCode": code,
                "chargeName": code,
                "sourceAmt": str(amount),
                "sourceCurrency": currency,
            }
            for code, amount, currency in order.fees
        ]
        found = (
            [
                {
                    "businessDocumentNo": order.number,
                    "sellerNo": order.reference,
                    "trackingNo": order.tracking,
                    "incomeSettlementLineVos": lines,
                }
            ]
            if lines
            else []
        )
        return {
            "pageParams": {"pageNo": 1, "pageSize": 200, "totalCount": len(found)},
            "list": found,
        }

    return {
        wire.CREATE: create,
        wire.LIST: listing,
        wire.DETAIL: detail,
        wire.VOID: void,
        wire.TRACK: track,
        wire.INVENTORY: inventory,
        wire.FEES: fees,
    }
