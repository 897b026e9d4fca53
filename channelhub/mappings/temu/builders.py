"""Business parameters of the Temu calls the connector makes (signing adds the common ones).

Contract unverified (no public spec): parameter names and limits follow the transcript in
contracts/temu/ — ``bg.order.list.v2.get`` (pageNumber from 1, pageSize <= 100,
updateAtStart/updateAtEnd in seconds, closed interval), ``bg.order.detail.v2.get``
(parentOrderSn), ``bg.local.goods.list.query`` (pageNo, pageSize <= 100, goodsSearchType,
goodsStatusFilterType) and ``bg.logistics.shipment.confirm`` (sendType + sendRequestList of
packages: carrierId, trackingNumber, orderSendInfoList, as in the signing example).
``bg.local.goods.stock.edit`` is only *named* in the transcript (scope list, "编辑商品库存");
its parameters (goodsId + skuStockTargetList of skuId/stockTarget, an absolute target so a
retry is harmless) are our reading and the least certain part of this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.core.errors import InvalidInput

ORDER_LIST = "bg.order.list.v2.get"
ORDER_DETAIL = "bg.order.detail.v2.get"
ORDER_SHIPPING_INFO = "bg.order.shippinginfo.v2.get"
GOODS_LIST = "bg.local.goods.list.query"
STOCK_EDIT = "bg.local.goods.stock.edit"
SHIPMENT_CONFIRM = "bg.logistics.shipment.confirm"
TOKEN_INFO = "bg.open.accesstoken.info.get"

MAX_PAGE_SIZE = 100
MAX_PARENT_ORDERS_PER_QUERY = 20


def _page(page_number: int, page_size: int, *, number_field: str) -> None:
    if page_number < 1:
        raise InvalidInput.field(number_field, page_number, "must be at least 1 (pages start at 1)")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInput.field("pageSize", page_size, f"must be between 1 and {MAX_PAGE_SIZE}")


def _seconds(value: datetime, field: str) -> int:
    if value.tzinfo is None:
        raise InvalidInput.field(field, value.isoformat(), "has no timezone")
    return int(value.timestamp())


def order_list_params(
    *,
    updated_from: datetime,
    updated_to: datetime,
    page_number: int = 1,
    page_size: int = MAX_PAGE_SIZE,
    fulfillment_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One page of parent orders updated in [updated_from, updated_to] (seconds, inclusive)."""
    _page(page_number, page_size, number_field="pageNumber")
    start = _seconds(updated_from, "updateAtStart")
    end = _seconds(updated_to, "updateAtEnd")
    if end < start:
        raise InvalidInput.field("updateAtEnd", end, f"is before updateAtStart {start}")
    params: dict[str, Any] = {
        "pageNumber": page_number,
        "pageSize": page_size,
        "updateAtStart": start,
        "updateAtEnd": end,
    }
    if fulfillment_types:
        params["fulfillmentTypeList"] = list(fulfillment_types)
    return params


def order_detail_params(parent_order_sn: str) -> dict[str, Any]:
    """One parent order with its child orders."""
    if not parent_order_sn.strip():
        raise InvalidInput.field("parentOrderSn", parent_order_sn, "is empty")
    return {"parentOrderSn": parent_order_sn}


def shipping_info_params(parent_order_sn: str) -> dict[str, Any]:
    """The ship-to address of one parent order (a separate, audited call)."""
    return order_detail_params(parent_order_sn)


def goods_list_params(page_number: int = 1, page_size: int = MAX_PAGE_SIZE) -> dict[str, Any]:
    """One page of on-sale/off-sale goods (goodsSearchType 1)."""
    _page(page_number, page_size, number_field="pageNo")
    return {
        "pageNo": page_number,
        "pageSize": page_size,
        "goodsSearchType": 1,
        "goodsStatusFilterType": 1,
    }


def _long(value: str, field: str) -> int:
    """Temu sends goods/sku ids as LONG numbers; the hub keeps them as text."""
    if not value.isdigit():
        raise InvalidInput.field(field, value, "is not a numeric Temu id")
    return int(value)


def stock_edit_params(goods_id: str, sku_quantities: Mapping[str, int]) -> dict[str, Any]:
    """Set the absolute stock of some SKUs of one goods (see the module note: unverified)."""
    if not sku_quantities:
        raise InvalidInput.field("skuStockTargetList", [], "is empty: nothing to push")
    targets = []
    for sku_id, quantity in sku_quantities.items():
        if quantity < 0:
            raise InvalidInput.field(f"stockTarget[{sku_id}]", quantity, "is negative")
        targets.append({"skuId": _long(sku_id, "skuId"), "stockTarget": quantity})
    return {"goodsId": _long(goods_id, "goodsId"), "skuStockTargetList": targets}


@dataclass(frozen=True)
class TemuPackageLine:
    """One child order (or part of it) inside a package."""

    parent_order_sn: str
    order_sn: str
    goods_id: str
    sku_id: str
    quantity: int


@dataclass(frozen=True)
class TemuPackage:
    """One parcel: the carrier's Temu id, its tracking number and what it holds."""

    carrier_id: str
    tracking_number: str
    lines: tuple[TemuPackageLine, ...]


def shipment_confirm_params(
    packages: Sequence[TemuPackage], *, send_type: int = 0
) -> dict[str, Any]:
    """Confirm shipment of packages (carrier id + tracking number per package).

    Keys are emitted in the order of the documented signing example (the signature covers the
    nested JSON as serialised, so order matters only in that the body must be the signed one).
    """
    if not packages:
        raise InvalidInput.field("sendRequestList", [], "is empty: no package to confirm")
    requests: list[dict[str, Any]] = []
    for index, package in enumerate(packages):
        where = f"sendRequestList[{index}]"
        if not package.carrier_id.strip():
            raise InvalidInput.field(f"{where}.carrierId", package.carrier_id, "is empty")
        if not package.tracking_number.strip():
            raise InvalidInput.field(f"{where}.trackingNumber", package.tracking_number, "is empty")
        if not package.lines:
            raise InvalidInput.field(f"{where}.orderSendInfoList", [], "is empty")
        infos = []
        for line in package.lines:
            if line.quantity < 1:
                raise InvalidInput.field(f"{where}.quantity", line.quantity, "must be at least 1")
            infos.append(
                {
                    "quantity": line.quantity,
                    "orderSn": line.order_sn,
                    "parentOrderSn": line.parent_order_sn,
                    "goodsId": _long(line.goods_id, "goodsId"),
                    "skuId": _long(line.sku_id, "skuId"),
                }
            )
        requests.append(
            {
                "orderSendInfoList": infos,
                "carrierId": package.carrier_id,
                "trackingNumber": package.tracking_number,
            }
        )
    return {"sendRequestList": requests, "sendType": send_type}
