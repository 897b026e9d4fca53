"""The Temu simulator's gateway checks and the business types it dispatches to."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from channelhub.mappings.temu import compute_sign
from channelhub.simulators.base import Simulator
from channelhub.simulators.temu.data import TemuShop
from channelhub.simulators.throttle import SimLimit

ROUTER_PATH = "/openapi/router"
LIMITS = {"router": SimLimit(rate=20, burst=20)}
SKEW = 300
MAX_PAGE = 100

Handler = Callable[[TemuShop, dict[str, Any], int], "Result"]
Result = tuple[int, str, Any]  # errorCode, errorMsg, result


def answer(code: int, message: str, result: Any = None) -> JSONResponse:
    """Temu answers HTTP 200 for gateway and business errors alike; ``success`` tells."""
    body: dict[str, Any] = {
        "success": code == 1_000_000,
        "errorCode": code,
        "errorMsg": message,
        "requestId": f"us-{secrets.token_hex(8)}",
    }
    if result is not None:
        body["result"] = result
    return JSONResponse(body)


def _gateway(shop: TemuShop, body: Mapping[str, Any], now: int) -> tuple[int, str] | None:
    """The common-parameter checks, in the gateway's order (error codes from the transcript)."""
    if not body.get("type"):
        return 3_000_002, "there is no type in body."
    if "timestamp" not in body:
        return 3_000_010, "there is no timestamp in body."
    if "data_type" not in body:
        return 3_000_013, "there is no data_type in body."
    if str(body["data_type"]).lower() != "json":
        return 3_000_014, "data_type is invalid"
    app_key = body.get("app_key")
    if not app_key:
        return 3_000_025, "there is no app_key in body."
    if app_key not in shop.apps:
        return 3_000_026, "app_key not exists."
    token = body.get("access_token")
    if not token:
        return 3_000_030, "there is no access_token in body."
    if token not in shop.tokens:
        return 3_000_031, "access_token not exists."
    owner, _mall, expires = shop.tokens[token]
    if owner != app_key:
        return 3_000_033, "access_token and app_key are not mapping."
    if expires <= now:
        return (
            3_000_034,
            "access_token is expired or have been refreshed, please contact seller to share "
            "the new access_token with you.",
        )
    if not body.get("sign"):
        return 3_000_040, "there is no sign in body."
    if not secrets.compare_digest(str(body["sign"]), compute_sign(body, shop.apps[app_key])):
        return 3_000_001, "SIGN_UNVALID"
    try:
        stamp = int(str(body["timestamp"]))
    except ValueError:
        return 3_000_011, "timestamp is invalid."
    if stamp > now + SKEW:
        return 3_000_011, "timestamp is invalid."
    if stamp < now - SKEW:
        return 3_000_012, "timestamp is expired."
    return None


def _page(body: Mapping[str, Any], number_key: str) -> tuple[int, int] | None:
    number, size = body.get(number_key, 1), body.get("pageSize", 10)
    if (
        not isinstance(number, int)
        or not isinstance(size, int)
        or number < 1
        or not 1 <= size <= MAX_PAGE
    ):
        return None
    return number, size


