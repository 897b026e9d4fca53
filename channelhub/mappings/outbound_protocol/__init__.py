"""The channelhub outbound protocol (docs/outbound-protocol.openapi.json) <-> canonical models.

Both sides use this module: the hub builds outbound orders and intercept requests and parses
the warehouse's answers and callbacks; the reference warehouse (and any Python integrator)
parses the orders and builds the answers. Wire shapes are pydantic models that mirror the
document's schemas, so a bad field is refused with its dotted path and value (InvalidInput),
never a KeyError; amounts travel as decimal strings, never floats.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel

from channelhub.core.fulfilment import OutboundOrder, Package, Shipment
from channelhub.core.validation import parse
from channelhub.core.warehouse_reports import (
    InterceptOutcome,
    InterceptResult,
    StockLevel,
    StockSnapshot,
)
from channelhub.mappings.outbound_protocol.wire import (
    Accepted,
    CallbackEnvelope,
    CallbackType,
    OutboundCancelledData,
    Rejected,
    RejectReason,
    ShipmentConfirmedData,
    StockPage,
    StockPageRows,
    StockSnapshotData,
    StockSnapshotRows,
    WarehouseCallback,
    WarehouseStockLevel,
    WireCost,
    WireInterceptResult,
    WireMoney,
    WireOutboundOrder,
    WirePackage,
    iso_time,
)
from channelhub.mappings.warehouse_stock import SnapshotRows, StockRows, WarehouseStock

SOURCE = "outbound protocol"
IDEMPOTENCY_HEADER = "Idempotency-Key"
STOCK_PATH = "/stock"
#: Levels per ``GET /stock`` page the hub asks for (the document allows 1..500).
STOCK_PAGE_LIMIT = 200

# ---- hub -> warehouse ---------------------------------------------------------------------


def stock_query(cursor: str | None, limit: int = STOCK_PAGE_LIMIT) -> dict[str, str]:
    """The query of one ``GET /stock`` page."""
    query = {"limit": str(limit)}
    if cursor is not None:
        query["cursor"] = cursor
    return query


def parse_stock_page(body: object) -> StockPage:
    """A ``GET /stock`` answer; a bad field is refused with its path and value."""
    return parse(StockPage, body, source=f"{SOURCE} GET /stock")


#: where a ``GET /stock`` page keeps its levels, and the level fields naming SKU and warehouse
STOCK_ROWS = "levels"
STOCK_SKU = "sku"
STOCK_WAREHOUSE = "warehouse"


def stock_rows(body: object) -> StockPageRows:
    """A ``GET /stock`` answer with its levels as sent, each read by :func:`stock_row` (so one
    bad level is set aside alone); a page whose own fields are wrong is refused."""
    return parse(StockPageRows, body, source=f"{SOURCE} GET /stock")


def stock_row(level: object, where: str) -> WarehouseStock:
    """One level of a ``GET /stock`` page (available defaults to on hand); ``warehouse`` is
    the WMS's code for where it is held."""
    found = parse(WarehouseStockLevel, level, source=f"{SOURCE} GET /stock", at=where)
    available = found.on_hand if found.available is None else found.available
    return WarehouseStock(found.sku, found.on_hand, available, 0, warehouse=found.warehouse)


#: a ``GET /stock`` page, read level by level (one endpoint may serve several warehouses)
STOCK = StockRows(STOCK_ROWS, STOCK_SKU, stock_row, warehouse_field=STOCK_WAREHOUSE)


def stock_page_body(
    levels: list[tuple[str, StockLevel]], *, taken_at: datetime, next_cursor: str | None
) -> dict[str, object]:
    """The warehouse's answer to ``GET /stock``: ``levels`` as (warehouse code, level)."""
    page = StockPage(
        taken_at=taken_at,
        levels=tuple(
            WarehouseStockLevel(
                warehouse=warehouse,
                sku=level.sku,
                on_hand=level.on_hand,
                available=level.available,
                external_id=level.external_id,
            )
            for warehouse, level in levels
        ),
        next_cursor=next_cursor,
    )
    body = page.model_dump(mode="json")
    body["taken_at"] = iso_time(taken_at)
    return body


