"""Goodcang 谷仓 answers -> the hub's values (contract unverified: field tables in
``contracts/wms/goodcang/order.md`` and ``inventory.md``).

Goodcang writes numbers as JSON numbers or as text (``"sellable": "10335"``) and dates as
``YYYY-MM-DD HH:MM:SS`` without a zone. The tracking table names ``utc_time`` beside
``date_time`` (Beijing time), so the order dates are read as Beijing time (UTC+8) too --
guessed. A code nobody mapped is kept raw: an order status as a problem, a tracking code as
``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import (
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.core.validation import build
from channelhub.mappings.carriers import canonical_carrier_or_raw
from channelhub.mappings.warehouse_stock import StockRows, WarehouseStock

SOURCE = "goodcang"
BEIJING = timezone(timedelta(hours=8))
S = TrackingStatus

#: ``order_status`` -> state (order.md, OrderItemComposite).
ORDER_STATES: Mapping[str, OutboundState] = {
    "C": OutboundState.ACCEPTED,  # 待发货审核 awaiting release
    "H": OutboundState.ACCEPTED,  # 暂存 draft (the hub creates with verify=1)
    "W": OutboundState.PICKING,  # 待发货 in the warehouse's hands
    "D": OutboundState.SHIPPED,  # 已发货
    "N": OutboundState.REJECTED,  # 异常订单 (abnormal_problem_reason says why)
    "P": OutboundState.REJECTED,  # 问题件
    "X": OutboundState.CANCELLED,  # 废弃
}
FINAL_STATUSES = frozenset({"D", "X"})

#: TMS track codes (order.md, 轨迹代码映射) -> canonical status.
TRACK_CODES: Mapping[str, TrackingStatus] = {
    "TMS_NTI": S.UNKNOWN,  # 查无轨迹 no track yet
    "TMS_OC": S.INFO_RECEIVED,  # 订单创建
    "TMS_AS": S.INFO_RECEIVED,  # 预上网
    "TMS_PU": S.IN_TRANSIT,  # 揽件完毕
    "TMS_IT": S.IN_TRANSIT,  # 运输中
    "TMS_OD": S.OUT_FOR_DELIVERY,  # 派送中
    "TMS_WPU": S.AVAILABLE_FOR_PICKUP,  # 到达目的地, 等待客户上门取件
    "TMS_RT": S.RETURNED,  # 退回寄放
    "TMS_EXCP": S.EXCEPTION,  # 轨迹异常
    "TMS_FD": S.DELIVERED,  # 派送完毕
    "TMS_DF": S.DELIVERY_FAILED,  # 投递未遂
    "TMS_UN": S.UNKNOWN,  # 无法匹配
    "TMS_NP": S.UNKNOWN,  # 未变化
    "TMS_YD": S.OUT_FOR_DELIVERY,  # 预签收 (pre-signed; guessed)
}
FEE_PARTS = ("SHIPPING", "OPF", "FSC", "DT", "RSF", "OTF")


def _obj(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput.field(where, value, "is not an object", source=SOURCE)
    return value


def _text(
    node: Mapping[str, Any], key: str, limit: int = strict.NAME_CHARS, *, at: str = ""
) -> str | None:
    """``node[key]`` as text (None when absent or blank); ``at``: where ``node`` sits."""
    value, field = node.get(key), f"{at}.{key}" if at else key
    if value is None:
        return None
    if not isinstance(value, str | int):
        raise InvalidInput.field(field, value, "is not text", source=SOURCE)
    text = str(value).strip()
    if len(text) > limit:
        raise InvalidInput.field(field, value, f"is longer than {limit} characters", source=SOURCE)
    return text or None


def _count(node: Mapping[str, Any], key: str, *, at: str = "") -> int:
    """``node[key]`` as a stock count (0 when absent); ``at``: where ``node`` sits."""
    value = node.get(key)
    if value is None or value == "":
        return 0
    field = f"{at}.{key}" if at else key
    return strict.whole(value, field, maximum=strict.MAX_STOCK, source=SOURCE)


def when(value: object, where: str, zone: timezone = BEIJING) -> datetime | None:
    """``2021-04-21 15:18:50`` in ``zone`` as UTC; empty, null or all-zero dates are None."""
    if value is None or value in ("", "null") or str(value).startswith("0000"):
        return None
    try:
        parsed = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise InvalidInput.field(
            where, value, "is not a YYYY-MM-DD HH:MM:SS time", source=SOURCE
        ) from None
    return parsed.replace(tzinfo=zone).astimezone(UTC)


def order_data(payload: object) -> Mapping[str, Any]:
    """The order (``data``) of a successful get_order_by_ref_code / get_order_by_code."""
    return _obj(_obj(payload, "").get("data"), "data")


def status_of(order: Mapping[str, Any]) -> str:
    return str(order.get("order_status") or "")


def order_state(order: Mapping[str, Any]) -> OutboundState:
    status = status_of(order)
    return ORDER_STATES.get(status, OutboundState.ACCEPTED)


def order_problem(order: Mapping[str, Any]) -> str | None:
    """What a person must see: Goodcang's reason for an abnormal or problem order, or a
    status nobody mapped."""
    status = status_of(order)
    reason = _text(order, "abnormal_problem_reason", strict.NOTE_CHARS)
    if status in ("N", "P"):
        kind = "abnormal order (异常订单)" if status == "N" else "problem order (问题件)"
        return f"Goodcang {kind}" + (f": {reason}" if reason else "")
    if status not in ORDER_STATES:
        return f"Goodcang order status {status!r} is not known to the hub"
    return None


def shipment_from(
    order: Mapping[str, Any], *, warehouse: str, outbound_key: str
) -> Shipment | None:
    """The shipment of a shipped (``D``) order: one package per box with a tracking number
    (``orderBoxInfo``), else one package with the order's ``tracking_no``; None before."""
    if status_of(order) != "D":
        return None
    code = _text(order, "order_code", strict.ID_CHARS)
    if code is None:
        raise InvalidInput.field("order_code", None, "is missing", source=SOURCE)
    shipped = when(order.get("date_shipping"), "date_shipping") or when(
        order.get("date_modify"), "date_modify"
    )
    if shipped is None:
        raise InvalidInput.field("date_shipping", None, "is missing", source=SOURCE)
    method = _text(order, "shipping_method", strict.CODE_CHARS) or "goodcang"
    carrier = canonical_carrier_or_raw(method)
    lines = tuple(
        PackageLine(
            sku=str(_obj(item, "items[]").get("product_sku")),
            quantity=strict.quantity(item.get("quantity"), "items[].quantity", minimum=1),
            order_line_id=_text(item, "item_id"),
        )
        for item in order.get("items") or []
    )
    boxes = [_obj(b, "orderBoxInfo[]") for b in order.get("orderBoxInfo") or []]
    numbers = [n for n in (_text(b, "tracking_number", 100) for b in boxes) if n]
    if not numbers and (single := _text(order, "tracking_no", 100)):
        numbers = [single]
    if not numbers:
        raise InvalidInput.field(
            "tracking_no", None, "is missing on a shipped order", source=SOURCE
        )
    weight = Decimal(str(order.get("order_weight") or 0)) * 1000
    packages = tuple(
        build(
            Package,
            source=SOURCE,
            package_id=None,
            tracking_number=number,
            carrier=carrier,
            service=method,
            lines=lines if index == 0 else (),
            weight_grams=int(weight) if len(numbers) == 1 and weight > 0 else None,
        )
        for index, number in enumerate(dict.fromkeys(numbers))
    )
    return build(
        Shipment,
        source=SOURCE,
        outbound_key=outbound_key,
        warehouse=warehouse,
        warehouse_order_id=code,
        shipment_id=code,
        shipped_at=shipped,
        packages=packages,
    )  # no costs: the fees go to the money ledger (mappings.goodcang.fees)


