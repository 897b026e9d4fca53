"""Merging orders (合单): one parcel for several orders of the same buyer to the same door.

Orders may merge when they share the configured keys (account, buyer, address, currency,
shipping service by default; always the channel and the payment method) and none has left the
hub (dispatched or later), been cancelled, or is fulfilled by the channel. A merge is
reversible: every merged line remembers its source order and its original line, so
:func:`unmerge` gives each order back exactly the lines it had.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.money import Money
from channelhub.core.order import Order, OrderKey, OrderLine, OrderTotals
from channelhub.core.parties import Address, Payment
from channelhub.core.types import VALUE_CONFIG, AsTuple


class MergeField(StrEnum):
    """What two orders must share to be merged."""

    ACCOUNT = "account"
    BUYER = "buyer"
    ADDRESS = "address"
    CURRENCY = "currency"
    SHIPPING_SERVICE = "shipping_service"


class MergeConfig(BaseModel):
    """Whether and how orders are merged; loaded from TOML by the caller."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    match_on: Annotated[tuple[MergeField, ...], AsTuple] = tuple(MergeField)
    max_orders: int = Field(default=10, ge=2)


class LineOrigin(BaseModel):
    """Where a merged line came from: its source order and the line as it was."""

    model_config = VALUE_CONFIG

    merged_line_id: str
    order: OrderKey
    line: OrderLine


class MergedOrder(BaseModel):
    """The merged order the hub ships, and the provenance of each of its lines."""

    model_config = VALUE_CONFIG

    order: Order
    sources: Annotated[tuple[OrderKey, ...], AsTuple] = Field(min_length=2)
    origins: Annotated[tuple[LineOrigin, ...], AsTuple] = Field(min_length=2)


def _fold(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def _address_key(address: Address) -> str:
    parts = (
        address.name,
        address.line1,
        address.line2,
        address.line3,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    )
    return "|".join(_fold(p) for p in parts)


def merge_key(order: Order, config: MergeConfig) -> tuple[str, ...] | None:
    """The key orders must share to merge, or None when this order may not merge."""
    if not config.enabled or order.is_channel_fulfilled or order.ship_to is None:
        return None
    if order.hub_status not in OPEN_STATUSES:
        return None
    key: list[str] = [order.channel, order.payment.method.value]
    for field in config.match_on:
        match field:
            case MergeField.ACCOUNT:
                key.append(order.account)
            case MergeField.BUYER:
                buyer = order.buyer
                who = buyer and (buyer.external_id or buyer.email or buyer.name)
                if not who:
                    return None  # an unknown buyer never merges with anyone
                key.append(_fold(who))
            case MergeField.ADDRESS:
                key.append(_address_key(order.ship_to))
            case MergeField.CURRENCY:
                key.append(order.currency)
            case MergeField.SHIPPING_SERVICE:
                key.append(_fold(order.shipping_service))
    return tuple(key)


def merge_candidates(orders: Iterable[Order], config: MergeConfig) -> tuple[tuple[Order, ...], ...]:
    """Groups of two or more orders that may merge, oldest first, at most ``max_orders`` each."""
    groups: dict[tuple[str, ...], list[Order]] = {}
    for order in orders:
        key = merge_key(order, config)
        if key is not None:
            groups.setdefault(key, []).append(order)
    out: list[tuple[Order, ...]] = []
    for members in groups.values():
        members.sort(key=lambda o: (o.placed_at, o.external_id))
        for start in range(0, len(members), config.max_orders):
            chunk = tuple(members[start : start + config.max_orders])
            if len(chunk) > 1:
                out.append(chunk)
    return tuple(out)


def merge_orders(
    orders: Sequence[Order], *, config: MergeConfig, merged_id: str | None = None
) -> MergedOrder:
    """Merge ``orders`` into one; InvalidInput names the order that does not fit."""
    if len(orders) < 2:
        raise InvalidInput.field("orders", len(orders), "are too few to merge (need two)")
    if len(orders) > config.max_orders:
        raise InvalidInput.field("orders", len(orders), f"exceed the cap of {config.max_orders}")
    first = orders[0]
    key = merge_key(first, config)
    for order in orders:
        if key is None or merge_key(order, config) != key:
            raise InvalidInput.field(
                "order",
                str(order.key),
                f"cannot merge with {first.key} (status, buyer, "
                "address, currency, service or payment differ, or merging is off)",
            )
    if len({o.key for o in orders}) != len(orders):
        raise InvalidInput.field("orders", [str(o.key) for o in orders], "name an order twice")
    origins: list[LineOrigin] = []
    lines: list[OrderLine] = []
    for order in orders:
        for line in order.lines:
            merged_id_line = f"{order.external_id}/{line.line_id}"
            origins.append(LineOrigin(merged_line_id=merged_id_line, order=order.key, line=line))
            lines.append(line.model_copy(update={"line_id": merged_id_line}))
    currency = first.currency
    total = sum((o.totals.total for o in orders), Money.zero(currency))
    cod = [o.payment.cod_amount for o in orders if o.payment.cod_amount is not None]
    payment = Payment(
        method=first.payment.method,
        paid=all(o.payment.paid for o in orders),
        cod_amount=sum(cod[1:], cod[0]) if cod else None,
    )
    remarks = [f"{o.external_id}: {o.remarks}" for o in orders if o.remarks]
    merged = first.model_copy(
        update={
            "external_id": merged_id or "M-" + "+".join(o.external_id for o in orders),
            "parent_external_id": None,
            "channel_status": "merged",
            "hub_status": HubStatus.NEW,
            "placed_at": min(o.placed_at for o in orders),
            "updated_at": max(o.updated_at for o in orders),
            "payment": payment,
            "totals": OrderTotals(total=total),
            "lines": tuple(lines),
            "remarks": " | ".join(remarks) or None,
            "tags": tuple(dict.fromkeys(t for o in orders for t in o.tags)),
            "ship_by": min((o.ship_by for o in orders if o.ship_by), default=None),
        }
    )
    return MergedOrder(
        order=Order.model_validate(merged.model_dump(), strict=False),
        sources=tuple(o.key for o in orders),
        origins=tuple(origins),
    )


def unmerge(
    merged: MergedOrder, lines: Sequence[OrderLine] | None = None
) -> tuple[tuple[OrderKey, tuple[OrderLine, ...]], ...]:
    """Each source order with its lines: ``lines`` (default: the merged order's own, e.g. after
    a split and rejoin) mapped back to the source line ids, in the sources' order."""
    by_id = {o.merged_line_id: o for o in merged.origins}
    by_order: dict[OrderKey, list[OrderLine]] = {key: [] for key in merged.sources}
    for line in merged.order.lines if lines is None else lines:
        origin = by_id.get(line.line_id)
        if origin is None:
            raise InvalidInput.field("line", line.line_id, "is not a line of the merged order")
        by_order[origin.order].append(line.model_copy(update={"line_id": origin.line.line_id}))
    return tuple((key, tuple(found)) for key, found in by_order.items())


def origin_of(merged: MergedOrder, merged_line_id: str) -> LineOrigin:
    """The source of one merged line (to report fulfilment against the right channel order)."""
    for origin in merged.origins:
        if origin.merged_line_id == merged_line_id:
            return origin
    raise InvalidInput.field("line", merged_line_id, "is not a line of the merged order")
