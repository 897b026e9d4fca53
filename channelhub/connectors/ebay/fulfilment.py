"""eBay shipping fulfilments: one createShippingFulfillment per package, never twice.

createShippingFulfillment has no idempotency key, so the order's existing fulfilments are read
first (a package whose tracking number is already there is reported ``already_present``); a
lost answer (retryable error after sending) or a 409 is resolved by reading them again rather
than by posting again.
"""

from __future__ import annotations

from collections.abc import Sequence

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.http.client import ConnectorHttpClient, ConnectorResponse
from channelhub.connectors.records import ChannelLines, shorten
from channelhub.connectors.results import ChannelFulfilment, FulfilmentPush, PackagePushResult
from channelhub.core.errors import InvalidInput
from channelhub.core.models import PackageLine
from channelhub.mappings.ebay import (
    ebay_carrier_code,
    existing_fulfillment_for,
    fulfillment_id_from_location,
    order_path,
    shipping_fulfillment_body,
)


class FulfilmentPusher:
    """Pushes and reads back one account's fulfilments."""

    def __init__(self, http: ConnectorHttpClient) -> None:
        self._http = http

    async def _existing(self, order_id: str) -> dict[str, object]:
        response = await self._http.request(
            "getShippingFulfillments", "GET", order_path(order_id) + "/shipping_fulfillment"
        )
        body = response.json()
        return body if isinstance(body, dict) else {}

    async def read(self, order_external_id: str) -> list[ChannelFulfilment]:
        body = await self._existing(order_external_id)
        found = []
        for entry in body.get("fulfillments") or []:  # type: ignore[attr-defined]
            lines = ChannelLines()
            for ref in entry.get("lineItems") or []:
                line_id = str(ref.get("lineItemId"))
                lines.add(line_id, ref.get("quantity", 1), line_id)
            found.append(
                ChannelFulfilment(
                    str(entry.get("fulfillmentId")),
                    entry.get("shipmentTrackingNumber"),
                    entry.get("shippingCarrierCode"),
                    tuple(lines.lines),
                    skipped=tuple(lines.skipped),
                )
            )
        return found

    async def push(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """One createShippingFulfillment per package, never duplicating one eBay already has."""
        existing = await self._existing(push.order_external_id)
        results = []
        for package in push.packages:
            already = existing_fulfillment_for(existing, package.tracking_number)
            if already is not None:
                results.append(
                    PackagePushResult(
                        package.tracking_number, True, already, already_present=True, recorded=True
                    )
                )
                continue
            results.append(
                await self._create(push, package.tracking_number, package.carrier, package.lines)
            )
        return results

    async def _created(
        self, order_id: str, tracking: str, response: ConnectorResponse
    ) -> PackagePushResult:
        """A 201: the fulfilment exists. Its id is the ``Location``'s last segment; a Location
        in another form must not stop the remaining packages, so the id is read back by
        tracking number, and failing that the package is reported created without an id."""
        location = response.headers.get("location", "")
        try:
            return PackagePushResult(tracking, True, fulfillment_id_from_location(location))
        except InvalidInput:
            found = existing_fulfillment_for(await self._existing(order_id), tracking)
        shown = shorten(location, 120)
        if found is not None:
            return PackagePushResult(
                tracking,
                True,
                found,
                reason=f"created; id read back (Location {shown!r})",
                recorded=True,
            )
        return PackagePushResult(
            tracking,
            True,
            None,
            reason=f"created, but eBay's Location {shown!r} names no fulfilment id and the "
            "fulfilment was not found by its tracking number yet",
        )

    async def _create(
        self, push: FulfilmentPush, tracking: str, carrier: str, lines: Sequence[PackageLine]
    ) -> PackagePushResult:
        line_items: dict[str, int] = {}
        for line in lines:
            if not line.order_line_id:
                return PackagePushResult(
                    tracking, False, reason=f"package line {line.sku} has no eBay lineItemId"
                )
            line_items[line.order_line_id] = line_items.get(line.order_line_id, 0) + line.quantity
        body = shipping_fulfillment_body(
            line_items,
            carrier_code=ebay_carrier_code(carrier),
            tracking_number=tracking,
            shipped_at=push.shipped_at,
        )
        path = order_path(push.order_external_id) + "/shipping_fulfillment"
        try:
            response = await self._http.request(
                "createShippingFulfillment", "POST", path, json=body, expected={201, 409},
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
        except RetryableError as exc:
            # the answer may be lost after eBay acted: look before anyone retries
            found = existing_fulfillment_for(await self._existing(push.order_external_id), tracking)
            if found is not None:
                return PackagePushResult(tracking, True, found, already_present=True, recorded=True)
            return PackagePushResult(tracking, False, reason=str(exc))
        if response.status == 201:
            return await self._created(push.order_external_id, tracking, response)
        found = existing_fulfillment_for(await self._existing(push.order_external_id), tracking)
        if found is not None:
            return PackagePushResult(tracking, True, found, already_present=True, recorded=True)
        return PackagePushResult(
            tracking,
            False,
            reason=f"eBay refused the package (409 conflict): {response.excerpt(300)}",
        )
