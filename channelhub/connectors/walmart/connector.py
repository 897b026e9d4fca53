"""The Walmart Marketplace sales-channel connector: orders, items, inventory and shipping.

Thin I/O over ``channelhub.mappings.walmart`` and the SDK's ConnectorHttpClient (rate limits,
retries, redaction). Orders, in two phases per run (see :mod:`.cursor`): released orders (the
ones in ``Created`` status, waiting for the seller) by ``createdStartDate`` windows ending
``lag`` before now, ``limit`` 200, following ``meta.nextCursor`` as given; each page's orders
are acknowledged once the caller has taken the page (committed it) and asks for the next. A
released order stays released until it is acknowledged, so each window starts :data:`REREAD`
before the last one ended: an order whose acknowledgement failed (or whose run died before it)
is read and acknowledged again. Then every order modified since the last run (getAllOrders by
``lastModifiedStartDate``, :data:`OVERLAP` held back): the released read never shows an
acknowledged order again, so a buyer's cancellation or a refunded line comes from here.
Imports upsert, so a re-read is not a double.
Stock: one ``PUT /v3/inventory`` per SKU for a few, one bulk inventory feed for many (its
per-SKU results read back from the feed status). Shipping: see :mod:`.fulfilment`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.records import NextTokens, PageRecords, map_fetched
from channelhub.connectors.results import (
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    RawRecord,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.walmart.auth import WalmartAuth
from channelhub.connectors.walmart.cursor import OrderCursor
from channelhub.connectors.walmart.fulfilment import FulfilmentPusher
from channelhub.connectors.walmart.notify import NotificationVerifier
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.core.models import Listing, Order
from channelhub.mappings.walmart import (
    FEED_THRESHOLD,
    FEEDS_PATH,
    INVENTORY_PATH,
    ITEMS_PATH,
    ORDERS_PATH,
    RELEASED_PATH,
    ShipLine,
    all_orders_params,
    feed_results,
    inventory_body,
    inventory_feed,
    multipart,
    next_cursor_path,
    normalize_listings,
    normalize_orders,
    order_path,
    page_orders,
    released_params,
)

logger = logging.getLogger("channelhub.connectors.walmart")

DEFAULT_BASE_URL = "https://marketplace.walmartapis.com"
#: Each window re-reads this much before the last end (released orders are the unacknowledged).
REREAD = timedelta(days=1)
#: The next run's modified-orders window starts this much before the last one ended.
OVERLAP = timedelta(minutes=10)
#: getAllOrders defaults to orders created in the last 7 days and reaches back 180 at most:
#: a change to an older order is asked for explicitly.
ALL_ORDERS_REACH = timedelta(days=179)
#: Conservative plans (Walmart publishes per-API limits in its portal, not in the specs).
LIMITS: Mapping[str, RateLimit] = {
    "getAllReleasedOrders": RateLimit(rate=2, burst=10),
    "getAllOrders": RateLimit(rate=2, burst=10),
    "getAnOrder": RateLimit(rate=5, burst=10),
    "acknowledgeOrders": RateLimit(rate=5, burst=10),
    "shippingUpdates": RateLimit(rate=5, burst=10),
    "cancelOrderLines": RateLimit(rate=5, burst=10),
    "getAllItems": RateLimit(rate=2, burst=5),
    "updateInventoryForAnItem": RateLimit(rate=5, burst=10),
    "updateBulkInventory": RateLimit(rate=0.1, burst=2),
    "getFeedItemStatus": RateLimit(rate=2, burst=5),
}
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


def _json(content: bytes) -> Any:
    """Walmart amounts are JSON numbers: read them as Decimal, never float."""
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:
        return None


class WalmartConnector:
    """One Walmart seller account."""

    platform = "walmart"
    capabilities = CAPABILITIES

    def __init__(
        self,
        context: ConnectorContext,
        *,
        page_limit: int = 200,
        lag: timedelta = timedelta(minutes=2),
        feed_threshold: int | None = None,
        feed_polls: int = 5,
        feed_wait: float = 2.0,
    ) -> None:
        self.account = context.account
        self._now = context.now
        self._sleep = context.sleep
        self._page_limit = page_limit
        self._lag = lag
        configured = context.settings.get("stock_feed_threshold")
        self._feed_threshold = (
            feed_threshold
            if feed_threshold is not None
            else int(configured)
            if isinstance(configured, int)
            else FEED_THRESHOLD
        )
        self._feed_polls = feed_polls
        self._feed_wait = feed_wait
        self._token_http = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits={"token": RateLimit(rate=1, burst=5)}
        )
        self.auth = WalmartAuth(
            self._token_http,
            client_id=context.credential("client_id"),
            client_secret=context.credential("client_secret"),
            clock=context.clock,
            rng=context.rng,
            shared=context.token_slot(
                "oauth", context.credential("client_id"), context.credential("client_secret")
            ),
        )
        self.http: ConnectorHttpClient = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits=LIMITS, auth=self.auth
        )
        self.fulfilments = FulfilmentPusher(self.http)
        self.notifications = NotificationVerifier(
            username=context.settings.get("notification_username"),
            password=context.credentials.get("notification_password"),
            header=str(context.settings.get("notification_auth_header") or "Authorization"),
        )

    def __repr__(self) -> str:
        return f"WalmartConnector(account={self.account!r})"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self._token_http.aclose()

    def _raw(self, kind: str, external_id: str | None, body: bytes) -> RawRecord:
        return RawRecord(kind=kind, external_id=external_id, body=body, received_at=self._now())

    # --- orders ---------------------------------------------------------------------------

    def _map_orders(self, orders: Sequence[object]) -> tuple[PageRecords[Order], list[str]]:
        records: PageRecords[Order] = PageRecords()
        created: list[str] = []
        for body in orders:
            po = body.get("purchaseOrderId") if isinstance(body, dict) else None
            data = json.dumps(body, default=str, separators=(",", ":")).encode()
            raw = self._raw("order", str(po)[:200] if po else None, data)
            records.take(raw, normalize_orders, body, account=self.account)
            if po and _has_created_line(body):
                created.append(str(po))
        return records, created

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Released orders created in [start, end] (acknowledged as the caller takes each
        page), then every order modified in [modified, end]: its cancellations and refunds.
        ``end`` is ``lag`` before now; the next run re-reads :data:`REREAD` of released and
        :data:`OVERLAP` of modified time before it, so a change committed late is not lost."""
        if cursor:
            state = OrderCursor.decode(cursor)
        elif since is not None:
            state = OrderCursor(start=since)
        else:
            raise ConfigError(f"walmart account {self.account!r}: a first import needs 'since'")
        for purchase_order_id in state.ack:  # the last run's final page, committed by now
            await self.acknowledge(purchase_order_id)
        end = state.end or (self._now() - self._lag)
        if end < state.start:
            return
        state = replace(state, end=end, ack=())
        if state.phase == "released":
            async for page in self._released(state):
                yield page
            state = OrderCursor(state.start, end, phase="updates", modified=state.modified)
        async for page in self._updates(state):
            yield page

    async def _pages(
        self, operation: str, path: str, params: dict[str, str], following: str | None
    ) -> AsyncIterator[tuple[list[Any], str | None]]:
        """One order list walked by ``nextCursor`` (sent as given): (orders, next) per page."""
        tokens = NextTokens(operation, self.account, following)
        while True:
            if following is None:
                response = await self.http.request(
                    operation, "GET", path, params=params, expected={200, 404}
                )
            else:
                response = await self.http.request(
                    operation, "GET", next_cursor_path(path, following), expected={200, 404}
                )
            # Walmart answers 404 "no orders found" for an empty window: a page of nothing
            body = _json(response.content) if response.status == 200 else {}
            orders, following = page_orders(body if body is not None else {})
            yield orders, following
            if following is None:
                return
            tokens.follow(following)

    async def _released(self, state: OrderCursor) -> AsyncIterator[PageOf[Order]]:
        assert state.end is not None
        params = released_params(state.start, state.end, limit=self._page_limit)
        async for orders, following in self._pages(
            "getAllReleasedOrders", RELEASED_PATH, params, state.next
        ):
            records, created = self._map_orders(orders)
            # the updates phase follows: no released page is the run's last
            after = replace(state, next=following, ack=tuple(created))
            if following is None:
                after = replace(after, phase="updates")
            yield records.page(after.encode(), False)
            for purchase_order_id in created:  # the caller has taken (committed) the page
                await self.acknowledge(purchase_order_id)

    async def _updates(self, state: OrderCursor) -> AsyncIterator[PageOf[Order]]:
        """getAllOrders by ``lastModifiedStartDate``: orders changed since the last run. An
        order with a line still ``Created`` is skipped: the released read takes (and
        acknowledges) it, so one run never yields it twice."""
        assert state.end is not None
        end = state.end
        modified = min(state.modified or state.start, end)  # a clock set back moves no window
        params = all_orders_params(
            modified, end, created_from=end - ALL_ORDERS_REACH, limit=self._page_limit
        )
        async for orders, following in self._pages("getAllOrders", ORDERS_PATH, params, state.next):
            changed = [o for o in orders if not _has_created_line(o)]
            records, _ = self._map_orders(changed)
            if following is None:
                after = OrderCursor(start=max(state.start, end - REREAD), modified=end - OVERLAP)
            else:
                after = replace(state, next=following)
            yield records.page(after.encode(), following is None)

    async def acknowledge(self, purchase_order_id: str) -> None:
        """acknowledgeOrders: the seller has the order (Walmart expects it within hours)."""
        await self.http.request(
            "acknowledgeOrders", "POST", order_path(purchase_order_id, "acknowledge"),
            idempotent=True,
        )  # fmt: skip

    async def get_order(self, external_id: str) -> Fetched[Order]:
        response = await self.http.request("getAnOrder", "GET", order_path(external_id))
        raw = self._raw("order", external_id, response.content)
        (order,) = map_fetched(raw, normalize_orders, _json(response.content), account=self.account)
        return Fetched(order, raw)

    async def cancel_lines(
        self, external_id: str, lines: Sequence[tuple[str, int]], *, reason: str
    ) -> None:
        """cancelOrderLines: ``lines`` as (lineNumber, quantity), for one of the spec's reasons."""
        await self.fulfilments.cancel(external_id, [ShipLine(n, q) for n, q in lines], reason)

    # --- listings -------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Every item, page by page, following ``nextCursor`` (``*`` starts the walk)."""
        tokens = NextTokens("getAllItems", self.account, cursor)
        following = cursor or "*"
        while True:
            response = await self.http.request(
                "getAllItems", "GET", ITEMS_PATH, params={"nextCursor": following},
                expected={200, 404},
            )  # fmt: skip
            body = _json(response.content) if response.status == 200 else {}
            root = body if isinstance(body, dict) else {}
            found = root.get("ItemResponse")
            records: PageRecords[Listing] = PageRecords()
            for item in found if isinstance(found, list) else []:
                sku = item.get("sku") if isinstance(item, dict) else None
                data = json.dumps(item, default=str, separators=(",", ":")).encode()
                records.take(
                    self._raw("listing", str(sku) if sku else None, data),
                    normalize_listings, item, account=self.account,
                )  # fmt: skip
            nxt = root.get("nextCursor")
            more = isinstance(nxt, str) and bool(nxt) and bool(found)
            yield records.page(nxt if more else None, not more)
            if not more:
                return
            assert isinstance(nxt, str)
            tokens.follow(nxt)
            following = nxt

    # --- stock ----------------------------------------------------------------------------

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """A few SKUs one PUT each; more than ``feed_threshold`` as one bulk inventory feed."""
        skus = [u.inventory_ref or u.channel_sku or u.listing.listing_id for u in updates]
        if len(updates) > self._feed_threshold:
            return await self._push_feed(updates, skus)
        results = []
        for update, sku in zip(updates, skus, strict=True):
            try:
                await self.http.request(
                    "updateInventoryForAnItem", "PUT", INVENTORY_PATH, params={"sku": sku},
                    json=inventory_body(sku, update.quantity),
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
            except ConnectorError as exc:
                results.append(
                    QuantityPushResult(
                        update.listing, update.quantity, False, str(exc), exc.retryable
                    )
                )
                continue
            results.append(QuantityPushResult(update.listing, update.quantity, True))
        return results

    async def _push_feed(
        self, updates: Sequence[QuantityUpdate], skus: Sequence[str]
    ) -> list[QuantityPushResult]:
        feed = inventory_feed([(sku, u.quantity) for sku, u in zip(skus, updates, strict=True)])
        content, content_type = multipart(feed, "channelhub-inventory-feed")
        try:
            response = await self.http.request(
                "updateBulkInventory", "POST", FEEDS_PATH, params={"feedType": "inventory"},
                content=content, headers={"Content-Type": content_type},
            )  # fmt: skip
            feed_id = str((_json(response.content) or {}).get("feedId") or "")
            if not feed_id:
                raise InvalidInput(["the feed answer has no feedId"], source="walmart feed")
            status, found = await self._feed_status(feed_id)
        except (ConnectorError, InvalidInput) as exc:
            retryable = isinstance(exc, ConnectorError) and exc.retryable
            return [
                QuantityPushResult(u.listing, u.quantity, False, str(exc), retryable)
                for u in updates
            ]
        by_sku = {item.sku: item for item in found}
        results = []
        for update, sku in zip(updates, skus, strict=True):
            item = by_sku.get(sku)
            if item is None:
                why = f"feed {feed_id} is {status}; no result for {sku} yet"
                results.append(
                    QuantityPushResult(update.listing, update.quantity, False, why, True, feed_id)
                )
                continue
            results.append(
                QuantityPushResult(
                    update.listing, update.quantity, item.ok, item.reason, False, feed_id
                )
            )
        return results

    async def _feed_status(self, feed_id: str) -> tuple[str, list[Any]]:
        status: str = "RECEIVED"
        found: list[Any] = []
        for attempt in range(self._feed_polls):
            if attempt:
                await self._sleep(self._feed_wait)
            response = await self.http.request(
                "getFeedItemStatus", "GET", f"{FEEDS_PATH}/{feed_id}",
                params={"includeDetails": "true", "limit": "50"},
            )  # fmt: skip
            status, found = feed_results(_json(response.content))
            if status in ("PROCESSED", "ERROR"):
                break
        return status, found

    # --- fulfilment -----------------------------------------------------------------------

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        return await self.fulfilments.read(order_external_id)

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        return await self.fulfilments.push(push)

    # --- notifications --------------------------------------------------------------------

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """The subscription's BASIC_AUTH header, constant time (see :mod:`.notify`)."""
        return self.notifications.verify(headers, body, now=now)


def _has_created_line(body: object) -> bool:
    if not isinstance(body, dict):
        return False
    lines = (body.get("orderLines") or {}).get("orderLine")
    for line in lines if isinstance(lines, list) else []:
        statuses = ((line or {}).get("orderLineStatuses") or {}).get("orderLineStatus") or []
        if any(isinstance(s, dict) and s.get("status") == "Created" for s in statuses):
            return True
    return False


def create_connector(context: ConnectorContext) -> WalmartConnector:
    return WalmartConnector(context)
