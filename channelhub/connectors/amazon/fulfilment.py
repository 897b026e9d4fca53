"""Shipment confirmation on Amazon: v0 ``confirmShipment``, one call per package.

confirmShipment has no idempotency key, so the order's packages are read first (getOrder
with PACKAGES): a tracking number Amazon already has is reported ``already_present`` and not
sent again. After an ambiguous failure (5xx, timeout) the packages are read back before any
new attempt, so a confirmation that did land is never doubled.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from channelhub.connectors.errors import ConnectorError, ContractViolation, RetryableError
from channelhub.connectors.http.client import ConnectorResponse
from channelhub.connectors.records import ChannelLines
from channelhub.connectors.results import (
    ChannelFulfilment,
    FulfilmentPush,
    PackagePushResult,
    RawRecord,
)
from channelhub.mappings.amazon import requests as build

Call = Callable[..., Awaitable[ConnectorResponse]]
OrderReader = Callable[..., Awaitable[Any]]
ATTEMPTS = 3


def fulfilments_from_order(order: Mapping[str, Any]) -> list[ChannelFulfilment]:
    """The order's packages (2026-01-01 ``packages``) as channel fulfilments."""
    skus = {
        str(item.get("orderItemId")): (item.get("product") or {}).get("sellerSku")
        for item in order.get("orderItems") or []
    }
    fulfilments = []
    for package in order.get("packages") or []:
        lines = ChannelLines()
        for entry in package.get("packageItems") or []:
            item_id = str(entry.get("orderItemId"))
            lines.add(skus.get(item_id) or item_id, entry.get("quantity", 1), item_id)
        fulfilments.append(
            ChannelFulfilment(
                fulfilment_id=str(package.get("packageReferenceId")),
                tracking_number=package.get("trackingNumber"),
                carrier=package.get("carrier"),
                lines=tuple(lines.lines),
                skipped=tuple(lines.skipped),
            )
        )
    return fulfilments


def fulfilments_in_body(raw: RawRecord) -> list[ChannelFulfilment] | None:
    """The packages of an archived order body (as the connector keeps them), None when it is
    not an order or not JSON."""
    if raw.kind != "order":
        return None
    try:
        body = json.loads(raw.body)
    except ValueError:
        return None
    return fulfilments_from_order(body) if isinstance(body, Mapping) else None


async def push_packages(
    call: Call, read_order: OrderReader, push: FulfilmentPush
) -> list[PackagePushResult]:
    """Confirm each package of ``push`` that Amazon does not have yet."""
    order = await read_order(push.order_external_id, pii=False)
    marketplace = (order.get("salesChannel") or {}).get("marketplaceId")
    if not isinstance(marketplace, str):
        raise ContractViolation(f"order {push.order_external_id} has no marketplaceId")
    existing = fulfilments_from_order(order)
    known = {f.tracking_number: f.fulfilment_id for f in existing if f.tracking_number}
    numbers = [int(f.fulfilment_id) for f in existing if f.fulfilment_id.isdigit()]
    next_number = 1 + max(numbers, default=0)
    results = []
    for package in push.packages:
        tracking = package.tracking_number
        if tracking in known:
            found = PackagePushResult(
                tracking, True, known[tracking], already_present=True, recorded=True
            )
            results.append(found)
            continue
        body = build.confirm_shipment_body(
            marketplace_id=marketplace,
            package=package,
            package_number=next_number,
            shipped_at=push.shipped_at,
        )
        results.append(
            await _confirm(call, read_order, push.order_external_id, body, tracking, next_number)
        )
        next_number += 1
    return results


async def _confirm(
    call: Call,
    read_order: OrderReader,
    order_id: str,
    body: Mapping[str, Any],
    tracking: str,
    number: int,
) -> PackagePushResult:
    path = build.confirm_shipment_path(order_id)
    reason = "not attempted"
    for _ in range(ATTEMPTS):
        try:
            await call("confirmShipment", "POST", path, json=body, expected={204})
            return PackagePushResult(tracking, True, str(number))
        except RetryableError as error:
            reason = str(error)
            order = await read_order(order_id, pii=False)
            if any(f.tracking_number == tracking for f in fulfilments_from_order(order)):
                return PackagePushResult(
                    tracking, True, str(number), already_present=True, recorded=True
                )
        except ConnectorError as error:
            return PackagePushResult(tracking, False, reason=str(error))
    return PackagePushResult(tracking, False, reason=reason)