def order_path(key: str, action: str | None = None) -> str:
    """``/outbound-orders/{key}[/action]`` with the key percent-encoded (it holds ``#``)."""
    path = f"/outbound-orders/{quote(key, safe='')}"
    return f"{path}/{action}" if action else path


def outbound_order_body(order: OutboundOrder) -> dict[str, object]:
    """The JSON body of ``POST /outbound-orders`` for an outbound order."""
    cod = WireMoney.of(order.cash_on_delivery) if order.cash_on_delivery else None
    wire = WireOutboundOrder(
        idempotency_key=order.idempotency_key,
        order_key=order.order_key,
        part=order.part,
        revision=order.revision,
        warehouse=order.warehouse,
        reference=order.reference,
        ship_to=order.ship_to,
        lines=order.lines,
        shipping_service=order.shipping_service,
        carrier=order.carrier,
        cash_on_delivery=cod,
        remarks=order.remarks,
    )
    return wire.model_dump(mode="json")


def parse_outbound_order(body: object) -> OutboundOrder:
    """The warehouse side: an outbound order body back to the canonical OutboundOrder."""
    wire = parse(WireOutboundOrder, body, source=SOURCE)
    fields = wire.model_dump(exclude={"cash_on_delivery"})
    fields["ship_to"], fields["lines"] = wire.ship_to, wire.lines
    cod = wire.cash_on_delivery.canonical() if wire.cash_on_delivery else None
    return parse(OutboundOrder, {**fields, "cash_on_delivery": cod}, source=SOURCE)


def intercept_request_body(reason: str, requested_at: datetime) -> dict[str, object]:
    """The JSON body of ``POST /outbound-orders/{key}/intercept``."""
    return {"reason": reason, "requested_at": iso_time(requested_at)}


def parse_submit_response(body: object) -> Accepted | Rejected:
    """The warehouse's answer to an outbound order: accepted (its id) or rejected (reasons)."""
    status = body.get("status") if isinstance(body, dict) else None
    if status == "rejected":
        return parse(Rejected, body, source=SOURCE)
    return parse(Accepted, body, source=SOURCE)


def parse_intercept_result(body: object, *, warehouse: str) -> InterceptResult:
    """The warehouse's answer to an intercept request (also the callback's data)."""
    wire = parse(WireInterceptResult, body, source=SOURCE)
    return InterceptResult(
        outbound_key=wire.idempotency_key,
        warehouse=warehouse,
        warehouse_order_id=wire.warehouse_order_id,
        outcome=InterceptOutcome(wire.outcome),
        initiated_by="hub",
        message=wire.message,
        decided_at=wire.decided_at,
    )


# ---- warehouse -> hub ---------------------------------------------------------------------


def accepted_body(key: str, warehouse_order_id: str, accepted_at: datetime) -> dict[str, object]:
    """The warehouse's 200/201 answer."""
    wire = Accepted(
        idempotency_key=key, warehouse_order_id=warehouse_order_id, accepted_at=accepted_at
    )
    return wire.model_dump(mode="json")


def rejected_body(key: str, reasons: list[RejectReason]) -> dict[str, object]:
    """The warehouse's 422 answer."""
    return Rejected(idempotency_key=key, reasons=tuple(reasons)).model_dump(mode="json")


def intercept_result_body(result: InterceptResult) -> dict[str, object]:
    """An intercept result as the intercept answer / callback data."""
    wire = WireInterceptResult(
        idempotency_key=result.outbound_key,
        warehouse_order_id=result.warehouse_order_id,
        outcome=result.outcome.value,
        message=result.message,
        decided_at=result.decided_at,
    )
    return wire.model_dump(mode="json")