def tracking_events(payload: object, *, carriers: Mapping[str, str]) -> list[TrackingEvent]:
    """Every event of every trajectory in a batch_query_tracking_status answer. The items are
    ``item`` in the example and the SDK, ``status_list`` in the table: both are read.
    ``carriers``: tracking number -> the carrier the hub knows the package by."""
    events: list[TrackingEvent] = []
    for order in _obj(payload, "").get("data") or []:
        order = _obj(order, "data[]")
        channel = _text(order, "code", strict.CODE_CHARS) or "goodcang"
        for trajectory in order.get("trajectory_information") or []:
            trajectory = _obj(trajectory, "trajectory_information[]")
            number = _text(trajectory, "tracking_number", 100)
            if number is None:
                continue
            carrier = carriers.get(number) or canonical_carrier_or_raw(channel)
            for item in trajectory.get("item") or trajectory.get("status_list") or []:
                item = _obj(item, "item[]")
                raw = _text(item, "code", strict.CODE_CHARS) or "TMS_UN"
                at = when(item.get("utc_time"), "utc_time", UTC) or when(
                    item.get("date_time"), "date_time"
                )
                if at is None:
                    raise InvalidInput.field("utc_time", None, "is missing", source=SOURCE)
                events.append(
                    build(
                        TrackingEvent,
                        source=SOURCE,
                        tracking_number=number,
                        carrier=carrier,
                        status=TRACK_CODES.get(raw, S.UNKNOWN),
                        raw_code=raw,
                        description=_text(item, "info", strict.NOTE_CHARS)
                        or _text(item, "code_info"),
                        location=_text(item, "location"),
                        occurred_at=at,
                    )
                )
    return events


#: where an inventory page keeps its rows, and the row fields naming its SKU and warehouse
STOCK_ROWS = "data"
STOCK_SKU = "product_sku"
STOCK_WAREHOUSE = "warehouse_code"


def inventory_rows(payload: object) -> tuple[list[Any], int]:
    """The rows of one get_product_inventory page as sent (each read by :func:`stock_row`,
    so one bad row is set aside alone) and the ``count`` of all rows; a page whose own shape
    is wrong raises."""
    root = _obj(payload, "")
    rows = root.get(STOCK_ROWS) or []
    if not isinstance(rows, list):
        raise InvalidInput.field(STOCK_ROWS, rows, "is not a list of stock rows", source=SOURCE)
    return rows, _count(root, "count")


def stock_row(row: object, where: str) -> WarehouseStock:
    """One inventory row: on hand = sellable + reserved (待出库: still on the shelf),
    available = sellable, inbound = onway; ``warehouse`` is Goodcang's warehouse_code."""
    found = _obj(row, where)
    sku = _text(found, STOCK_SKU, strict.SKU_CHARS, at=where)
    code = _text(found, STOCK_WAREHOUSE, strict.CODE_CHARS, at=where)
    if sku is None or code is None:
        raise InvalidInput.field(
            where, row, f"has no {STOCK_SKU} or {STOCK_WAREHOUSE}", source=SOURCE
        )
    sellable, reserved = _count(found, "sellable", at=where), _count(found, "reserved", at=where)
    onway = _count(found, "onway", at=where)
    return WarehouseStock(sku, sellable + reserved, sellable, reserved, onway, warehouse=code)


#: a get_product_inventory page, read row by row (one page lists every asked warehouse)
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row, warehouse_field=STOCK_WAREHOUSE)
