"""Temu wire format <-> canonical model (contract unverified: see contracts/temu/).

Signing and request builders are pure; the connector adds I/O. Source followed: the partner
documentation transcript and recomputed signing vector in contracts/temu/.
"""

from channelhub.mappings.temu.builders import (
    GOODS_LIST,
    MAX_PAGE_SIZE,
    ORDER_DETAIL,
    ORDER_LIST,
    ORDER_SHIPPING_INFO,
    SHIPMENT_CONFIRM,
    STOCK_EDIT,
    TOKEN_INFO,
    TemuPackage,
    TemuPackageLine,
    goods_list_params,
    order_detail_params,
    order_list_params,
    shipment_confirm_params,
    shipping_info_params,
    stock_edit_params,
)
from channelhub.mappings.temu.countries import country_code
from channelhub.mappings.temu.listings import normalize_listings
from channelhub.mappings.temu.orders import (
    STATUS_CODES,
    needs_ship_to,
    normalize_orders,
    order_state,
)
from channelhub.mappings.temu.shipping import (
    ADDRESS_RESTRICTED_TAG,
    SHIPPING_INFO_KEY,
    TemuShipTo,
    normalize_shipping_info,
    with_ship_to,
)
from channelhub.mappings.temu.signing import (
    REGION_HOSTS,
    TIMESTAMP_SKEW_SECONDS,
    compute_sign,
    encode_body,
    region_router_url,
    sign_matches,
    sign_string,
    signed_request,
    timestamp_within_skew,
)
from channelhub.mappings.temu.token import WARN_DAYS_BEFORE_EXPIRY, TokenExpiry, token_expiry

__all__ = [
    "ADDRESS_RESTRICTED_TAG",
    "GOODS_LIST",
    "MAX_PAGE_SIZE",
    "ORDER_DETAIL",
    "ORDER_LIST",
    "ORDER_SHIPPING_INFO",
    "REGION_HOSTS",
    "SHIPMENT_CONFIRM",
    "SHIPPING_INFO_KEY",
    "STATUS_CODES",
    "STOCK_EDIT",
    "TIMESTAMP_SKEW_SECONDS",
    "TOKEN_INFO",
    "WARN_DAYS_BEFORE_EXPIRY",
    "TemuPackage",
    "TemuPackageLine",
    "TemuShipTo",
    "TokenExpiry",
    "compute_sign",
    "country_code",
    "encode_body",
    "goods_list_params",
    "needs_ship_to",
    "normalize_listings",
    "normalize_orders",
    "normalize_shipping_info",
    "order_detail_params",
    "order_list_params",
    "order_state",
    "region_router_url",
    "shipment_confirm_params",
    "shipping_info_params",
    "sign_matches",
    "sign_string",
    "signed_request",
    "stock_edit_params",
    "timestamp_within_skew",
    "token_expiry",
    "with_ship_to",
]
