"""Request builders: the query parameters and JSON bodies the Amazon connector sends.

Pure functions so that tests can check every request against the Swagger models without a
network, and the connector stays a thin I/O layer. Paths and names follow the contract files
(orders 2026-01-01, orders v0, listings items 2021-08-01, feeds 2021-06-30, tokens 2021-03-01).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from channelhub.core.errors import InvalidInput
from channelhub.core.fulfilment import Package
from channelhub.mappings.carriers import carrier_for

SEARCH_ORDERS_PATH = "/orders/2026-01-01/orders"
CONFIRM_SHIPMENT_PATH = "/orders/v0/orders/{order_id}/shipmentConfirmation"
LISTINGS_ITEMS_PATH = "/listings/2021-08-01/items/{seller_id}"
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"
FEEDS_PATH = "/feeds/2021-06-30/feeds"
FEED_DOCUMENTS_PATH = "/feeds/2021-06-30/documents"

#: The contract: the end of a searchOrders window must be at least two minutes before now.
WINDOW_HOLDBACK = timedelta(minutes=2)
#: What the hub needs of an order (buyer and recipient only with a Restricted Data Token).
ORDER_DATA = ("FULFILLMENT", "PROCEEDS", "CANCELLATION", "PAYMENT", "PACKAGES")
PII_DATA = ("BUYER", "RECIPIENT")
MAX_MARKETPLACES = 50
MAX_RESULTS_PER_PAGE = 100


def iso(when: datetime) -> str:
    """UTC ISO 8601 with ``Z``, as Amazon writes times; naive times are refused."""
    if when.tzinfo is None:
        raise InvalidInput.field("time", when.isoformat(), "has no timezone")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_end(now: datetime, requested: datetime | None = None) -> datetime:
    """The latest allowed end of a searchOrders window: ``now`` less the 2-minute hold-back."""
    latest = now - WINDOW_HOLDBACK
    return latest if requested is None or requested > latest else requested


def search_orders_query(
    *,
    marketplace_ids: Sequence[str],
    updated_after: datetime,
    now: datetime,
    updated_before: datetime | None = None,
    with_pii: bool = False,
    max_results: int = MAX_RESULTS_PER_PAGE,
) -> dict[str, str]:
    """First-page query of an incremental import on last-updated time.

    The window's end is held back two minutes before ``now`` (contract rule); the caller
    keeps ``lastUpdatedBefore`` from the result as the next window's start.
    """
    if not marketplace_ids:
        raise InvalidInput.field("marketplace_ids", [], "must name at least one marketplace")
    if len(marketplace_ids) > MAX_MARKETPLACES:
        raise InvalidInput.field(
            "marketplace_ids", len(marketplace_ids), f"exceeds {MAX_MARKETPLACES} marketplaces"
        )
    if not 1 <= max_results <= MAX_RESULTS_PER_PAGE:
        raise InvalidInput.field("max_results", max_results, "must be between 1 and 100")
    end = window_end(now, updated_before)
    if end < updated_after:
        raise InvalidInput.field(
            "updated_after",
            iso(updated_after),
            f"is after the window's end {iso(end)} (now less 2 minutes)",
        )
    return {
        "lastUpdatedAfter": iso(updated_after),
        "lastUpdatedBefore": iso(end),
        "marketplaceIds": ",".join(marketplace_ids),
        "includedData": ",".join(ORDER_DATA + (PII_DATA if with_pii else ())),
        "maxResultsPerPage": str(max_results),
    }


def search_orders_next_query(pagination_token: str) -> dict[str, str]:
    """Follow-up page: the pagination token and only the token (contract rule)."""
    if not pagination_token:
        raise InvalidInput.field("pagination_token", pagination_token, "is empty")
    return {"paginationToken": pagination_token}


#: getOrder as a Restricted Data Token names it: one RDT covers every order of the seller.
GET_ORDER_PATTERN = SEARCH_ORDERS_PATH + "/{orderId}"


def get_order_path(order_id: str) -> str:
    return f"{SEARCH_ORDERS_PATH}/{quote(order_id, safe='')}"


def get_order_query(*, with_pii: bool = False) -> dict[str, str]:
    return {"includedData": ",".join(ORDER_DATA + (PII_DATA if with_pii else ()))}


def next_token(body: Mapping[str, Any]) -> str | None:
    """The searchOrders ``pagination.nextToken``, absent on the last page."""
    pagination = body.get("pagination")
    token = pagination.get("nextToken") if isinstance(pagination, Mapping) else None
    return token if isinstance(token, str) and token else None


PII_ELEMENTS = ("buyerInfo", "shippingAddress")


def restricted_data_token_body(
    path: str, *, method: str = "GET", data_elements: Sequence[str] = PII_ELEMENTS
) -> dict[str, Any]:
    """createRestrictedDataToken for ``data_elements`` (default: buyer info and shipping
    address) on ``path``: one path, or a pattern with ``{…}`` segments (``…/orders/{orderId}``)."""
    return {
        "restrictedResources": [
            {"method": method, "path": path, "dataElements": list(data_elements)}
        ]
    }


def carrier_code(carrier: str) -> tuple[str, str | None]:
    """Amazon ``carrierCode`` and, for "Other", the ``carrierName`` to send with it.

    The code comes from the shared table in ``mappings.carriers``. A carrier that table does
    not know is sent as ``Other`` with its name, which the v0 contract provides for exactly
    this case (``carrierName`` is "required when carrierCode is Other"), so a shipment by a
    small regional carrier is never blocked.
    """
    try:
        return carrier_for("amazon", carrier), None
    except InvalidInput:
        return "Other", carrier.strip()


def confirm_shipment_path(order_id: str) -> str:
    return CONFIRM_SHIPMENT_PATH.format(order_id=quote(order_id, safe=""))


def confirm_shipment_body(
    *,
    marketplace_id: str,
    package: Package,
    package_number: int,
    shipped_at: datetime,
) -> dict[str, Any]:
    """v0 ``ConfirmShipmentRequest`` for one package (one call per package).

    ``package_number`` becomes ``packageReferenceId``, which Amazon accepts only as a positive
    number unique within the order. Each package line must name the Amazon orderItemId.
    """
    if package_number < 1:
        raise InvalidInput.field("package_number", package_number, "must be a positive number")
    if not package.lines:
        raise InvalidInput.field(
            "package.lines", [], "is empty: Amazon needs the order items in the package"
        )
    items = []
    for index, line in enumerate(package.lines):
        if not line.order_line_id:
            raise InvalidInput.field(
                f"package.lines[{index}].order_line_id",
                line.order_line_id,
                "is missing: Amazon confirms shipments by orderItemId",
            )
        items.append({"orderItemId": line.order_line_id, "quantity": line.quantity})
    code, name = carrier_code(package.carrier)
    detail: dict[str, Any] = {
        "packageReferenceId": str(package_number),
        "carrierCode": code,
        "trackingNumber": package.tracking_number,
        "shipDate": iso(shipped_at),
        "orderItems": items,
    }
    if name:
        detail["carrierName"] = name
    if package.service:
        detail["shippingMethod"] = package.service
    return {"marketplaceId": marketplace_id, "packageDetail": detail}


def listings_item_path(seller_id: str, sku: str | None = None) -> str:
    path = LISTINGS_ITEMS_PATH.format(seller_id=quote(seller_id, safe=""))
    return path if sku is None else f"{path}/{quote(sku, safe='')}"


def search_listings_query(
    *, marketplace_id: str, page_token: str | None = None, page_size: int = 20
) -> dict[str, str]:
    """searchListingsItems with what the listing mapping reads."""
    query = {
        "marketplaceIds": marketplace_id,
        "includedData": "summaries,offers,fulfillmentAvailability",
        "pageSize": str(page_size),
    }
    if page_token:
        query["pageToken"] = page_token
    return query


def quantity_patch(quantity: int, *, channel_code: str = "DEFAULT") -> dict[str, Any]:
    """The JSON patch that sets a SKU's seller-fulfilled quantity."""
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput.field("quantity", quantity, "must be a whole number of at least 0")
    return {
        "op": "replace",
        "path": "/attributes/fulfillment_availability",
        "value": [{"fulfillment_channel_code": channel_code, "quantity": quantity}],
    }


def patch_quantity_body(*, product_type: str, quantity: int) -> dict[str, Any]:
    """patchListingsItem body for fulfillment_availability."""
    if not product_type:
        raise InvalidInput.field("product_type", product_type, "is required by patchListingsItem")
    return {"productType": product_type, "patches": [quantity_patch(quantity)]}


def create_feed_document_body() -> dict[str, str]:
    return {"contentType": "application/json; charset=UTF-8"}


def create_feed_body(*, document_id: str, marketplace_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "feedType": "JSON_LISTINGS_FEED",
        "marketplaceIds": list(marketplace_ids),
        "inputFeedDocumentId": document_id,
    }
