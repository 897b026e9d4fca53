"""The eBay sales-channel connector: orders, listings, stock and fulfilment over the Sell APIs.

Thin I/O over ``channelhub.mappings.ebay`` (which builds every request and reads every answer)
and the SDK's ConnectorHttpClient (rate limits, retries, redaction). Per the contract README:
getOrders on ``lastmodifieddate`` windows, ``limit`` 200, following ``next``; stock in batches
of 25 with each item's result read (207 is normal), never an unchanged quantity and never past
250 revisions a day; createShippingFulfillment per package after reading the order's existing
fulfilments (no idempotency key), with a 409 or a lost answer resolved by reading them again.
Money: Finances v1 transactions and payouts on the ``apiz`` host (:mod:`.finance`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from channelhub.connectors.ebay.auth import EbayScopedAuth
from channelhub.connectors.ebay.cursor import OrderCursor
from channelhub.connectors.ebay.finance import DEFAULT_FINANCE_URL, EbayFinance, finance_base_url
from channelhub.connectors.ebay.finance import LIMITS as FINANCE_LIMITS
from channelhub.connectors.ebay.finance import STREAMS as FINANCE_STREAMS
from channelhub.connectors.ebay.fulfilment import FulfilmentPusher
from channelhub.connectors.ebay.notify import NotificationVerifier
from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.finance import FinanceWindow, windowed_pages
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.pagination import paginate_next_url
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext, http_client_for
from channelhub.connectors.records import PageRecords, map_fetched
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
from channelhub.core.errors import ConfigError
from channelhub.core.models import Listing, Order
from channelhub.core.settlement import ProviderRecord
from channelhub.mappings.ebay import (
    FULFILLMENT_BASE,
    INVENTORY_BASE,
    PushRecord,
    StockUpdate,
    bulk_price_quantity_bodies,
    get_orders_params,
    next_page,
    normalize_listings,
    normalize_orders,
    order_path,
    parse_bulk_price_quantity,
    plan_quantity_push,
)

logger = logging.getLogger("channelhub.connectors.ebay")

DEFAULT_BASE_URL = "https://api.ebay.com"
#: Conservative plans (eBay publishes daily call quotas, not per-second rates).
LIMITS: Mapping[str, RateLimit] = {
    "getOrders": RateLimit(rate=5, burst=10),
    "getOrder": RateLimit(rate=5, burst=10),
    "getShippingFulfillments": RateLimit(rate=5, burst=10),
    "createShippingFulfillment": RateLimit(rate=5, burst=10),
    "getInventoryItems": RateLimit(rate=5, burst=10),
    "getOffers": RateLimit(rate=5, burst=10),
    "bulkUpdatePriceQuantity": RateLimit(rate=2, burst=5),
    "getPublicKey": RateLimit(rate=2, burst=5),
}
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


class EbayConnector:
    """One eBay seller account."""

    platform = "ebay"
    capabilities = CAPABILITIES

    def __init__(
        self,
        context: ConnectorContext,
        *,
        page_limit: int = 200,
        lag: timedelta = timedelta(minutes=2),
        listing_page_size: int = 100,
    ) -> None:
        self.account = context.account
        self._now = context.now
        self._page_limit = page_limit
        self._lag = lag
        self._listing_page_size = listing_page_size
        self._token_http = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits={"token": RateLimit(rate=1, burst=5)}
        )
        self.auth = EbayScopedAuth(
            self._token_http,
            client_id=context.credential("client_id"),
            client_secret=context.credential("client_secret"),
            refresh_token=context.credential("refresh_token"),
            clock=context.clock,
            shared=lambda api: context.token_slot(
                f"oauth {api}",
                context.credential("client_id"),
                context.credential("client_secret"),
                context.credential("refresh_token"),
            ),
        )
        self.http: ConnectorHttpClient = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits=LIMITS, auth=self.auth
        )
        finance_context = replace(
            context, base_url=finance_base_url(context.base_url, context.settings)
        )
        self.finance_http: ConnectorHttpClient = http_client_for(
            finance_context,
            default_base_url=DEFAULT_FINANCE_URL,
            limits=FINANCE_LIMITS,
            auth=self.auth,
        )
        self.finance = EbayFinance(self.finance_http, self._raw)
        self.finance_window = FinanceWindow.of(context.settings)
        self.fulfilments = FulfilmentPusher(self.http)
        self.notifications = NotificationVerifier(
            self.http,
            verification_token=context.credentials.get("verification_token"),
            endpoint=context.settings.get("notification_endpoint"),
            clock=context.clock,
        )

    def __repr__(self) -> str:
        return f"EbayConnector(account={self.account!r})"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self.finance_http.aclose()
        await self._token_http.aclose()

    # --- money ----------------------------------------------------------------------------

    async def pull_money(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[ProviderRecord]]:
        """Transactions, then payouts, dated in the finance window (see :mod:`.finance`)."""
        async for page in windowed_pages(
            FINANCE_STREAMS,
            self.finance.page,
            cursor,
            since=since,
            now=self._now(),
            window=self.finance_window,
            account=self.account,
        ):
            yield page

    # --- orders ---------------------------------------------------------------------------

    def _raw(self, kind: str, external_id: str | None, body: object) -> RawRecord:
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return RawRecord(kind=kind, external_id=external_id, body=data, received_at=self._now())

    def _map_orders(self, orders: Sequence[object]) -> PageRecords[Order]:
        records: PageRecords[Order] = PageRecords()
        for body in orders:
            order_id = body.get("orderId") if isinstance(body, dict) else None
            raw = self._raw("order", str(order_id)[:200] if order_id else None, body)
            records.take(raw, normalize_orders, body, account=self.account)
        return records

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Orders modified in [cursor's start, now - lag], page by page, following ``next``."""
        if cursor:
            state = OrderCursor.decode(cursor)
        elif since is not None:
            state = OrderCursor(start=since)
        else:
            raise ConfigError(f"ebay account {self.account!r}: a first import needs 'since'")
        end = state.end or (self._now() - self._lag)
        if end < state.start:
            return  # nothing can have changed yet; the cursor stays where it is
        first = get_orders_params(state.start, end, limit=self._page_limit)

        async def fetch(path: str | None) -> object:
            if path is None:
                response = await self.http.request(
                    "getOrders", "GET", f"{FULFILLMENT_BASE}/order", params=first
                )
            else:
                response = await self.http.request("getOrders", "GET", path)
            return response.json()

        start_path = state.next_path
        for walk in range(2):
            total: int | None = None
            async for paged in paginate_next_url(fetch, next_page, start=start_path):
                body = paged.page
                orders = body.get("orders") if isinstance(body, dict) else None
                records = self._map_orders(orders if isinstance(orders, list) else [])
                page_total = body.get("total") if isinstance(body, dict) else None
                total = page_total if total is None else total
                # An order modified while we page leaves the window and shifts the offsets of
                # the rest: walk the window once more from its first page (upserts dedupe).
                shifted = walk == 0 and page_total != total
                done = paged.resume is None and not shifted
                if done:
                    following = OrderCursor(start=end + timedelta(milliseconds=1))
                else:
                    resume = None if shifted else paged.resume
                    following = OrderCursor(start=state.start, end=end, next_path=resume)
                yield records.page(following.encode(), done)
                if shifted:
                    logger.info("ebay %s: orders changed while paging; walking again", self.account)
                    break
            else:
                return
            start_path = None

    async def get_order(self, external_id: str) -> Fetched[Order]:
        response = await self.http.request("getOrder", "GET", order_path(external_id))
        body = response.json()
        raw = self._raw("order", external_id, body)
        (order,) = map_fetched(raw, normalize_orders, body, account=self.account)
        return Fetched(order, raw)

    # --- listings -------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Inventory items page by page, each joined with its offers (getOffers by sku)."""

        async def fetch(path: str | None) -> object:
            if path is None:
                params = {"limit": str(self._listing_page_size), "offset": "0"}
                response = await self.http.request(
                    "getInventoryItems", "GET", f"{INVENTORY_BASE}/inventory_item", params=params
                )
            else:
                response = await self.http.request("getInventoryItems", "GET", path)
            return response.json()

        async for paged in paginate_next_url(fetch, next_page, start=cursor):
            body = paged.page
            items = body.get("inventoryItems") if isinstance(body, dict) else None
            records: PageRecords[Listing] = PageRecords()
            for item in items if isinstance(items, list) else []:
                sku = item.get("sku") if isinstance(item, dict) else None
                offers: list[object] = []
                if isinstance(sku, str) and sku:
                    answer = await self.http.request(
                        "getOffers", "GET", f"{INVENTORY_BASE}/offer", params={"sku": sku}
                    )
                    found = answer.json().get("offers")
                    offers = found if isinstance(found, list) else []
                combined = {"inventoryItems": [item], "offers": offers}
                raw = self._raw("listing", sku, combined)
                records.take(raw, normalize_listings, combined, account=self.account)
            yield records.page(paged.resume, paged.resume is None)

    # --- stock ----------------------------------------------------------------------------

    async def push_quantities(
        self, updates: Sequence[QuantityUpdate], *, history: Sequence[PushRecord] = ()
    ) -> list[QuantityPushResult]:
        """Push in batches of 25; skip unchanged quantities and listings at 250 revisions today.

        ``history`` is the account's recent pushes (from the stock-push log); an update's
        ``expected_previous`` equal to its quantity also counts as unchanged.
        """
        now = self._now()
        results: dict[int, QuantityPushResult] = {}
        to_send: list[tuple[int, str]] = []
        for index, update in enumerate(updates):
            sku = (
                update.inventory_ref
                or update.channel_sku
                or update.listing.variation_id
                or update.listing.listing_id
            )
            past = list(history)
            if update.expected_previous is not None:
                past.append(PushRecord(sku, update.expected_previous, now - timedelta(days=2)))
            decision = plan_quantity_push(sku, update.quantity, past, now=now)
            if decision.warning:
                logger.warning("ebay %s: %s", self.account, decision.warning)
            if not decision.push:
                unchanged = "unchanged" in decision.reason
                results[index] = QuantityPushResult(
                    update.listing,
                    update.quantity,
                    accepted=unchanged,
                    reason=decision.reason,
                    retryable=not unchanged,
                )
            else:
                to_send.append((index, sku))
        if to_send:
            stock = [StockUpdate(sku, updates[index].quantity) for index, sku in to_send]
            position = 0
            for body in bulk_price_quantity_bodies(stock):
                batch = to_send[position : position + len(body["requests"])]
                position += len(batch)
                results.update(await self._push_batch(body, batch, updates))
        return [results[i] for i in range(len(updates))]

    async def _push_batch(
        self,
        body: dict[str, object],
        batch: list[tuple[int, str]],
        updates: Sequence[QuantityUpdate],
    ) -> dict[int, QuantityPushResult]:
        skus = [sku for _, sku in batch]
        try:
            response = await self.http.request(
                "bulkUpdatePriceQuantity", "POST", f"{INVENTORY_BASE}/bulk_update_price_quantity",
                json=body, expected={200, 207}, idempotent=True,
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            items = {r.sku: r for r in parse_bulk_price_quantity(response.json(), skus)}
        except ConnectorError as exc:
            return {
                index: QuantityPushResult(
                    updates[index].listing,
                    updates[index].quantity,
                    accepted=False,
                    reason=str(exc),
                    retryable=exc.retryable,
                )
                for index, _ in batch
            }
        out = {}
        for index, sku in batch:
            item = items[sku]
            out[index] = QuantityPushResult(
                updates[index].listing, updates[index].quantity, accepted=item.ok,
                reason=None if item.ok else "; ".join(item.errors) or f"status {item.status_code}",
                retryable=item.retryable,
            )  # fmt: skip
        return out

    # --- fulfilment -----------------------------------------------------------------------

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        """The fulfilments eBay holds for the order (read-back)."""
        return await self.fulfilments.read(order_external_id)

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """One createShippingFulfillment per package, never duplicating one eBay already has."""
        return await self.fulfilments.push(push)

    # --- notifications --------------------------------------------------------------------

    async def verify_notification(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Verify ``X-EBAY-SIGNATURE``, fetching the key by ``kid`` (cached per instance)."""
        return await self.notifications.verify(headers, body, now=now)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Synchronous check with an already-cached key (see :meth:`verify_notification`)."""
        return self.notifications.verify_cached(headers, body, now=now)

    def challenge_response(self, challenge_code: str) -> str:
        return self.notifications.challenge(challenge_code)


def create_connector(context: ConnectorContext) -> EbayConnector:
    return EbayConnector(context)
