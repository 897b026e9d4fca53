"""Walmart shipping updates: one ``shippingUpdates`` call per package, never twice.

shippingUpdates has no idempotency key, so the order is read first (getAnOrder): a package
whose tracking number already shows on the order's lines is reported ``already_present``. A
lost answer (retryable error after sending) is resolved by reading the order again rather than
by posting again. shippingUpdates answers with the updated order: when it shows the package's
tracking number the result is ``recorded`` (the push job reads nothing back) and the next
package of the push is checked against it, without reading the order again. Cancelling lines
(cancelOrderLines) is here too: it is the same conversation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from channelhub.connectors.errors import ConnectorError, RetryableError
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.records import ChannelLines
from channelhub.connectors.results import ChannelFulfilment, FulfilmentPush, PackagePushResult
from channelhub.core.models import PackageLine
from channelhub.mappings.walmart import (
    ShipLine,
    cancel_body,
    order_path,
    shipped_lines,
    shipping_body,
)


def _json(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


class FulfilmentPusher:
    """Pushes and reads back one account's shipments."""

    def __init__(self, http: ConnectorHttpClient) -> None:
        self._http = http

    async def order(self, purchase_order_id: str) -> dict[str, Any]:
        response = await self._http.request("getAnOrder", "GET", order_path(purchase_order_id))
        return _order_of(_json(response.content))

    async def read(self, purchase_order_id: str) -> list[ChannelFulfilment]:
        """The order's shipped statuses grouped by tracking number."""
        grouped: dict[str, tuple[str | None, ChannelLines]] = {}
        for shipped in shipped_lines(await self.order(purchase_order_id)):
            entry = grouped.setdefault(shipped.tracking_number, (shipped.carrier, ChannelLines()))
            entry[1].add(shipped.sku, shipped.quantity, shipped.line_number)
        return [
            ChannelFulfilment(
                number, number, carrier, tuple(lines.lines), skipped=tuple(lines.skipped)
            )
            for number, (carrier, lines) in grouped.items()
        ]

    @staticmethod
    def _tracked(order: dict[str, Any]) -> set[str]:
        return {s.tracking_number.replace(" ", "") for s in shipped_lines(order)}

    async def push(self, push: FulfilmentPush) -> list[PackagePushResult]:
        order = await self.order(push.order_external_id)
        seller_order_id = _seller_order_id(order, push.order_external_id)
        results = []
        for index, package in enumerate(push.packages):
            number = package.tracking_number
            if number.replace(" ", "") in self._tracked(order):
                results.append(
                    PackagePushResult(number, True, number, already_present=True, recorded=True)
                )
                continue
            result, answered = await self._ship(
                push, number, package.carrier, package.lines, seller_order_id
            )
            results.append(result)
            if answered is not None:
                order = answered  # the order as Walmart holds it after this package
            elif result.accepted and index + 1 < len(push.packages):
                order = await self.order(push.order_external_id)  # for the next package
        return results

    async def _ship(
        self,
        push: FulfilmentPush,
        number: str,
        carrier: str,
        lines: Sequence[PackageLine],
        seller_order_id: str,
    ) -> tuple[PackagePushResult, dict[str, Any] | None]:
        """The package's result, and the order as Walmart answered with it (None: none).
        shippingUpdates answers with the updated order: when it shows the tracking number,
        the result is ``recorded`` (the push job reads nothing back)."""
        quantities: dict[str, int] = {}
        for line in lines:
            if not line.order_line_id:
                reason = f"package line {line.sku} has no Walmart lineNumber"
                return PackagePushResult(number, False, reason=reason), None
            quantities[line.order_line_id] = quantities.get(line.order_line_id, 0) + line.quantity
        body = shipping_body(
            [ShipLine(n, q) for n, q in quantities.items()],
            seller_order_id=seller_order_id,
            carrier=carrier,
            tracking_number=number,
            shipped_at=push.shipped_at,
        )
        try:
            response = await self._http.request(
                "shippingUpdates", "POST", order_path(push.order_external_id, "shipping"),
                json=body, headers={"Content-Type": "application/json"},
            )  # fmt: skip
        except RetryableError as exc:
            # the answer may be lost after Walmart acted: look before anyone retries
            order = await self.order(push.order_external_id)
            if number.replace(" ", "") in self._tracked(order):
                found = PackagePushResult(number, True, number, already_present=True, recorded=True)
                return found, order
            return PackagePushResult(number, False, reason=str(exc)), order
        except ConnectorError as exc:
            refused = PackagePushResult(number, False, reason=f"Walmart refused the package: {exc}")
            return refused, None
        try:
            answered: dict[str, Any] | None = _order_of(_json(response.content)) or None
        except ValueError:  # not JSON (an empty 200): nothing to learn from the answer
            answered = None
        shown = answered is not None and number.replace(" ", "") in self._tracked(answered)
        return PackagePushResult(number, True, number, recorded=shown), answered if shown else None

    async def cancel(self, purchase_order_id: str, lines: Sequence[ShipLine], reason: str) -> None:
        """Cancel ``lines`` (line number, quantity) of the order for ``reason``."""
        await self._http.request(
            "cancelOrderLines", "POST", order_path(purchase_order_id, "cancel"),
            json=cancel_body(lines, reason=reason), headers={"Content-Type": "application/json"},
        )  # fmt: skip


def _order_of(body: object) -> dict[str, Any]:
    """The order of a getAnOrder or shippingUpdates answer (``{"order": {...}}``)."""
    if isinstance(body, dict) and isinstance(body.get("order"), dict):
        return dict(body["order"])
    return body if isinstance(body, dict) else {}


def _seller_order_id(order: dict[str, Any], fallback: str) -> str:
    """The spec requires ``sellerOrderId`` on each shipped line: the order's own when it has
    one, else its purchase order id."""
    lines = (order.get("orderLines") or {}).get("orderLine") or []
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and isinstance(line.get("sellerOrderId"), str):
            return str(line["sellerOrderId"])
    return fallback
