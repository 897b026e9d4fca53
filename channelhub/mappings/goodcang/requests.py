"""Goodcang 谷仓 request bodies, built from the hub's outbound order (contract unverified).

Field names are the ``@JsonProperty`` names of the third-party SDK's classes vendored in
``contracts/wms/goodcang/`` (``CreateOrderPayload``, ``OrderItem``, ``CancelOrderPayload``,
``ReferenceNoPayload``, ``QueryTrackingStatusPayload``, ``GetProductInventoryPayload``); the
tests check every body against them. Goodcang publishes no length limits for create_order:
``reference_no`` is kept to :data:`MAX_REFERENCE` characters (the documented ``order_code``
limit, 50) -- guessed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import OutboundOrder

SOURCE = "goodcang"
CREATE_PATH = "/order/create_order"
CANCEL_PATH = "/order/cancel_order"
BY_REFERENCE_PATH = "/order/get_order_by_ref_code"
TRACKING_PATH = "/order/batch_query_tracking_status"
INVENTORY_PATH = "/inventory/get_product_inventory"
MAX_REFERENCE = 50
MAX_TRACKING_BATCH = 50  # value_list: "最多包含50个"
INVENTORY_PAGE = 200  # pageSize: "最大值为200"
_SAFE = re.compile(r"[A-Za-z0-9_\-:.#]+")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")
_HASH_CHARS = 12


def reference_no(idempotency_key: str) -> str:
    """Goodcang's ``reference_no`` for one outbound: the hub's dispatch id when it fits, else
    ``<cleaned tail>-<12 hex of sha256(key)>`` (at most 50 characters), so a resend can only
    name the same order and the read-back by reference finds it."""
    if len(idempotency_key) <= MAX_REFERENCE and _SAFE.fullmatch(idempotency_key):
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    tail = _UNSAFE.sub("-", idempotency_key)[-(MAX_REFERENCE - _HASH_CHARS - 1) :].strip("-")
    return f"{tail}-{digest}" if tail else digest


def shipping_method_for(
    outbound: OutboundOrder, methods: Mapping[str, str], warehouse_code: str
) -> str:
    """The Goodcang ``shipping_method`` for the hub's service at the hub's warehouse.

    ``methods`` keys, first found wins: ``WAREHOUSE/service``, ``service``,
    ``WAREHOUSE/default``, ``default`` (WAREHOUSE is the hub's code). None found is the
    seller's mistake, said in one line."""
    service = (outbound.shipping_service or "default").strip() or "default"
    for key in (f"{outbound.warehouse}/{service}", service, f"{outbound.warehouse}/default"):
        if key in methods:
            return methods[key]
    if "default" in methods:
        return methods["default"]
    raise InvalidInput(
        [
            f"no Goodcang shipping method for service {service!r} at warehouse "
            f"{outbound.warehouse} ({warehouse_code}): set the account's shipping_methods, "
            f"e.g. {outbound.warehouse}/{service}:DHL-PARCEL"
        ],
        source=SOURCE,
    )


def _cut(value: str | None, limit: int = 100) -> str:
    return " ".join((value or "").split())[:limit]


def create_order_body(
    outbound: OutboundOrder,
    *,
    warehouse_code: str,
    shipping_method: str,
    platform: str = "OTHER",
    verify: bool = True,
) -> dict[str, Any]:
    """``create_order``: the address, the lines and the codes; ``verify=1`` submits it for
    shipping at once (0 leaves a draft, 暂存, that nobody ships)."""
    to = outbound.ship_to
    first, _, last = (to.name or "").strip().rpartition(" ")
    body: dict[str, Any] = {
        "reference_no": reference_no(outbound.idempotency_key),
        "platform": platform,
        "shipping_method": shipping_method,
        "warehouse_code": warehouse_code,
        "country_code": to.country,
        "province": _cut(to.region) or _cut(to.city),
        "city": _cut(to.city),
        "address1": _cut(to.line1, 200),
        "address2": _cut(to.line2, 200),
        "address3": _cut(to.line3, 200),
        "zipcode": _cut(to.postal_code, 20),
        "name": first or last,
        "last_name": last if first else "",
        "company": _cut(to.company),
        "phone": _cut(to.phone, 50),
        "email": _cut(to.email),
        "order_desc": _cut(outbound.remarks or outbound.reference, 500),
        "verify": 1 if verify else 0,
        "items": [
            {
                "product_sku": line.sku,
                "quantity": line.quantity,
                **({"item_id": line.order_line_id} if line.order_line_id else {}),
            }
            for line in outbound.lines
        ],
    }
    return body


def cancel_body(warehouse_order_id: str, reason: str) -> dict[str, Any]:
    """``cancel_order`` (截单): by Goodcang's order code, with the reason."""
    return {"order_code": warehouse_order_id, "reason": _cut(reason, 200) or "cancelled"}


def by_reference_body(idempotency_key: str) -> dict[str, Any]:
    return {"reference_no": reference_no(idempotency_key)}


def tracking_body(keys: Sequence[str]) -> dict[str, Any]:
    """``batch_query_tracking_status`` by reference number (at most 50 per call)."""
    if len(keys) > MAX_TRACKING_BATCH:
        raise ValueError(f"at most {MAX_TRACKING_BATCH} orders per tracking query")
    return {"code_type": "reference_no", "value_list": [reference_no(k) for k in keys]}


def inventory_body(
    warehouse_codes: Sequence[str], page: int, skus: Sequence[str] | None = None
) -> dict[str, Any]:
    """``get_product_inventory``: the account's warehouses, one page; only ``skus`` when
    given (``product_sku_arr``), so a read for a few SKUs does not walk the catalogue."""
    body: dict[str, Any] = {
        "page": page,
        "pageSize": INVENTORY_PAGE,
        "warehouse_code_arr": list(warehouse_codes),
    }
    if skus is not None:
        body["product_sku_arr"] = list(skus)
    return body
