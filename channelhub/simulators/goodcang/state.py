"""The Goodcang simulator's orders, stock and time (contract unverified, see :mod:`.app`).

An order created with ``verify=1`` waits for release (``C``), is in the warehouse's hands
(``W``) after one ``stage`` and ships (``D``) after two: boxes, a tracking number and the
fees (``fee_details``) appear then, and its units leave ``reserved``. A shipped parcel gains
one TMS track event per ``stage`` after shipping (picked up, in transit, out for delivery,
delivered). ``cancel_order`` cancels a ``C`` order at once (``cancel_status`` 2), intercepts
a ``W`` one (``cancel_status`` 1, cancelled at the next step) and refuses a shipped one.
Dates are written as Beijing time, as the docs' ``date_time``; ``utc_time`` in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.mappings.goodcang import errors as gc
from channelhub.mappings.goodcang.answers import BEIJING

TRACK_STEPS = (
    ("TMS_PU", "Picked up by carrier", "揽件完毕"),
    ("TMS_IT", "Departed facility", "运输中"),
    ("TMS_OD", "Out for delivery", "派送中"),
    ("TMS_FD", "Delivered", "派送完毕"),
)
CURRENCY = {"DE": "EUR", "FR": "EUR", "UK": "GBP", "US": "USD", "AU": "AUD", "JP": "JPY"}


class SimError(Exception):
    """A V1 ``ask: Failure`` answer with Goodcang's (guessed) code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def stamp(value: datetime) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class GcOrder:
    code: str
    body: dict[str, Any]
    created: datetime
    status: str = "C"
    shipped_at: datetime | None = None
    intercepted: bool = False
    problem: str = ""
    tracking: str = ""

    @property
    def reference(self) -> str:
        return str(self.body["reference_no"])

    @property
    def units(self) -> int:
        return sum(int(i["quantity"]) for i in self.body["items"])


