"""Temu order list/detail responses -> canonical orders, one per child order.

Contract unverified (no public spec): fields follow the ``bg.order.list.v2.get`` and
``bg.order.detail.v2.get`` response tables of the transcript in contracts/temu/.

A Temu parent order (``PO-...``) groups child orders, one per SKU; shipment confirmation names
both numbers, so each child order becomes an Order with ``external_id = orderSn`` and
``parent_external_id = parentOrderSn``. Orders fulfilled by Temu's cooperative warehouses
(``fulfillByCooperativeWarehouse``) are ``FulfilledBy.CHANNEL``: imported, never dispatched.
The order APIs carry no amounts (those come from ``bg.order.amount.query``, not transcribed),
so totals are zero in the shop's currency and the order is tagged ``temu:amounts-unavailable``
rather than given invented prices.

The list and detail carry no address: a group may hold the ``bg.order.shippinginfo.v2.get``
result under ``shippingInfo`` (the connector adds it for merchant-fulfilled parents); its
address then becomes ``ship_to`` of every merchant-fulfilled child (see shipping.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput, excerpt
from channelhub.core.models import (
    ChannelOrderState,
    FulfilledBy,
    Money,
    Order,
    OrderLine,
    OrderTotals,
)
from channelhub.core.validation import build, refusing
from channelhub.mappings._fieldpath import (
    epoch_seconds,
    ident,
    integer,
    items,
    obj,
    opt_ident,
    opt_text,
)
from channelhub.mappings.temu.shipping import (
    SHIPPING_INFO_KEY,
    TemuShipTo,
    normalize_shipping_info,
    with_ship_to,
)

CHANNEL = "temu"
SOURCE = "temu order"
AMOUNTS_UNAVAILABLE_TAG = "temu:amounts-unavailable"
CHANNEL_FULFILLED_TYPES = frozenset({"fulfillByCooperativeWarehouse"})

#: parentOrderStatus / orderStatus codes: (raw name, normalised state).
STATUS_CODES: Mapping[int, tuple[str, ChannelOrderState]] = {
    1: ("PENDING", ChannelOrderState.PENDING),
    2: ("UN_SHIPPING", ChannelOrderState.UNSHIPPED),
    3: ("CANCELED", ChannelOrderState.CANCELLED),
    4: ("SHIPPED", ChannelOrderState.SHIPPED),
    5: ("RECEIPTED", ChannelOrderState.DELIVERED),
    41: ("PARTIALLY_SHIPPED", ChannelOrderState.PARTIALLY_SHIPPED),
    51: ("PARTIALLY_RECEIPTED", ChannelOrderState.SHIPPED),
}


def order_state(code: int) -> tuple[str, ChannelOrderState]:
    """The raw status word (kept on the order) and its normalised meaning."""
    return STATUS_CODES.get(code, (str(code), ChannelOrderState.UNKNOWN))


def _groups(payload: object) -> list[tuple[str, Mapping[str, Any]]]:
    """(path, {parentOrderMap, orderList}) for every shape: list page, detail, a single group."""
    root = obj(payload, "(payload)", source=SOURCE)
    if root.get("success") is False:
        raise InvalidInput.field(
            "errorCode",
            root.get("errorCode"),
            f"Temu refused the call: {excerpt(root.get('errorMsg'))}",
        )
    path = "(payload)"
    if "result" in root:
        root = obj(root["result"], "result", source=SOURCE)
        path = "result"
    if "pageItems" in root:
        page = items(root["pageItems"], f"{path}.pageItems", source=SOURCE)
        return [
            (f"{path}.pageItems[{i}]", obj(group, f"{path}.pageItems[{i}]", source=SOURCE))
            for i, group in enumerate(page)
        ]
    if "parentOrderMap" in root:
        return [(path, root)]
    raise InvalidInput(
        [f"{path}: neither result.pageItems nor parentOrderMap found (not a Temu order payload)"],
        source=SOURCE,
    )


def _child_order(
    parent: Mapping[str, Any],
    child: Mapping[str, Any],
    *,
    parent_path: str,
    path: str,
    account: str,
    currency: str,
) -> Order:
    parent_sn = ident(parent, "parentOrderSn", parent_path, source=SOURCE)
    order_sn = ident(child, "orderSn", path, source=SOURCE)
    status_code = integer(child, "orderStatus", path, source=SOURCE)
    status, state = order_state(status_code)
    quantity = integer(child, "quantity", path, source=SOURCE, minimum=1)
    parent_time = epoch_seconds(
        parent.get("parentOrderTime"), f"{parent_path}.parentOrderTime", source=SOURCE
    )
    placed_at = (
        epoch_seconds(child["orderCreateTime"], f"{path}.orderCreateTime", source=SOURCE)
        if child.get("orderCreateTime")
        else parent_time
    )
    updated_at = _updated_at(parent, child, placed_at, parent_path=parent_path, path=path)
    fulfilment = opt_text(child, "fulfillmentType", path, source=SOURCE, limit=strict.CODE_CHARS)
    line = {
        "line_id": order_sn,
        "listing_id": ident(child, "goodsId", path, source=SOURCE),
        "variation_id": opt_ident(child, "skuId", path, source=SOURCE),
        "channel_sku": opt_text(child, "outSkuSn", path, source=SOURCE, limit=strict.SKU_CHARS),
        "title": opt_text(child, "goodsName", path, source=SOURCE, limit=strict.TITLE_CHARS),
        "quantity": quantity,
        "cancelled_quantity": quantity if state is ChannelOrderState.CANCELLED else 0,
        "shipped_quantity": quantity
        if state in (ChannelOrderState.SHIPPED, ChannelOrderState.DELIVERED)
        else 0,
    }
    ship_by = parent.get("expectShipLatestTime")
    deliver_by = parent.get("latestDeliveryTime")
    return build(
        Order,
        source=f"{SOURCE} {order_sn}",
        channel=CHANNEL,
        account=account,
        external_id=order_sn,
        parent_external_id=parent_sn,
        channel_status=status,
        channel_state=state,
        placed_at=placed_at,
        updated_at=updated_at,
        totals=OrderTotals(total=Money.zero(currency)),
        lines=[build(OrderLine, source=f"{SOURCE} {order_sn}", **line)],
        fulfilled_by=FulfilledBy.CHANNEL
        if fulfilment in CHANNEL_FULFILLED_TYPES
        else FulfilledBy.MERCHANT,
        ship_by=epoch_seconds(ship_by, f"{parent_path}.expectShipLatestTime", source=SOURCE)
        if ship_by
        else None,
        deliver_by=epoch_seconds(deliver_by, f"{parent_path}.latestDeliveryTime", source=SOURCE)
        if deliver_by
        else None,
        tags=[AMOUNTS_UNAVAILABLE_TAG],
    )


def _updated_at(
    parent: Mapping[str, Any],
    child: Mapping[str, Any],
    placed_at: datetime,
    *,
    parent_path: str,
    path: str,
) -> datetime:
    """``updateTime`` when the list gives it; the detail has none, so its latest known event."""
    if parent.get("updateTime"):
        return max(
            placed_at,
            epoch_seconds(parent["updateTime"], f"{parent_path}.updateTime", source=SOURCE),
        )
    times = [placed_at]
    for where, data, key in (
        (parent_path, parent, "parentShippingTime"),
        (path, child, "orderShippingTime"),
    ):
        if data.get(key):
            times.append(epoch_seconds(data[key], f"{where}.{key}", source=SOURCE))
    return max(times)


def normalize_orders(payload: object, *, account: str, currency: str = "USD") -> list[Order]:
    """Every child order in a list page, a detail response or a single parent-order group."""
    with refusing(SOURCE):
        return _orders(payload, account=account, currency=currency)


def _orders(payload: object, *, account: str, currency: str) -> list[Order]:
    orders: list[Order] = []
    for path, group in _groups(payload):
        parent = obj(group.get("parentOrderMap"), f"{path}.parentOrderMap", source=SOURCE)
        children: Sequence[Any] = items(group.get("orderList"), f"{path}.orderList", source=SOURCE)
        if not children:
            raise InvalidInput(
                [f"{path}.orderList is empty: a parent order without child orders"], source=SOURCE
            )
        ship_to: TemuShipTo | None = None
        if group.get(SHIPPING_INFO_KEY) is not None:
            ship_to = normalize_shipping_info(
                group[SHIPPING_INFO_KEY], path=f"{path}.{SHIPPING_INFO_KEY}"
            )
        for index, child in enumerate(children):
            child_path = f"{path}.orderList[{index}]"
            order = _child_order(
                parent,
                obj(child, child_path, source=SOURCE),
                parent_path=f"{path}.parentOrderMap",
                path=child_path,
                account=account,
                currency=currency,
            )
            if ship_to is not None and order.fulfilled_by is FulfilledBy.MERCHANT:
                order = with_ship_to(order, ship_to)
            orders.append(order)
    return orders


def needs_ship_to(group: Mapping[str, Any]) -> bool:
    """Whether a parent-order group has a merchant-fulfilled child (its address is needed)."""
    children = group.get("orderList")
    if not isinstance(children, list):
        return False
    return any(
        isinstance(child, Mapping) and child.get("fulfillmentType") not in CHANNEL_FULFILLED_TYPES
        for child in children
    )
