"""WINIT 万邑通 outbound orders, tracking, stock and fees <-> the hub's canonical values.

Contract unverified: field names from the third-party SDK's classes (contracts/wms/winit/);
the status and scan codes below are guessed (the SDK names the fields, not their values) and
are listed in docs/winit-4px.md.

Actions used: ``createOutboundOrder`` (``sellerOrderNo`` = the hub's dispatch id,
``repeatable`` N so WINIT refuses a second order under it), ``queryOutboundOrderList`` (by
``sellerOrderNo``: the read-back), ``queryOutboundOrder`` (one order with its packages),
``voidOutboundOrder``, ``queryTrack``, ``queryProductInventoryList4Page``,
``sms.incomeSettlement.queryOutboundOrderFee``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import (
    OutboundOrder,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from channelhub.mappings.warehouse_refs import seller_reference
from channelhub.mappings.warehouse_stock import StockRows, WarehouseStock, units
from channelhub.mappings.winit.signing import CHINA, TIMESTAMP_FORMAT

CREATE = "createOutboundOrder"
LIST = "queryOutboundOrderList"
DETAIL = "queryOutboundOrder"
VOID = "voidOutboundOrder"
TRACK = "queryTrack"
INVENTORY = "queryProductInventoryList4Page"
FEES = "sms.incomeSettlement.queryOutboundOrderFee"
ACTIONS = (CREATE, LIST, DETAIL, VOID, TRACK, INVENTORY, FEES)
#: envelope codes besides "0" (success). Guessed: the SDK checks only ``code == "0"``; these
#: are what the simulator answers and the connector classifies.
THROTTLED, BUSY = "429", "500"
SIGN_INVALID, TOKEN_INVALID, TIME_SKEW = "100003", "100004", "100005"
NO_ACTION, BAD_DATA, DUPLICATE, NOT_FOUND, TOO_LATE = (
    "100001",
    "200001",
    "200002",
    "200004",
    "200005",
)
#: sellerOrderNo length (guessed: the SDK gives none)
MAX_REFERENCE = 50
PAGE_SIZE = 100

#: outbound status codes (guessed) -> the hub's state
STATES: Mapping[str, OutboundState] = {
    "DR": OutboundState.PENDING,  # 草稿 draft
    "WP": OutboundState.ACCEPTED,  # 待处理 submitted, waiting for the warehouse
    "PK": OutboundState.PICKING,  # 拣货中
    "PC": OutboundState.PACKED,  # 已打包
    "DLC": OutboundState.SHIPPED,  # 已出库 left the warehouse
    "VO": OutboundState.CANCELLED,  # 作废 voided
    "EX": OutboundState.REJECTED,  # 异常 the warehouse cannot ship it
}
#: a void is refused from these on (the warehouse has started)
TOO_LATE_TO_VOID = frozenset({"PK", "PC", "DLC"})
FINAL = frozenset({"DLC", "VO", "EX"})
#: queryTrack ``status`` codes (guessed) -> the tracking vocabulary
SCANS: Mapping[str, TrackingStatus] = {
    "IR": TrackingStatus.INFO_RECEIVED,
    "IT": TrackingStatus.IN_TRANSIT,
    "OD": TrackingStatus.OUT_FOR_DELIVERY,
    "DF": TrackingStatus.DELIVERY_FAILED,
    "DL": TrackingStatus.DELIVERED,
    "EX": TrackingStatus.EXCEPTION,
    "RT": TrackingStatus.RETURNED,
}


def reference_of(idempotency_key: str) -> str:
    """``sellerOrderNo`` of an outbound: the dispatch id (derived when too long)."""
    return seller_reference(idempotency_key, MAX_REFERENCE)


def create_data(order: OutboundOrder, *, warehouse_id: str, delivery_way_id: str) -> dict[str, Any]:
    """``createOutboundOrder`` data (CreateOutboundOrderPayload)."""
    to = order.ship_to
    if not to.line1 or not to.city or not to.name:
        raise InvalidInput.field(
            "ship_to", to.model_dump(exclude_none=True), "needs name, line1 and city"
        )
    data: dict[str, Any] = {
        "warehouseID": warehouse_id,
        "deliveryWayID": delivery_way_id,
        "sellerOrderNo": reference_of(order.idempotency_key),
        "repeatable": "N",
        "storeType": "Other",
        "recipientName": to.name,
        "phoneNum": to.phone,
        "emailAddress": to.email,
        "address1": to.line1,
        "address2": " ".join(p for p in (to.line2, to.line3) if p) or None,
        "city": to.city,
        "region": to.region,
        "state": to.country,  # the SDK: 收件人国家, ISO two-letter code
        "zipCode": to.postal_code,
        "productList": [
            {"productCode": line.sku, "productNum": line.quantity} for line in order.lines
        ],
    }
    return {k: v for k, v in data.items() if v is not None}


def list_data(reference: str) -> dict[str, Any]:
    return {"sellerOrderNo": reference, "pageNum": 1, "pageSize": 10}


def first_listed(data: Any) -> dict[str, Any] | None:
    """The order a ``queryOutboundOrderList`` by sellerOrderNo found (None: no such order)."""
    found = data.get("list") if isinstance(data, dict) else None
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return found[0]
    return None


def order_detail(data: Any) -> dict[str, Any]:
    """The one order of a ``queryOutboundOrder`` answer."""
    found = first_listed(data)
    if found is None:
        raise InvalidInput.field("data.list", data, "holds no outbound order", source="WINIT")
    return found


def state_of(status: object) -> OutboundState:
    """The hub's state of a WINIT status code; an unknown one is refused by name."""
    if isinstance(status, str) and status in STATES:
        return STATES[status]
    raise InvalidInput.field(
        "status", status, f"is not a WINIT outbound status ({', '.join(STATES)})", source="WINIT"
    )