def _envelope(
    kind: CallbackType,
    data: BaseModel | dict[str, object],
    *,
    event_id: str,
    occurred_at: datetime,
    warehouse: str,
) -> dict[str, object]:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return {
        "event_id": event_id,
        "type": kind,
        "occurred_at": iso_time(occurred_at),
        "warehouse": warehouse,
        "data": payload,
    }


def shipment_confirmed_event(
    shipment: Shipment,
    *,
    event_id: str,
    occurred_at: datetime,
    cost_kinds: tuple[str, ...] = (),
) -> dict[str, object]:
    """A ``shipment.confirmed`` callback; ``cost_kinds[i]`` names ``shipment.costs[i]``."""
    packages = tuple(
        WirePackage(
            package_id=p.package_id,
            carrier=p.carrier,
            service=p.service,
            tracking_number=p.tracking_number,
            tracking_url=p.tracking_url,
            weight_grams=p.weight_grams,
            lines=p.lines,
        )
        for p in shipment.packages
    )
    costs = tuple(
        WireCost(kind=cost_kinds[i] if i < len(cost_kinds) else "shipping", amount=WireMoney.of(c))
        for i, c in enumerate(shipment.costs)
    )
    data = ShipmentConfirmedData(
        idempotency_key=shipment.outbound_key,
        warehouse_order_id=shipment.warehouse_order_id or "",
        shipment_id=shipment.shipment_id,
        shipped_at=shipment.shipped_at,
        packages=packages,
        costs=costs,
    )
    return _envelope(
        "shipment.confirmed",
        data,
        event_id=event_id,
        occurred_at=occurred_at,
        warehouse=shipment.warehouse,
    )


def intercept_result_event(
    result: InterceptResult, *, event_id: str, occurred_at: datetime
) -> dict[str, object]:
    """An ``outbound.intercept_result`` callback."""
    return _envelope(
        "outbound.intercept_result",
        intercept_result_body(result),
        event_id=event_id,
        occurred_at=occurred_at,
        warehouse=result.warehouse,
    )


def outbound_cancelled_event(
    result: InterceptResult, *, event_id: str, occurred_at: datetime
) -> dict[str, object]:
    """An ``outbound.cancelled`` callback: the warehouse cancelled on its own."""
    data = OutboundCancelledData(
        idempotency_key=result.outbound_key,
        warehouse_order_id=result.warehouse_order_id,
        cancelled_at=result.decided_at,
        reason=RejectReason(
            code=result.reason_code or "cancelled_by_warehouse",
            message=result.message or "cancelled by the warehouse",
        ),
    )
    return _envelope(
        "outbound.cancelled",
        data,
        event_id=event_id,
        occurred_at=occurred_at,
        warehouse=result.warehouse,
    )


def stock_snapshot_event(
    snapshot: StockSnapshot, *, event_id: str, occurred_at: datetime
) -> dict[str, object]:
    """A ``stock.snapshot`` callback."""
    data = StockSnapshotData(
        snapshot_id=snapshot.snapshot_id,
        taken_at=snapshot.taken_at,
        complete=snapshot.complete,
        levels=snapshot.levels,
    )
    return _envelope(
        "stock.snapshot",
        data,
        event_id=event_id,
        occurred_at=occurred_at,
        warehouse=snapshot.warehouse,
    )


def _shipment(data: object, warehouse: str) -> Shipment:
    wire = parse(ShipmentConfirmedData, data, source=f"{SOURCE} shipment.confirmed")
    packages = [
        Package(
            package_id=p.package_id,
            tracking_number=p.tracking_number,
            carrier=p.carrier,
            service=p.service,
            lines=p.lines,
            weight_grams=p.weight_grams,
            tracking_url=p.tracking_url,
        )
        for p in wire.packages
    ]
    return parse(
        Shipment,
        {
            "outbound_key": wire.idempotency_key,
            "warehouse": warehouse,
            "warehouse_order_id": wire.warehouse_order_id,
            "shipment_id": wire.shipment_id,
            "shipped_at": wire.shipped_at,
            "packages": packages,
            "costs": [c.amount.canonical() for c in wire.costs],
        },
        source=SOURCE,
    )