@dataclass
class GcState:
    clock: Callable[[], datetime]
    #: (warehouse_code, sku) -> sellable units
    sellable: dict[tuple[str, str], int]
    #: warehouse_code -> shipping methods it offers
    methods: Mapping[str, frozenset[str]]
    stage: timedelta = timedelta(hours=2)
    customer: str = "G123"
    orders: dict[str, GcOrder] = field(default_factory=dict)  # by reference_no
    reserved: dict[tuple[str, str], int] = field(default_factory=dict)
    shipped: dict[tuple[str, str], int] = field(default_factory=dict)

    def sync(self) -> None:
        now = self.clock()
        for order in self.orders.values():
            self._progress(order, now)

    def _progress(self, order: GcOrder, now: datetime) -> None:
        steps = int((now - order.created) / self.stage) if self.stage else 2
        if order.status == "C" and steps >= 1:
            order.status = "W"
        if order.status == "W" and order.intercepted:
            self._release(order)
            order.status = "X"
        elif order.status == "W" and steps >= 2:
            order.status = "D"
            order.shipped_at = order.created + 2 * self.stage
            order.tracking = f"GC{len(order.code):02d}{order.code.replace('-', '')}"
            for item in order.body["items"]:
                key = (order.body["warehouse_code"], item["product_sku"])
                self.reserved[key] -= int(item["quantity"])
                self.shipped[key] = self.shipped.get(key, 0) + int(item["quantity"])

    def _release(self, order: GcOrder) -> None:
        for item in order.body["items"]:
            key = (order.body["warehouse_code"], item["product_sku"])
            self.reserved[key] -= int(item["quantity"])
            self.sellable[key] += int(item["quantity"])

    # --- operations ----------------------------------------------------------------------

    def create(self, body: Any) -> GcOrder:
        problems = _create_problems(body)
        if problems:
            raise SimError(gc.INVALID_PARAMETER, "; ".join(problems))
        reference = str(body["reference_no"])
        if reference in self.orders:
            raise SimError(
                gc.DUPLICATE_REFERENCE, f"reference_no {reference} already exists (参考号已存在)"
            )
        warehouse = str(body["warehouse_code"])
        if warehouse not in self.methods:
            raise SimError(gc.UNKNOWN_CODE, f"warehouse_code {warehouse} does not exist")
        if body["shipping_method"] not in self.methods[warehouse]:
            raise SimError(
                gc.UNKNOWN_CODE,
                f"shipping_method {body['shipping_method']} is not offered by {warehouse}",
            )
        need: dict[str, int] = {}
        for item in body["items"]:
            need[item["product_sku"]] = need.get(item["product_sku"], 0) + int(item["quantity"])
        for sku, quantity in need.items():
            if (warehouse, sku) not in self.sellable:
                raise SimError(gc.UNKNOWN_CODE, f"product_sku {sku} does not exist in {warehouse}")
            if self.sellable[(warehouse, sku)] < quantity:
                raise SimError(gc.STOCK_SHORT, f"{sku}: not enough sellable stock in {warehouse}")
        for sku, quantity in need.items():
            self.sellable[(warehouse, sku)] -= quantity
            self.reserved[(warehouse, sku)] = self.reserved.get((warehouse, sku), 0) + quantity
        now = self.clock()
        code = f"{self.customer}-{stamp(now)[2:10].replace('-', '')}-{len(self.orders) + 1:04d}"
        order = GcOrder(code=code, body=dict(body), created=now)
        self.orders[reference] = order
        return order

    def by_reference(self, reference: str) -> GcOrder:
        order = self.orders.get(reference)
        if order is None:
            raise SimError(gc.ORDER_NOT_FOUND, f"no order with reference_no {reference}")
        return order

    def by_code(self, code: str) -> GcOrder:
        for order in self.orders.values():
            if order.code == code:
                return order
        raise SimError(gc.ORDER_NOT_FOUND, f"no order {code}")

    def cancel(self, code: str) -> int:
        """cancel_status: 2 cancelled, 1 intercept in progress."""
        order = self.by_code(code)
        if order.status == "X":
            return 2
        if order.status == "D":
            raise SimError(gc.CANNOT_CANCEL, f"order {code} has shipped and cannot be cancelled")
        if order.status == "W":
            order.intercepted = True
            return 1
        self._release(order)
        order.status = "X"
        return 2

    def mark_abnormal(self, reference: str, reason: str) -> None:
        """Test helper: Goodcang moved the order to 异常订单 with ``reason``."""
        order = self.by_reference(reference)
        order.status, order.problem = "N", reason

    # --- views ---------------------------------------------------------------------------

    def order_view(self, order: GcOrder) -> dict[str, Any]:
        b = order.body
        shipped = order.status == "D"
        currency = CURRENCY.get(str(b["warehouse_code"])[:2], "USD")
        fees: dict[str, Any] = {
            "totalFee": 0,
            "SHIPPING": 0,
            "OPF": 0,
            "FSC": 0,
            "DT": 0,
            "RSF": 0,
            "OTF": 0,
            "currency_code": "",
        }
        if shipped:
            shipping = Decimal("3.5") + Decimal("0.5") * order.units
            handling = Decimal("1.2") * order.units
            fuel = (shipping * Decimal("0.1")).quantize(Decimal("0.001"))
            fees.update(
                SHIPPING=float(shipping),
                OPF=float(handling),
                FSC=float(fuel),
                totalFee=float(shipping + handling + fuel),
                currency_code=currency,
            )
        return {
            "order_code": order.code,
            "reference_no": order.reference,
            "platform": b.get("platform", "OTHER"),
            "order_status": order.status,
            "shipping_method": b["shipping_method"],
            "tracking_no": order.tracking,
            "warehouse_code": b["warehouse_code"],
            "order_weight": f"{0.4 * order.units:.3f}",
            "order_desc": b.get("order_desc", ""),
            "date_create": stamp(order.created),
            "date_release": stamp(order.created),
            "date_shipping": stamp(order.shipped_at) if order.shipped_at else "",
            "date_modify": stamp(order.shipped_at or order.created),
            "abnormal_problem_reason": order.problem,
            "consignee_country_code": b["country_code"],
            "consignee_state": b.get("province", ""),
            "consignee_city": b.get("city", ""),
            "consignee_address1": b["address1"],
            "consigne_zipcode": b.get("zipcode", ""),
            "consignee_name": b["name"],
            "consignee_last_name": b.get("last_name", ""),
            "items": [
                {
                    "product_sku": i["product_sku"],
                    "quantity": int(i["quantity"]),
                    "fba_product_code": "",
                    "transaction_id": "",
                    "item_id": i.get("item_id", ""),
                }
                for i in b["items"]
            ],
            "fee_details": fees,
            "orderBoxInfo": [
                {
                    "box_no": "1-1",
                    "ob_length": 30,
                    "ob_width": 20,
                    "ob_height": 10,
                    "ob_weight": round(0.4 * order.units, 3),
                    "ob_add_time": stamp(order.shipped_at) if order.shipped_at else "",
                    "tracking_number": order.tracking,
                    "product_barcode": f"{self.customer}-{b['items'][0]['product_sku']}",
                    "order_code": order.code,
                    "ob_qty": order.units,
                }
            ]
            if shipped
            else [],
        }

    def tracking(self, code_type: str, values: list[str]) -> list[dict[str, Any]]:
        now = self.clock()
        out = []
        for value in values:
            found = [
                o
                for o in self.orders.values()
                if (code_type == "reference_no" and o.reference == value)
                or (code_type == "order_code" and o.code == value)
                or (code_type == "tracking_number" and o.tracking == value)
            ]
            for order in found:
                trajectory = []
                if order.shipped_at is not None:
                    steps = 1 + int((now - order.shipped_at) / self.stage) if self.stage else 4
                    items = []
                    for n, (code, info, code_info) in enumerate(TRACK_STEPS[:steps]):
                        at = order.shipped_at + self.stage * n
                        items.append(
                            {
                                "utc_time": at.strftime("%Y-%m-%d %H:%M:%S"),
                                "date_time": stamp(at),
                                "info": info,
                                "location": "BERLIN,DE",
                                "code": code,
                                "code_info": code_info,
                            }
                        )
                    trajectory.append({"tracking_number": order.tracking, "item": items})
                out.append(
                    {
                        "order_code": order.code,
                        "code": order.body["shipping_method"],
                        "trajectory_information": trajectory,
                    }
                )
        return out

    def inventory(self, body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
        page = int(body.get("page") or 1)
        size = int(body.get("pageSize") or body.get("page_size") or 10)
        if size > 200:
            raise SimError(gc.INVALID_PARAMETER, "pageSize must be at most 200")
        codes = set(body.get("warehouse_code_arr") or [])
        codes |= {body.get("warehouse_code")} - {None, ""}
        skus = set(body.get("product_sku_arr") or [])
        skus |= {body.get("product_sku")} - {None, ""}
        rows = [
            {
                "product_barcode": f"{self.customer}-{sku}",
                "product_sku": sku,
                "warehouse_code": wh,
                "onway": "0",
                "pending": "0",
                "sellable": str(qty),
                "unsellable": "0",
                "reserved": str(self.reserved.get((wh, sku), 0)),
                "shipped": str(self.shipped.get((wh, sku), 0)),
                "warehouse_desc": wh,
                "stocking": 0,
                "pi_no_stock": 0,
                "pi_freeze": 0,
            }
            for (wh, sku), qty in sorted(self.sellable.items())
            if (not codes or wh in codes) and (not skus or sku in skus)
        ]
        return rows[(page - 1) * size : page * size], len(rows)


_REQUIRED = (
    "reference_no",
    "shipping_method",
    "warehouse_code",
    "country_code",
    "name",
    "address1",
)


def _create_problems(body: Any) -> list[str]:
    if not isinstance(body, Mapping):
        return ["the body must be a JSON object"]
    problems = [f"{name} is required" for name in _REQUIRED if not body.get(name)]
    items = body.get("items")
    if not isinstance(items, list) or not items:
        problems.append("items is required")
        return problems
    for n, item in enumerate(items):
        if not isinstance(item, Mapping) or not item.get("product_sku"):
            problems.append(f"items[{n}].product_sku is required")
        elif not isinstance(item.get("quantity"), int) or item["quantity"] < 1:
            problems.append(f"items[{n}].quantity must be a positive integer")
    if len(str(body.get("reference_no", ""))) > 50:
        problems.append("reference_no is longer than 50 characters")
    return problems