def order_list(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    page = _page(body, "pageNumber")
    start, end = body.get("updateAtStart"), body.get("updateAtEnd")
    if page is None or (start is None) != (end is None):
        return 3_000_000, "BAD_PARAMS", None
    groups = list(shop.parents.values())
    if start is not None:
        groups = [g for g in groups if start <= g["parentOrderMap"]["updateTime"] <= end]
    groups.sort(
        key=lambda g: (
            -g["parentOrderMap"]["parentOrderTime"],
            g["parentOrderMap"]["parentOrderSn"],
        )
    )
    number, size = page
    items = [
        {
            "parentOrderMap": {
                k: v for k, v in g["parentOrderMap"].items() if k != "latestDeliveryTime"
            },
            "orderList": [_list_child(c) for c in g["orderList"]],
        }
        for g in groups[(number - 1) * size : number * size]
    ]
    return 1_000_000, "", {"totalItemNum": len(groups), "pageItems": items}


def _list_child(child: Mapping[str, Any]) -> dict[str, Any]:
    keep = (
        "orderSn",
        "goodsId",
        "goodsName",
        "skuId",
        "orderStatus",
        "quantity",
        "fulfillmentType",
    )
    return {k: child[k] for k in keep}


def order_detail(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    sn = body.get("parentOrderSn")
    if not isinstance(sn, str) or not sn:
        return 3_000_000, "BAD_PARAMS", None
    group = shop.parents.get(sn)
    if group is None:
        return 140_020_002, "Order not found", None
    parent = {k: v for k, v in group["parentOrderMap"].items() if k != "updateTime"}
    return 1_000_000, "", {"parentOrderMap": parent, "orderList": group["orderList"]}


def goods_list(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    page = _page(body, "pageNo")
    if page is None or "goodsSearchType" not in body or "goodsStatusFilterType" not in body:
        return 150_010_003, "Invalid Request Parameters", None
    number, size = page
    goods = sorted(shop.goods.values(), key=lambda g: g["goodsId"])
    return (
        1_000_000,
        "",
        {
            "goodsList": goods[(number - 1) * size : number * size],
            "pageNo": number,
            "total": len(goods),
        },
    )


def stock_edit(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    goods = shop.goods.get(body.get("goodsId"))  # type: ignore[arg-type]
    targets = body.get("skuStockTargetList")
    if goods is None or not isinstance(targets, list) or not targets:
        return 150_010_003, "Invalid Request Parameters", None
    by_id = {s["skuId"]: s for s in goods["skuInfoList"]}
    for target in targets:
        if (
            not isinstance(target, dict)
            or target.get("skuId") not in by_id
            or not isinstance(target.get("stockTarget"), int)
            or target["stockTarget"] < 0
        ):
            return 150_010_003, f"Invalid Request Parameters: {target!r}", None
    for target in targets:
        by_id[target["skuId"]]["quantity"] = target["stockTarget"]
    goods["quantity"] = sum(s["quantity"] for s in goods["skuInfoList"])
    return 1_000_000, "", {"isSuccess": True}


def shipment_confirm(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    requests = body.get("sendRequestList")
    if not isinstance(requests, list) or not requests or "sendType" not in body:
        return 3_000_000, "BAD_PARAMS", None
    plan = []
    for package in requests:
        if (
            not isinstance(package, dict)
            or not package.get("carrierId")
            or not package.get("trackingNumber")
        ):
            return 3_000_000, "BAD_PARAMS", None
        for info in package.get("orderSendInfoList") or []:
            group = shop.parents.get(info.get("parentOrderSn"))
            child = next(
                (
                    c
                    for c in (group or {}).get("orderList", [])
                    if c["orderSn"] == info.get("orderSn")
                ),
                None,
            )
            if (
                group is None
                or child is None
                or child["goodsId"] != info.get("goodsId")
                or child["skuId"] != info.get("skuId")
            ):
                return (
                    7_000_000,
                    f"order {info.get('orderSn')} not found in {info.get('parentOrderSn')}",
                    None,
                )
            if child["orderStatus"] != 2:
                return (
                    7_000_000,
                    f"order {child['orderSn']} cannot be shipped in status {child['orderStatus']}",
                    None,
                )
            plan.append((group, child, package))
    for group, child, package in plan:
        child["orderStatus"] = 4
        child["orderShippingTime"] = now
        child["packageSnInfo"].append(
            {
                "packageSn": f"PK-{package['trackingNumber']}",
                "packageDeliveryType": 1,
                "callSuccess": True,
            }
        )
        statuses = {c["orderStatus"] for c in group["orderList"]}
        group["parentOrderMap"]["parentOrderStatus"] = 4 if statuses == {4} else 41
        group["parentOrderMap"]["updateTime"] = now
        group["parentOrderMap"]["parentShippingTime"] = now
        shop.shipments.append(
            {
                "orderSn": child["orderSn"],
                "carrierId": package["carrierId"],
                "trackingNumber": package["trackingNumber"],
            }
        )
    return 1_000_000, "", {"result": True}


def shipping_info(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    """The ship-to of one parent order; cooperative-warehouse parents have none for us."""
    sn = body.get("parentOrderSn")
    if not isinstance(sn, str) or sn not in shop.parents:
        return 180_020_003, "Invalid param", None
    if sn in shop.shipping_info_errors:
        code, message = shop.shipping_info_errors[sn]
        return code, message, None
    if sn not in shop.addresses:
        return 180_020_004, "Invalid business type", None
    return 1_000_000, "", dict(shop.addresses[sn])


def token_info(shop: TemuShop, body: dict[str, Any], now: int) -> Result:
    _app, mall, expires = shop.tokens[body["access_token"]]
    return (
        1_000_000,
        "",
        {"mallId": mall, "regionId": 211, "expiredTime": expires, "apiScopeList": sorted(HANDLERS)},
    )


HANDLERS: dict[str, Handler] = {
    "bg.order.list.v2.get": order_list,
    "bg.order.detail.v2.get": order_detail,
    "bg.order.shippinginfo.v2.get": shipping_info,
    "bg.local.goods.list.query": goods_list,
    "bg.local.goods.stock.edit": stock_edit,
    "bg.logistics.shipment.confirm": shipment_confirm,
    "bg.open.accesstoken.info.get": token_info,
}


def install_router(sim: Simulator, shop: TemuShop, *, now: Callable[[], datetime]) -> None:
    @sim.app.post(ROUTER_PATH)
    async def router(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return answer(3_000_000, "BAD_PARAMS")
        if not isinstance(body, dict):
            return answer(3_000_000, "BAD_PARAMS")
        clock = int(now().timestamp())
        refused = _gateway(shop, body, clock)
        if refused is not None:
            return answer(*refused)
        if sim.bucket(str(body["app_key"]), "router").take() > 0:
            shop.rate_limited += 1
            return answer(4_000_004, "RATE_LIMIT_EXCEED_EXCEPTION")
        handler = HANDLERS.get(str(body["type"]))
        if handler is None:
            return answer(3_000_003, "type not exists")
        code, message, result = handler(shop, body, clock)
        return answer(code, message, result)