def _cancelled(data: object, warehouse: str) -> InterceptResult:
    wire = parse(OutboundCancelledData, data, source=f"{SOURCE} outbound.cancelled")
    return InterceptResult(
        outbound_key=wire.idempotency_key,
        warehouse=warehouse,
        warehouse_order_id=wire.warehouse_order_id,
        outcome=InterceptOutcome.SUCCEEDED,
        initiated_by="warehouse",
        reason_code=wire.reason.code,
        message=wire.reason.message,
        decided_at=wire.cancelled_at,
    )


def snapshot_level(level: object, where: str) -> WarehouseStock:
    """One level of a ``stock.snapshot`` (the document's ``StockLevel``; available defaults
    to on hand)."""
    found = parse(StockLevel, level, source=f"{SOURCE} stock.snapshot", at=where)
    available = found.on_hand if found.available is None else found.available
    return WarehouseStock(found.sku, found.on_hand, available, 0)


#: a ``stock.snapshot``'s levels, read one by one (the snapshot names its one warehouse)
SNAPSHOT = StockRows(STOCK_ROWS, STOCK_SKU, snapshot_level)


def _snapshot(data: object, warehouse: str) -> SnapshotRows:
    """The snapshot's own fields read (a wrong one refuses the callback), its levels as sent:
    the hub reads each by :data:`SNAPSHOT`, so one bad level is set aside alone."""
    wire = parse(StockSnapshotRows, data, source=f"{SOURCE} stock.snapshot")
    return SnapshotRows(
        warehouse=warehouse,
        snapshot_id=wire.snapshot_id,
        taken_at=wire.taken_at,
        complete=wire.complete,
        rows=tuple(wire.levels),
        spec=SNAPSHOT,
    )


def parse_callback(body: object) -> WarehouseCallback:
    """A warehouse callback (already signature-checked) -> envelope + canonical payload (a
    ``stock.snapshot``'s levels as sent, see :func:`_snapshot`)."""
    envelope = parse(CallbackEnvelope, body, source=SOURCE)
    payload: Shipment | InterceptResult | SnapshotRows
    if envelope.type == "shipment.confirmed":
        payload = _shipment(envelope.data, envelope.warehouse)
    elif envelope.type == "outbound.intercept_result":
        payload = parse_intercept_result(envelope.data, warehouse=envelope.warehouse)
    elif envelope.type == "outbound.cancelled":
        payload = _cancelled(envelope.data, envelope.warehouse)
    else:
        payload = _snapshot(envelope.data, envelope.warehouse)
    return WarehouseCallback(
        event_id=envelope.event_id,
        type=envelope.type,
        occurred_at=envelope.occurred_at,
        warehouse=envelope.warehouse,
        payload=payload,
    )


__all__ = [
    "IDEMPOTENCY_HEADER",
    "SNAPSHOT",
    "STOCK",
    "STOCK_PATH",
    "Accepted",
    "CallbackType",
    "RejectReason",
    "Rejected",
    "StockPage",
    "WarehouseCallback",
    "accepted_body",
    "intercept_request_body",
    "intercept_result_body",
    "intercept_result_event",
    "order_path",
    "outbound_cancelled_event",
    "outbound_order_body",
    "parse_callback",
    "parse_intercept_result",
    "parse_outbound_order",
    "parse_stock_page",
    "parse_submit_response",
    "rejected_body",
    "shipment_confirmed_event",
    "snapshot_level",
    "stock_page_body",
    "stock_query",
    "stock_row",
    "stock_rows",
    "stock_snapshot_event",
]
