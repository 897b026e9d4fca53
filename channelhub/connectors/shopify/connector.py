"""The Shopify SalesChannel: orders, listings, stock and fulfilment over Admin GraphQL.

Wire formats stay in :mod:`channelhub.mappings.shopify` (documents, builders, readers); this
module only talks: it sends the builders' bodies through :class:`ShopifyGraphQL` and turns
the readers' answers into the SDK's result values.

Settings: ``shop`` (``name`` of name.myshopify.com), ``api_version`` (default 2025-01),
``location_id`` (the location whose stock the hub sets and reads; default the shop's first
active location), ``overlap_seconds`` (300),
``hold_back_seconds`` (60), ``webhook_window_hours`` (49: Shopify retries for 48 h),
``finance_lookback_days`` (60), ``finance_overlap_hours`` (6). Money: Shopify Payments balance
transactions and payouts (:mod:`.finance`). ``bulk_after_days`` (7; 0: never),
``bulk_page_orders``, ``bulk_max_wait_seconds``: order windows at least that long are read
with one bulk query (:mod:`.bulk`), woken by Shopify's ``bulk_operations/finish`` webhook.
Credentials: ``access_token``, ``api_secret`` (webhook signatures).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.finance import FinanceWindow
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.records import PageRecords, describe_error, map_fetched, one_of
from channelhub.connectors.results import (
    Fetched,
    PageOf,
    RawRecord,
)
from channelhub.connectors.roles import Capability
from channelhub.connectors.shopify.bulk import BulkFileGone, BulkOrders
from channelhub.connectors.shopify.dedupe import InMemoryWebhookDedupe, WebhookDedupe
from channelhub.connectors.shopify.finance import MoneyPull
from channelhub.connectors.shopify.fulfilment import FulfilmentPushes
from channelhub.connectors.shopify.stock import StockPush
from channelhub.connectors.shopify.subscriptions import WebhookSubscribe
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.connectors.shopify.webhooks import WebhookIntake
from channelhub.core.errors import ConfigError, InvalidInput, NotFound
from channelhub.core.models import Listing, Order
from channelhub.mappings import shopify as m

CAPABILITIES = frozenset(
    {
        Capability.READ_MONEY,
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


@dataclass(frozen=True)
class _Window:
    since: datetime
    until: datetime | None = None
    after: str | None = None
    bulk: str | None = None  # the bulk operation this window is read from
    skip: int = 0  # orders of its file already handed on (committed with their page)

    def encode(self) -> str:
        data: dict[str, Any] = {
            "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "after": self.after,
        }
        if self.bulk is not None:
            data.update(bulk=self.bulk, skip=self.skip)
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str) -> _Window:
        try:
            data = json.loads(cursor)
            return cls(
                since=datetime.fromisoformat(data["since"]),
                until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
                after=data.get("after"),
                bulk=data.get("bulk"),
                skip=int(data.get("skip") or 0),
            )
        except (ValueError, KeyError, TypeError):
            raise InvalidInput.field("cursor", cursor, "is not a Shopify order cursor") from None


class ShopifyConnector(StockPush, FulfilmentPushes, WebhookIntake, WebhookSubscribe, MoneyPull):
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
        self._location_resolved = self._location is not None
        self._overlap = timedelta(seconds=float(settings.get("overlap_seconds", 300)))
        self._hold_back = timedelta(seconds=float(settings.get("hold_back_seconds", 60)))
        self._webhook_window = timedelta(hours=float(settings.get("webhook_window_hours", 49)))
        self._finance_window = FinanceWindow.of(settings)
        self._now = context.now
        self._bulk = BulkOrders(context, self._gql)

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
        A window of at least ``bulk_after_days`` is read with one bulk query instead, its
        page cursors naming the operation and the orders of its file already handed on.
        """
        window = _Window.decode(cursor) if cursor else _Window(since=since or EPOCH)
        until = window.until or self._context.now() - self._hold_back
        window = replace(window, until=until)
        if window.bulk is not None or (
            window.after is None and self._bulk.wanted(window.since, until)
        ):
            async for page in self._pull_bulk(window, until):
                yield page
            return
        while True:
            body = m.orders_request(
                updated_since=window.since, updated_before=window.until, after=window.after
            )
            answer = await self._gql.call("orders", body)
            connection = _mapping(m.data_of(answer, "orders").get("orders"))
            more, end_cursor = m.page_info(connection, "orders")
            records: PageRecords[Order] = PageRecords()
            for edge in connection.get("edges") or []:
                node = _mapping(edge.get("node") if isinstance(edge, dict) else None)
                try:
                    node = await self._all_line_items(node)
                except ConnectorError:
                    raise  # the conversation failed, not this order: the run stops
                # This order's further line items could not be read (the record boundary of
                # connectors/records.py): it is set aside with its body, the page goes on.
                except Exception as exc:  # noqa: BLE001 - one order, see above
                    records.refuse(self._raw("order", _node_id(node), node), describe_error(exc))
                    continue
                records.take_one(
                    self._raw("order", _node_id(node), node),
                    m.order_from_node,
                    node,
                    account=self.account,
                )
            if more and end_cursor:
                window = replace(window, after=end_cursor)
                next_cursor = window.encode()
            else:
                next_cursor = _Window(since=until - self._overlap).encode()
            yield records.page(next_cursor, not more)
            if not more or not end_cursor:
                return

    async def _pull_bulk(self, window: _Window, until: datetime) -> AsyncIterator[PageOf[Order]]:
        """The window's orders from one bulk query (:mod:`.bulk`), ``bulk_page_orders`` a
        page; a resumed window skips the orders its cursor says were handed on."""
        operation = await self._bulk.lookup(window.bulk) if window.bulk else None
        skip = window.skip
        if operation is None or operation.status in {"FAILED", "CANCELED", "EXPIRED"}:
            operation, skip = await self._bulk.start(window.since, until), 0
        operation = await self._bulk.wait(operation)
        try:
            async for page in self._bulk_pages(window, until, operation, skip):
                yield page
        except BulkFileGone:
            if skip == 0 and window.bulk is None:
                raise  # a file refused right after the operation finished: not an expiry
            # the file of a resumed window is gone: read the window again from a new one
            operation = await self._bulk.wait(await self._bulk.start(window.since, until))
            async for page in self._bulk_pages(window, until, operation, 0):
                yield page

    async def _bulk_pages(
        self, window: _Window, until: datetime, operation: m.bulk.BulkOperation, skip: int
    ) -> AsyncIterator[PageOf[Order]]:
        size = self._bulk.settings.page_orders
        seen = 0
        records: PageRecords[Order] = PageRecords()
        async for node in self._bulk.orders(operation):
            seen += 1
            if seen <= skip:
                continue
            records.take_one(
                self._raw("order", _node_id(node), node),
                m.order_from_node,
                node,
                account=self.account,
            )
            if (seen - skip) % size == 0:
                cursor = replace(window, bulk=operation.id, skip=seen).encode()
                yield records.page(cursor, False)
                records = PageRecords()
        yield records.page(_Window(since=until - self._overlap).encode(), True)

    async def get_order(self, external_id: str) -> Fetched[Order]:
        answer = await self._gql.call("order", m.order_request(external_id))
        node = m.data_of(answer, "order").get("order")
        if node is None:
            raise NotFound(f"shopify account {self.account!r} has no order {external_id!r}")
        node = await self._all_line_items(_mapping(node))
        raw = self._raw("order", external_id, node)
        (order,) = map_fetched(raw, one_of(m.order_from_node), node, account=self.account)
        return Fetched(order, raw)

    async def _all_line_items(self, node: dict[str, Any]) -> dict[str, Any]:
        """The order node with every line item: a page reads only the first
        LINES_READ_WITH_ORDER lines of each order (what most orders have; every slot read
        with the order costs points on every order of the page), so a bigger order's rest is
        read here, page by page, rather than the order being refused or cut short."""
        after = m.more_line_items(node)
        order_id = _node_id(node)
        while after is not None and order_id is not None:
            answer = await self._gql.call(
                "orderLineItems", m.order_line_items_request(order_id, after=after)
            )
            node = m.with_line_items(node, answer)
            after = m.more_line_items(node)
        return node

    # --- listings --------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Products with their variants (one listing per variant), page by page; each
        listing's quantity is its ``available`` at the location the hub sets stock at."""
        location = await self.managed_location()
        if location is None:
            raise ConfigError(
                f"shopify account {self.account!r}: the shop has no active location to read "
                "stock at; set location_id"
            )
        after = cursor
        while True:
            body = m.products_request(location_id=location, after=after)
            answer = await self._gql.call("products", body)
            data = m.data_of(answer, "products")
            currency = (data.get("shop") or {}).get("currencyCode")
            more, end_cursor = m.page_info(data.get("products"), "products")
            listings: PageRecords[Listing] = PageRecords()
            for edge in _mapping(data.get("products")).get("edges") or []:
                node = _mapping(edge.get("node") if isinstance(edge, dict) else None)
                listings.take(
                    self._raw("listing", _node_id(node), node),
                    m.listings_from_product,
                    node,
                    account=self.account,
                    currency=currency,
                    location_id=location,
                )
            after = end_cursor if more else None
            yield listings.page(end_cursor, not more)
            if not more or not end_cursor:
                return


def _mapping(value: object) -> dict[str, Any]:
    """A JSON object from an answer; anything else reads as empty (the mapping then names
    what is missing)."""
    return value if isinstance(value, dict) else {}


def _node_id(node: object) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("id"), str):
        return str(node["id"]).rsplit("/", 1)[-1]
    return None