def _when(text: object, field: str) -> datetime:
    if not isinstance(text, str):
        raise InvalidInput.field(field, text, "is not a date", source="WINIT")
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=CHINA)
    except ValueError:
        raise InvalidInput.field(
            field, text, "is not yyyy-MM-dd HH:mm:ss", source="WINIT"
        ) from None


def shipments_of(detail: Mapping[str, Any], *, warehouse: str, outbound_key: str) -> list[Shipment]:
    """One shipment per shipped order (``DLC``): a package per ``packageList`` entry, with the
    last-mile ``carrier`` and its tracking numbers."""
    if detail.get("status") != "DLC":
        return []
    order_no = str(detail.get("outboundOrderNum") or "")
    carrier = str(detail.get("carrier") or detail.get("deliverywayName") or "WINIT")
    packages = []
    for index, node in enumerate(detail.get("packageList") or []):
        if not isinstance(node, dict):
            raise InvalidInput.field(
                f"packageList[{index}]", node, "is not an object", source="WINIT"
            )
        numbers = node.get("trackingNos") or []
        if not numbers or not isinstance(numbers[0], str):
            raise InvalidInput.field(
                f"packageList[{index}].trackingNos", numbers, "is empty", source="WINIT"
            )
        lines = [
            PackageLine(sku=str(m["productCode"]), quantity=int(m["productNum"]))
            for m in node.get("merchandiseList") or []
            if isinstance(m, dict)
        ]
        weight = node.get("weight")
        packages.append(
            Package(
                package_id=str(node.get("packageNum") or numbers[0]),
                tracking_number=numbers[0],
                carrier=carrier,
                service=str(detail.get("deliverywayName") or "") or None,
                lines=tuple(lines),
                weight_grams=int(Decimal(str(weight)) * 1000) if weight is not None else None,
            )
        )
    if not packages:
        raise InvalidInput.field(
            "packageList", detail.get("packageList"), "is empty for a shipped order", source="WINIT"
        )
    return [
        Shipment(
            outbound_key=outbound_key,
            warehouse=warehouse,
            warehouse_order_id=order_no or None,
            shipment_id=f"winit:{order_no}",
            shipped_at=_when(detail.get("outboundDate"), "outboundDate"),
            packages=tuple(packages),
        )
    ]


