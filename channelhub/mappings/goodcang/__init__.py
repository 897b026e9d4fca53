"""Goodcang 谷仓 wire <-> hub values (contract unverified; see contracts/wms/goodcang/)."""

from channelhub.mappings.goodcang.answers import (
    FINAL_STATUSES,
    ORDER_STATES,
    STOCK,
    TRACK_CODES,
    inventory_rows,
    order_data,
    order_problem,
    order_state,
    shipment_from,
    status_of,
    tracking_events,
)
from channelhub.mappings.goodcang.requests import (
    cancel_body,
    create_order_body,
    reference_no,
    shipping_method_for,
)

__all__ = [
    "FINAL_STATUSES",
    "ORDER_STATES",
    "STOCK",
    "TRACK_CODES",
    "cancel_body",
    "create_order_body",
    "inventory_rows",
    "order_data",
    "order_problem",
    "order_state",
    "reference_no",
    "shipment_from",
    "shipping_method_for",
    "status_of",
    "tracking_events",
]
