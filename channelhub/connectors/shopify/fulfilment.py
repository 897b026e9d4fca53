"""Fulfilment push to Shopify: one state read + ``fulfillmentCreate``, per package.

``fulfillmentCreate`` answers with the fulfilment as Shopify stored it, its tracking
included: that answer is reported ``recorded``, and the push job reads nothing back.

``fulfillmentCreate`` has no idempotency key, so before each package one query reads the
order's fulfillment orders AND the fulfilments already on it (two calls a package, the
contract's minimum for a push that must look before it writes), and the fulfilments are read
again after an ambiguous failure: a tracking number Shopify already holds is never pushed
twice. Each package takes only what its fulfillment orders still have open, so partial
fulfilment and several packages per order work.
"""

from __future__ import annotations

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.results import ChannelFulfilment, FulfilmentPush, PackagePushResult
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Package, PackageLine
from channelhub.mappings import shopify as m


class FulfilmentPushes:
    """The fulfilment half of the Shopify connector (mixed into :class:`ShopifyConnector`)."""

    _gql: ShopifyGraphQL

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """One state read and one ``fulfillmentCreate`` per package.

        A package whose tracking number Shopify already has is reported ``already_present``
        instead of fulfilled twice (one call).
        """
        return [await self._push_package(push, package) for package in push.packages]

    async def _push_package(self, push: FulfilmentPush, package: Package) -> PackagePushResult:
        answer = await self._gql.call(
            "fulfillmentState", m.fulfillment_state_request(push.order_external_id)
        )
        existing = m.parse_pushed_tracking(answer)
        if package.tracking_number in existing:
            return PackagePushResult(
                package.tracking_number,
                True,
                existing[package.tracking_number],
                already_present=True,
                recorded=True,
            )
        fulfillment_orders = m.parse_fulfillment_orders(answer)
        if package.lines:
            wanted: dict[str, int] = {}
            for line in package.lines:
                if not line.order_line_id:
                    return PackagePushResult(
                        package.tracking_number,
                        False,
                        reason=(f"package line {line.sku} names no Shopify order line"),
                    )
                wanted[line.order_line_id] = wanted.get(line.order_line_id, 0) + line.quantity
        else:  # a package without lines ships everything still open
            wanted = {}
            for fo in fulfillment_orders:
                for fo_line in fo.lines:
                    wanted[fo_line.order_line_id] = (
                        wanted.get(fo_line.order_line_id, 0) + fo_line.remaining_quantity
                    )
        try:
            plan = m.plan_fulfillment(fulfillment_orders, wanted)
            body = m.fulfillment_create_request(
                plan,
                company=package.carrier,
                number=package.tracking_number,
                url=package.tracking_url,
                notify_customer=push.notify_buyer,
            )
        except InvalidInput as exc:
            return PackagePushResult(package.tracking_number, False, reason=str(exc))
        try:
            answer = await self._gql.call("fulfillmentCreate", body, idempotent=False)
        except RetryableError as exc:
            # Shopify may have acted before failing: look before anyone retries.
            existing = _tracking_numbers(await self._fulfillments(push.order_external_id))
            if package.tracking_number in existing:
                return PackagePushResult(
                    package.tracking_number,
                    True,
                    existing[package.tracking_number],
                    recorded=True,
                )
            return PackagePushResult(
                package.tracking_number, False, reason=f"not created, retry later: {exc}"
            )
        created, errors = m.parse_fulfillment_create(answer)
        if created is None:
            return PackagePushResult(
                package.tracking_number,
                False,
                reason="; ".join(errors) or "Shopify created nothing",
            )
        # the mutation answers with the fulfilment as Shopify stored it, tracking included
        echoed = any(t.number == package.tracking_number for t in created.tracking)
        return PackagePushResult(
            package.tracking_number, True, created.fulfillment_id, recorded=echoed
        )

    async def _fulfillments(self, order_id: str) -> list[m.ShopifyFulfillment]:
        answer = await self._gql.call("fulfillments", m.order_fulfillments_request(order_id))
        return m.parse_order_fulfillments(answer)

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        found = []
        for fulfilment in await self._fulfillments(order_external_id):
            tracking = fulfilment.tracking[0] if fulfilment.tracking else None
            lines = tuple(
                PackageLine(sku=sku or f"line:{line_id}", quantity=qty, order_line_id=line_id)
                for (line_id, qty), sku in zip(
                    fulfilment.lines,
                    fulfilment.skus or (None,) * len(fulfilment.lines),
                    strict=True,
                )
                if qty > 0
            )
            found.append(
                ChannelFulfilment(
                    fulfilment.fulfillment_id,
                    tracking.number if tracking else None,
                    tracking.company if tracking else None,
                    lines,
                    fulfilment.created_at,
                )
            )
        return found


def _tracking_numbers(fulfilments: list[m.ShopifyFulfillment]) -> dict[str, str]:
    """Tracking number → the fulfilment holding it."""
    return {
        tracking.number: fulfilment.fulfillment_id
        for fulfilment in fulfilments
        for tracking in fulfilment.tracking
        if tracking.number
    }
