"""Wish Merchant API v3 wire format <-> canonical model (contract unverified: see .wire)."""

from channelhub.mappings.wish.orders import normalize_orders, wish_money
from channelhub.mappings.wish.wire import (
    MAX_PAGE,
    ORDERS_PATH,
    PRODUCTS_PATH,
    REFRESH_PATH,
    data_of,
    item_path,
    normalize_listings,
    orders_params,
    stock_body,
    token_answer,
    token_params,
    tracking_numbers,
    tracking_params,
    wish_time,
)

__all__ = [
    "MAX_PAGE",
    "ORDERS_PATH",
    "PRODUCTS_PATH",
    "REFRESH_PATH",
    "data_of",
    "item_path",
    "normalize_listings",
    "normalize_orders",
    "orders_params",
    "stock_body",
    "token_answer",
    "token_params",
    "tracking_numbers",
    "tracking_params",
    "wish_money",
    "wish_time",
]
