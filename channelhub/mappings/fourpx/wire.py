"""4PX 递四方 outbound orders, tracking, stock and fees <-> the hub's canonical values.

Contract unverified: field names and the status letters from the third-party SDK's classes
(contracts/wms/4px/); the error and scan codes are guessed (docs/winit-4px.md).

Methods used: ``fu.wms.outbound.create`` (``ref_no`` = the hub's dispatch id),
``fu.wms.outbound.getlist`` (by ``ref_no``: the read-back, and the status),
``fu.wms.outbound.cancel``, ``tr.order.tracking.get``, ``fu.wms.inventory.get``,
``fu.wms.outbound.getbilling``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
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

CREATE = "fu.wms.outbound.create"
LIST = "fu.wms.outbound.getlist"
CANCEL = "fu.wms.outbound.cancel"
TRACK = "tr.order.tracking.get"
INVENTORY = "fu.wms.inventory.get"
BILLING = "fu.wms.outbound.getbilling"
METHODS = (CREATE, LIST, CANCEL, TRACK, INVENTORY, BILLING)
#: error codes (guessed: the SDK only reads ``result`` 1 / 0 and ``errors``)
THROTTLED, BUSY, SIGN_INVALID, KEY_INVALID, TIME_SKEW = "1001", "1002", "1003", "1004", "1005"
NO_METHOD, BAD_DATA, DUPLICATE, NOT_FOUND, TOO_LATE = "1006", "2001", "2002", "2004", "2005"
MAX_REFERENCE = 50  # ref_no length (guessed)
PAGE_SIZE = 50

#: 出库委托状态 (Outbound.status): N 草稿; S 出库中; P 已下架; C 已出库; X 已取消; D 已删除; E 异常
STATES: Mapping[str, OutboundState] = {
    "N": OutboundState.PENDING,
    "S": OutboundState.ACCEPTED,
    "P": OutboundState.PICKING,
    "C": OutboundState.SHIPPED,
    "X": OutboundState.CANCELLED,
    "D": OutboundState.CANCELLED,
    "E": OutboundState.REJECTED,
}
FINAL = frozenset({"C", "X", "D", "E"})
#: 异常子状态 (sub_status): G 欠费; B 计费异常; R 审核失败; S 缺货
SUB_STATUS = {"G": "in arrears", "B": "billing error", "R": "audit failed", "S": "out of stock"}
#: ``businessLinkCode`` of tr.order.tracking.get (guessed) -> the tracking vocabulary
SCANS: Mapping[str, TrackingStatus] = {
    "FPX_I_RCV": TrackingStatus.INFO_RECEIVED,
    "FPX_T_TRN": TrackingStatus.IN_TRANSIT,
    "FPX_D_OFD": TrackingStatus.OUT_FOR_DELIVERY,
    "FPX_D_FLD": TrackingStatus.DELIVERY_FAILED,
    "FPX_S_DLV": TrackingStatus.DELIVERED,
    "FPX_R_RTN": TrackingStatus.RETURNED,
}


def reference_of(idempotency_key: str) -> str:
    """``ref_no`` of an outbound: the dispatch id (derived when too long)."""
    return seller_reference(idempotency_key, MAX_REFERENCE)


def create_data(order: OutboundOrder, *, warehouse_code: str, product_code: str) -> dict[str, Any]:
    """``fu.wms.outbound.create`` body (OutboundCreate)."""
    to = order.ship_to
    if not to.line1 or not to.city or not to.name:
        raise InvalidInput.field(
            "ship_to", to.model_dump(exclude_none=True), "needs name, line1 and city"
        )
    first, _, last = to.name.partition(" ")
    desc = {
        "country": to.country,
        "state": to.region,
        "city": to.city,
        "post_code": to.postal_code,
        "street": " ".join(p for p in (to.line1, to.line2, to.line3) if p),
        "company": to.company,
        "first_name": first,
        "last_name": last or first,
        "phone": to.phone,
        "email": to.email,
    }
    return {
        "ref_no": reference_of(order.idempotency_key),
        "from_warehouse_code": warehouse_code,
        "consignment_type": "S",
        "logistics_service_info": {"logistics_product_code": product_code},
        "oconsignment_desc": {k: v for k, v in desc.items() if v},
        "oconsignment_sku": [
            {"sku_code": line.sku, "qty": line.quantity, "stock_quality": "G"}
            for line in order.lines
        ],
    }


def list_data(reference: str) -> dict[str, Any]:
    return {"ref_no": reference, "page_no": 1, "page_size": 10}


def first_listed(data: Any) -> dict[str, Any] | None:
    """The consignment a getlist by ref_no found (None: no such order)."""
    found = data.get("data") if isinstance(data, dict) else None
    if isinstance(found, list) and found and isinstance(found[0], dict):
        return found[0]
    return None


def state_of(status: object) -> OutboundState:
    if isinstance(status, str) and status in STATES:
        return STATES[status]
    raise InvalidInput.field(
        "status", status, f"is not a 4PX outbound status ({', '.join(STATES)})", source="4PX"
    )


def _millis(value: object, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except ValueError:
        raise InvalidInput.field(field, value, "is not epoch milliseconds", source="4PX") from None


def shipments_of(node: Mapping[str, Any], *, warehouse: str, outbound_key: str) -> list[Shipment]:
    """A shipped consignment (``C``) as one shipment with one parcel per consignment package
    (or one parcel under ``shipping_no`` when it lists none)."""
    if node.get("status") != "C":
        return []
    number = str(node.get("consignment_no") or "")
    carrier = str(node.get("carrier_code") or "4PX")
    service = str(node.get("logistics_product_code") or "") or None
    lines = tuple(
        PackageLine(sku=str(s["sku_code"]), quantity=int(s["qty"]))
        for s in node.get("outboundlist_sku") or []
        if isinstance(s, dict)
    )
    tracking = node.get("shipping_no") or node.get("4px_tracking_no")
    if not isinstance(tracking, str) or not tracking:
        raise InvalidInput.field(
            "shipping_no", tracking, "is empty for a shipped consignment", source="4PX"
        )
    package = Package(
        package_id=number, tracking_number=tracking, carrier=carrier, service=service, lines=lines
    )
    return [
        Shipment(
            outbound_key=outbound_key,
            warehouse=warehouse,
            warehouse_order_id=number or None,
            shipment_id=f"4px:{number}",
            shipped_at=_millis(node.get("complete_time"), "complete_time"),
            packages=(package,),
        )
    ]


def problem_of(node: Mapping[str, Any]) -> str | None:
    if node.get("status") != "E":
        return None
    sub = str(node.get("sub_status") or "")
    said = node.get("error_message_origin") or SUB_STATUS.get(sub, sub or "exception")
    return f"4PX exception {sub}: {said}".replace(" :", ":")


def tracking_events(data: Any, *, tracking_number: str, carrier: str) -> list[TrackingEvent]:
    """``tr.order.tracking.get`` -> tracking events (an unknown code stays, as ``unknown``)."""
    found = data.get("trackingList") if isinstance(data, dict) else None
    events = []
    for index, scan in enumerate(found if isinstance(found, list) else []):
        code = str(scan.get("businessLinkCode") or "") if isinstance(scan, dict) else ""
        try:
            at = datetime.strptime(str(scan["occurDatetime"]), TIMESTAMP_FORMAT).replace(
                tzinfo=CHINA
            )
        except (KeyError, TypeError, ValueError):
            raise InvalidInput.field(
                f"trackingList[{index}]", scan, "has no occurDatetime", source="4PX"
            ) from None
        events.append(
            TrackingEvent(
                tracking_number=tracking_number,
                carrier=carrier,
                status=SCANS.get(code, TrackingStatus.UNKNOWN),
                raw_code=code or "?",
                description=scan.get("trackingContent"),
                location=scan.get("occurLocation"),
                occurred_at=at,
            )
        )
    return events


def inventory_data(
    *, warehouse_code: str, page: int, skus: Sequence[str] | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "warehouse_code": warehouse_code,
        "page_no": page,
        "page_size": PAGE_SIZE,
    }
    if skus is not None:
        data["lstsku"] = list(skus)
    return data


FourPxStock = WarehouseStock


#: where a stock page's rows sit, to name a row in a message
STOCK_ROWS = "data.data"
#: the row field holding the SKU, to name a row set aside by its SKU
STOCK_SKU = "sku_code"


def stock_rows(data: Any, page: int) -> tuple[list[Any], bool]:
    """(rows, more pages) of a ``fu.wms.inventory.get`` answer. The rows stay as sent (each
    read by :func:`stock_row`, so one bad row is set aside alone); a page whose own shape is
    wrong raises."""
    if not isinstance(data, dict):
        raise InvalidInput.field("data", data, "is not an inventory page", source="4PX")
    rows = data.get("data") or []
    if not isinstance(rows, list):
        raise InvalidInput.field("data.data", rows, "is not a list of stock rows", source="4PX")
    total = units(data.get("total"), "data.total", source="4PX") or 1
    return rows, page < total


def stock_row(row: Any, where: str) -> WarehouseStock:
    """One row of an inventory page: on hand = available + pending (待出库) stock."""
    if not isinstance(row, dict):
        raise InvalidInput.field(where, row, "is not a stock row", source="4PX")
    available = units(row.get("available_stock"), f"{where}.available_stock", source="4PX")
    pending = units(row.get("pending_stock"), f"{where}.pending_stock", source="4PX")
    sku = strict.text(
        row.get(STOCK_SKU),
        f"{where}.{STOCK_SKU}",
        limit=strict.SKU_CHARS,
        numbers=True,
        source="4PX",
    )
    return WarehouseStock(sku, available + pending, available, pending)


#: a ``fu.wms.inventory.get`` page, read row by row
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row)
