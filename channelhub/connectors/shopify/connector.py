"""The Shopify SalesChannel: orders, listings, stock and fulfilment over Admin GraphQL.

Wire formats stay in :mod:`channelhub.mappings.shopify` (documents, builders, readers); this
module only talks: it sends the builders' bodies through :class:`ShopifyGraphQL` and turns
the readers' answers into the SDK's result values.

Settings: ``shop`` (``name`` of name.myshopify.com), ``api_version`` (default 2025-01),
``location_id`` (default location for stock pushes), ``overlap_seconds`` (300),
``hold_back_seconds`` (60), ``webhook_window_hours`` (49: Shopify retries for 48 h).
Credentials: ``access_token``, ``api_secret`` (webhook signatures).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.connectors.errors import RetryableError, WebhookRejected
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.results import (
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    RawRecord,
    RecordFailure,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.shopify.dedupe import InMemoryWebhookDedupe, WebhookDedupe
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.connectors.webhooks import check_replay_window, verify_hmac_sha256
from channelhub.core.errors import InvalidInput, NotFound
from channelhub.core.models import Listing, Order, Package, PackageLine
from channelhub.mappings import shopify as m

CAPABILITIES = frozenset(
    {
        Capability.PULL_ORDERS,
        Capability.GET_ORDER,
        Capability.PULL_LISTINGS,
        Capability.PUSH_QUANTITIES,
        Capability.PUSH_FULFILMENT,
        Capability.PARTIAL_FULFILMENT,
        Capability.READ_FULFILMENTS,
        Capability.VERIFY_WEBHOOK,
    }
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DuplicateWebhook(WebhookRejected):
    """A delivery whose ``X-Shopify-Webhook-Id`` was already processed: answer 200, skip it."""


@dataclass(frozen=True)
class _Window:
    since: datetime
    until: datetime | None = None
    after: str | None = None

    def encode(self) -> str:
        return json.dumps(
            {
                "since": self.since.isoformat(),
                "until": self.until.isoformat() if self.until else None,
                "after": self.after,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, cursor: str) -> _Window:
        try:
            data = json.loads(cursor)
            return cls(
                since=datetime.fromisoformat(data["since"]),
                until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
                after=data.get("after"),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidInput.field("cursor", cursor, "is not a Shopify order cursor") from None


class ShopifyConnector:
    """One Shopify shop (account) as a :class:`~channelhub.connectors.roles.SalesChannel`."""

    platform = "shopify"
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext, *, dedupe: WebhookDedupe | None = None) -> None:
        self.account = context.account
        self._context = context
        self._gql = ShopifyGraphQL(context)
        self._dedupe: WebhookDedupe = dedupe or InMemoryWebhookDedupe()
        settings = context.settings
        self._location = str(settings["location_id"]) if settings.get("location_id") else None
        self._overlap = timedelta(seconds=float(settings.get("overlap_seconds", 300)))
        self._hold_back = timedelta(seconds=float(settings.get("hold_back_seconds", 60)))
        self._webhook_window = timedelta(hours=float(settings.get("webhook_window_hours", 49)))

    def __repr__(self) -> str:
        return f"ShopifyConnector(account={self.account!r}, api={self._gql.api_version})"

    @property
    def api_version(self) -> str:
        return self._gql.api_version

    async def aclose(self) -> None:
        await self._gql.aclose()

    def _raw(self, kind: str, external_id: str | None, node: Any) -> RawRecord:
        body = json.dumps(node, separators=(",", ":"), default=str).encode()
        return RawRecord(kind, external_id, body, self._context.now())

    # --- orders ----------------------------------------------------------------------------

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Orders updated in ``[since, now - hold back)`` oldest update first, page by page.

        The page cursor holds the window and Shopify's page cursor, so a resumed run reads the
        same window; the last page's cursor starts the next run ``overlap`` before this
        window's end, so an order updated while this run paged is read again, never lost.
        """
        window = _Window.decode(cursor) if cursor else _Window(since=since or EPOCH)
        until = window.until or self._context.now() - self._hold_back
        window = replace(window, until=until)
        while True:
            body = m.orders_request(
                updated_since=window.since, updated_before=window.until, after=window.after
            )
            answer = await self._gql.call("orders", body)
            connection = _mapping(m.data_of(answer, "orders").get("orders"))
            more, end_cursor = m.page_info(connection, "orders")
            items, raws, failures = [], [], []
            for edge in connection.get("edges") or []:
                node = _mapping(edge.get("node") if isinstance(edge, dict) else None)
                raw = self._raw("order", _node_id(node), node)
                raws.append(raw)
                try:
                    items.append(m.order_from_node(node, account=self.account))
                except InvalidInput as exc:
                    failures.append(RecordFailure(raw, str(exc)))
            if more and end_cursor:
                window = replace(window, after=end_cursor)
                next_cursor = window.encode()
            else:
                next_cursor = _Window(since=until - self._overlap).encode()
            yield PageOf(tuple(items), tuple(raws), next_cursor, not more, tuple(failures))
            if not more or not end_cursor:
                return

    async def get_order(self, external_id: str) -> Fetched[Order]:
        answer = await self._gql.call("order", m.order_request(external_id))
        node = m.data_of(answer, "order").get("order")
        if node is None:
            raise NotFound(f"shopify account {self.account!r} has no order {external_id!r}")
        return Fetched(
            m.order_from_node(node, account=self.account), self._raw("order", external_id, node)
        )

    # --- listings --------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Products with their variants (one listing per variant), page by page."""
        after = cursor
        while True:
            answer = await self._gql.call("products", m.products_request(after=after))
            data = m.data_of(answer, "products")
            currency = (data.get("shop") or {}).get("currencyCode")
            more, end_cursor = m.page_info(data.get("products"), "products")
            items: list[Listing] = []
            raws, failures = [], []
            for edge in _mapping(data.get("products")).get("edges") or []:
                node = _mapping(edge.get("node") if isinstance(edge, dict) else None)
                raw = self._raw("listing", _node_id(node), node)
                raws.append(raw)
                try:
                    items += m.listings_from_product(node, account=self.account, currency=currency)
                except InvalidInput as exc:
                    failures.append(RecordFailure(raw, str(exc)))
            after = end_cursor if more else None
            yield PageOf(tuple(items), tuple(raws), end_cursor, not more, tuple(failures))
            if not more or not end_cursor:
                return

    async def locations(self) -> list[m.ShopifyLocation]:
        """Every location of the shop (where stock is counted and pushed)."""
        found: list[m.ShopifyLocation] = []
        after = None
        while True:
            answer = await self._gql.call("locations", m.locations_request(after=after))
            found += m.normalize_locations(answer)
            more, after = m.page_info(m.data_of(answer, "locations").get("locations"), "locations")
            if not more or not after:
                return found

    # --- stock -----------------------------------------------------------------------------

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """Set ``available`` in calls of at most 250, compare-and-set on ``expected_previous``.

        A stale compare value is re-read and the change retried once (in one more call per
        batch); if it is stale again it is reported retryable. Every update gets a result.
        """
        results: dict[int, QuantityPushResult] = {}
        changes: dict[int, m.QuantityChange] = {}
        last_for_key: dict[tuple[str, str], int] = {}
        for i, update in enumerate(updates):
            location = update.location or self._location
            if not update.inventory_ref or not location:
                missing = (
                    "inventory item (inventory_ref)" if not update.inventory_ref else "location"
                )
                results[i] = QuantityPushResult(
                    update.listing, update.quantity, False, f"no Shopify {missing} to push to"
                )
                continue
            change = m.QuantityChange(
                update.inventory_ref, location, update.quantity, update.expected_previous
            )
            if change.key in last_for_key:
                earlier = last_for_key[change.key]
                results[earlier] = QuantityPushResult(
                    updates[earlier].listing,
                    updates[earlier].quantity,
                    False,
                    "superseded by a later update of the same item in this push",
                )
                del changes[earlier]
            last_for_key[change.key] = i
            changes[i] = change
        checked = [i for i, c in changes.items() if c.compare_quantity is not None]
        unchecked = [i for i, c in changes.items() if c.compare_quantity is None]
        for group in (checked, unchecked):
            for start in range(0, len(group), m.MAX_INPUT_ITEMS):
                batch = group[start : start + m.MAX_INPUT_ITEMS]
                outcome = await self._set_batch([changes[i] for i in batch], retry_stale=True)
                for i, result in zip(batch, outcome, strict=True):
                    results[i] = _push_result(updates[i], result)
        return [results[i] for i in range(len(updates))]

    async def _set_batch(
        self, batch: list[m.QuantityChange], *, retry_stale: bool
    ) -> list[m.QuantityResult]:
        body = m.inventory_set_quantities_request(
            batch, reference_document_uri=(f"channelhub://stock-push/{self.account}")
        )
        answer = await self._gql.call("setQuantities", body)
        results = m.inventory_set_results(batch, answer)
        stale = [r for r in results if r.status == "stale"]
        if not retry_stale or not stale:
            return results
        current = await self._read_levels([r.change.inventory_item_id for r in stale])
        final: dict[tuple[str, str], m.QuantityResult] = {}
        again: list[m.QuantityChange] = []
        for result in results:
            key = result.change.key
            if result.status == "stale":
                now_there = current.get(key)
                if now_there is None:
                    final[key] = replace(
                        result, status="rejected", message="the item is no longer stocked there"
                    )
                elif now_there == result.change.quantity:
                    final[key] = m.QuantityResult(result.change, "accepted")  # already so
                else:
                    again.append(replace(result.change, compare_quantity=now_there))
            elif result.status == "not_applied":
                again.append(result.change)
            else:
                final[key] = result
        while again:  # the call is atomic: resend what only failed alongside another item
            retried = await self._set_batch(again, retry_stale=False)
            again = [r.change for r in retried if r.status == "not_applied"]
            if len(again) == len(retried):
                again = []  # nothing failed for its own sake: do not loop
            final.update({r.change.key: r for r in retried})
        return [final[r.change.key] for r in results]

    async def _read_levels(self, item_ids: list[str]) -> dict[tuple[str, str], int]:
        levels: dict[tuple[str, str], int] = {}
        unique = list(dict.fromkeys(item_ids))
        size = m.queries.LEVELS_PAGE_SIZE
        for start in range(0, len(unique), size):
            answer = await self._gql.call(
                "levels", m.inventory_levels_request(unique[start : start + size])
            )
            levels.update(m.inventory_levels(answer))
        return levels

    # --- fulfilment ------------------------------------------------------------------------

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """One ``fulfillmentCreate`` per package, against the order's fulfillment orders.

        Fulfilments already on the order are read first, so a package whose tracking number
        Shopify already has is reported ``already_present`` instead of fulfilled twice.
        """
        existing = await self._tracking_numbers(push.order_external_id)
        results = []
        for package in push.packages:
            if package.tracking_number in existing:
                results.append(
                    PackagePushResult(
                        package.tracking_number, True, existing[package.tracking_number], True
                    )
                )
                continue
            result = await self._push_package(push, package)
            if result.accepted and result.fulfilment_id:
                existing[package.tracking_number] = result.fulfilment_id
            results.append(result)
        return results

    async def _push_package(self, push: FulfilmentPush, package: Package) -> PackagePushResult:
        answer = await self._gql.call(
            "fulfillmentOrders", m.fulfillment_orders_request(push.order_external_id)
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
            existing = await self._tracking_numbers(push.order_external_id)
            if package.tracking_number in existing:
                return PackagePushResult(
                    package.tracking_number, True, existing[package.tracking_number]
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
        return PackagePushResult(package.tracking_number, True, created.fulfillment_id)

    async def _tracking_numbers(self, order_id: str) -> dict[str, str]:
        return {
            tracking.number: fulfilment.fulfillment_id
            for fulfilment in await self._fulfillments(order_id)
            for tracking in fulfilment.tracking
            if tracking.number
        }

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

    # --- webhooks --------------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Signature (constant time) -> replay window -> dedupe on the webhook id.

        Raises WebhookRejected for a forged, malformed or stale delivery and
        :class:`DuplicateWebhook` for one already processed (answer it 200 and skip it).
        """
        lower = {k.lower(): v for k, v in headers.items()}
        verify_hmac_sha256(
            self._context.credential("api_secret"),
            body,
            lower.get(m.webhooks.HMAC_HEADER.lower()),
            platform="shopify",
        )
        webhook_id = lower.get(m.webhooks.WEBHOOK_ID_HEADER.lower())
        if not webhook_id:
            raise WebhookRejected("the webhook has no X-Shopify-Webhook-Id", platform="shopify")
        triggered = lower.get(m.webhooks.TRIGGERED_AT_HEADER.lower())
        occurred_at = None
        if triggered:
            try:
                occurred_at = datetime.fromisoformat(triggered.replace("Z", "+00:00"))
            except ValueError:
                raise WebhookRejected(
                    "X-Shopify-Triggered-At is not a time", platform="shopify"
                ) from None
            if occurred_at.tzinfo is None:
                occurred_at = occurred_at.replace(tzinfo=UTC)
            check_replay_window(occurred_at, now, window=self._webhook_window, platform="shopify")
        try:
            payload = m.load_webhook_json(body)
        except InvalidInput:
            raise WebhookRejected("the webhook body is not JSON", platform="shopify") from None
        if not isinstance(payload, dict):
            raise WebhookRejected("the webhook body is not a JSON object", platform="shopify")
        if self._dedupe.seen(webhook_id):
            raise DuplicateWebhook(
                f"webhook {webhook_id} was already processed", platform="shopify"
            )
        topic = lower.get(m.webhooks.TOPIC_HEADER.lower(), "")
        external_id = str(payload["id"]) if isinstance(payload.get("id"), int | str) else None
        raw = RawRecord("webhook", external_id, body, now)
        return WebhookEvent(webhook_id, topic, occurred_at, payload, raw)

    def order_from_webhook(self, event: WebhookEvent) -> Order:
        """The canonical order of an ``orders/create|updated|cancelled`` delivery."""
        if event.topic not in m.webhooks.ORDER_TOPICS:
            raise InvalidInput.field("topic", event.topic, "is not an order topic")
        (order,) = m.normalize_orders(dict(event.payload), account=self.account)
        return order


def _mapping(value: object) -> dict[str, Any]:
    """A JSON object from an answer; anything else reads as empty (the mapping then names
    what is missing)."""
    return value if isinstance(value, dict) else {}


def _node_id(node: object) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return str(node["id"]).rsplit("/", 1)[-1]
    return None


def _push_result(update: QuantityUpdate, result: m.QuantityResult) -> QuantityPushResult:
    if result.status == "accepted":
        return QuantityPushResult(update.listing, update.quantity, True)
    retryable = result.status in {"stale", "not_applied"}
    reason = result.message or result.code or result.status
    if result.code and result.code not in reason:
        reason = f"{result.code}: {reason}"
    return QuantityPushResult(update.listing, update.quantity, False, reason, retryable)