def problem_of(detail: Mapping[str, Any]) -> str | None:
    """What a person must see: an order WINIT will not ship, in its words."""
    if detail.get("status") == "EX":
        return f"WINIT exception: {detail.get('errorMsg') or detail.get('statusName') or 'EX'}"
    return None


def track_data(*, order_no: str, warehouse_id: str | None, tracking_number: str) -> dict[str, Any]:
    data = {"outboundNum": order_no, "warehouseID": warehouse_id, "trackingNum": tracking_number}
    return {k: v for k, v in data.items() if v}


def tracking_events(data: Any, *, tracking_number: str, carrier: str) -> list[TrackingEvent]:
    """``queryTrack`` -> tracking events (an unknown scan code stays, as ``unknown``)."""
    events = []
    for index, scan in enumerate(data if isinstance(data, list) else []):
        if not isinstance(scan, dict):
            raise InvalidInput.field(f"data[{index}]", scan, "is not a scan", source="WINIT")
        code = str(scan.get("status") or "")
        events.append(
            TrackingEvent(
                tracking_number=tracking_number,
                carrier=carrier,
                status=SCANS.get(code, TrackingStatus.UNKNOWN),
                raw_code=code or "?",
                description=scan.get("trackingmess"),
                location=scan.get("scanlocation"),
                occurred_at=_when(scan.get("scandateTime"), f"data[{index}].scandateTime"),
            )
        )
    return events


def inventory_data(
    *, warehouse_id: str, page: int, skus: Sequence[str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "warehouseId": warehouse_id,
        "pageNum": page,
        "pageSize": PAGE_SIZE,
        "inventoryType": "Warehouse",
    }
    if skus is not None and len(skus) == 1:
        data["productCode"] = skus[0]
    return data


WinitStock = WarehouseStock  # 在库 inStockQty, 可用 qtyAvailable, 待出库 qtyWaitOut


#: where a stock page's rows sit, to name a row in a message
STOCK_ROWS = "data.list"
#: the row field holding the SKU, to name a row set aside by its SKU
STOCK_SKU = "productCode"


def stock_rows(data: Any) -> tuple[list[Any], bool]:
    """(rows, more pages) of a ``queryProductInventoryList4Page`` answer. The rows stay as
    sent (each read by :func:`stock_row`, so one bad row is set aside alone); a page whose
    own shape is wrong raises."""
    if not isinstance(data, dict):
        raise InvalidInput.field("data", data, "is not an inventory page", source="WINIT")
    rows = data.get("list") or []
    if not isinstance(rows, list):
        raise InvalidInput.field("data.list", rows, "is not a list of stock rows", source="WINIT")
    found = data.get("page")
    page: dict[str, Any] = found if isinstance(found, dict) else {}
    start, size, total = (
        units(page.get(k), f"data.page.{k}", source="WINIT")
        for k in ("startRow", "numRows", "totalRows")
    )
    return rows, start + size < total


def stock_row(row: Any, where: str) -> WarehouseStock:
    """One row of an inventory page: 在库 inStockQty, 可用 qtyAvailable, 待出库 qtyWaitOut."""
    if not isinstance(row, dict):
        raise InvalidInput.field(where, row, "is not a stock row", source="WINIT")
    return WarehouseStock(
        sku=strict.text(
            row.get(STOCK_SKU),
            f"{where}.{STOCK_SKU}",
            limit=strict.SKU_CHARS,
            numbers=True,
            source="WINIT",
        ),
        on_hand=units(row.get("inStockQty"), f"{where}.inStockQty", source="WINIT"),
        available=units(row.get("qtyAvailable"), f"{where}.qtyAvailable", source="WINIT"),
        reserved=units(row.get("qtyWaitOut"), f"{where}.qtyWaitOut", source="WINIT"),
    )


#: a ``queryProductInventoryList4Page`` page, read row by row
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row)


def fees_data(reference: str) -> dict[str, Any]:
    return {"sellerNo": reference, "pageParams": {"pageNo": 1, "pageSize": 200}}
