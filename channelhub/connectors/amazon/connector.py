"""``AmazonConnector``: one Amazon selling account as a SalesChannel.

Orders: 2026-01-01 ``searchOrders`` on last-updated time, one page at a time with an opaque
cursor (window + next token) the job checkpoints after each page; the window's end is held
back two minutes before now and the next window starts ``overlap`` before the last end, so a
late write is re-read, never lost (the store's updated-at guard makes the re-read harmless).
Buyer and address data come only with a Restricted Data Token: one per account and resource
set (searchOrders; getOrder by the ``{orderId}`` pattern), reused across pages and runs until
60 s before its ``expiresIn`` and fetched again on a 403 that calls it expired or invalid.
Notifications: :meth:`subscribe_order_changes` sets up ORDER_CHANGE delivery to the seller's
SQS queue (read by :mod:`channelhub.jobs.orders.sqs_orders`; polling stays as the safety net).
Money: finances 2024-06-19 transactions and transfers payouts (:mod:`.finance`).
Fulfilment: v0 ``confirmShipment`` per package, after reading the order's packages back so a
retry never confirms a package twice. Stock: see :mod:`.stock`.

Settings (``context.settings``): ``seller_id`` (required), ``marketplace_ids`` (required, the
first is the listings marketplace), ``lwa_url`` (default: Amazon's LWA for Amazon's hosts,
else ``{base_url}/auth/o2/token``), ``with_pii`` (True), ``overlap_seconds``
(300), ``initial_lookback_days`` (30), ``page_size`` (100), ``patch_threshold`` (20),
``feed_poll_seconds`` (30), ``feed_max_polls`` (240), ``finance_lookback_days`` (60),
``finance_overlap_hours`` (6). Credentials: ``client_id``,
``client_secret``, ``refresh_token``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from channelhub.connectors.amazon.auth import (
    HEADER,
    RestrictedResource,
    RestrictedTokens,
    is_rejected_token,
    lwa_fetcher,
)
from channelhub.connectors.amazon.finance import STREAMS, AmazonFinance
from channelhub.connectors.amazon.fulfilment import (
    fulfilments_from_order,
    fulfilments_in_body,
    push_packages,
)
from channelhub.connectors.amazon.limits import USAGE_PLANS
from channelhub.connectors.amazon.notifications import (
    OrderChangeSubscription,
    subscribe_order_changes,
)
from channelhub.connectors.amazon.session import SpApiSession
from channelhub.connectors.amazon.sqs import NotificationQueue, QueueSettings
from channelhub.connectors.amazon.stock import StockPusher
from channelhub.connectors.errors import (
    BadRequest,
    CapabilityMissing,
    ConnectorError,
    ContractViolation,
)
from channelhub.connectors.finance import FinanceWindow, windowed_pages
from channelhub.connectors.http.auth import RefreshingToken, TokenGrant
from channelhub.connectors.http.client import ConnectorResponse
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.records import NextTokens, PageRecords, map_fetched, one_of
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
from channelhub.mappings.amazon import Wire, listing_from_wire, order_from_wire
from channelhub.mappings.amazon import requests as build
from channelhub.mappings.amazon.notifications import NOTIFICATIONS_SCOPE

DEFAULT_BASE_URL = "https://sellingpartnerapi-na.amazon.com"
RDT_MARGIN = 60.0  # seconds before an RDT's expiresIn at which the connector fetches a new one
SEARCH_ORDERS_PII = RestrictedResource("GET", build.SEARCH_ORDERS_PATH, build.PII_ELEMENTS)
GET_ORDER_PII = RestrictedResource("GET", build.GET_ORDER_PATTERN, build.PII_ELEMENTS)
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
        Capability.FULFILMENTS_IN_ORDERS,
    }
)


def _setting_list(context: ConnectorContext, name: str) -> list[str]:
    value = context.settings.get(name)
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise ConfigError(f"amazon account {context.account!r} needs setting {name!r} (a list)")
    return list(value)


class AmazonConnector:
    """The SalesChannel for one Amazon selling account: ``AmazonConnector(context)``."""

    platform = "amazon"
    capabilities = CAPABILITIES

    def __init__(self, context: ConnectorContext) -> None:
        settings = context.settings
        self.account = context.account
        seller = settings.get("seller_id")
        if not isinstance(seller, str) or not seller:
            raise ConfigError(f"amazon account {context.account!r} needs setting 'seller_id'")
        self.seller_id = seller
        self.marketplace_ids = _setting_list(context, "marketplace_ids")
        self.with_pii = bool(settings.get("with_pii", True))
        self.overlap = timedelta(seconds=float(settings.get("overlap_seconds", 300)))
        self.lookback = timedelta(days=float(settings.get("initial_lookback_days", 30)))
        self.page_size = int(settings.get("page_size", build.MAX_RESULTS_PER_PAGE))
        self._now = context.now
        self.session = SpApiSession(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits=USAGE_PLANS,
            client_id=context.credential("client_id"),
            client_secret=context.credential("client_secret"),
            refresh_token=context.credential("refresh_token"),
        )
        self.lwa_url = self.session.lwa_url
        self._plain, self.token, self.http = (
            self.session.plain,
            self.session.token,
            self.session.http,
        )
        # grantless (client credentials) token for the Notifications API's destinations
        self.grantless = RefreshingToken(
            lwa_fetcher(
                self._plain,
                self.lwa_url,
                client_id=context.credential("client_id"),
                client_secret=context.credential("client_secret"),
                refresh_token=None,
                scope=NOTIFICATIONS_SCOPE,
            ),
            clock=context.clock,
            redactor=context.redactor,
            observer=context.observer,
            shared=context.token_slot(
                f"lwa {self.lwa_url} {NOTIFICATIONS_SCOPE}",
                context.credential("client_id"),
                context.credential("client_secret"),
            ),
        )
        queue = QueueSettings.of(context.account, settings, context.credentials)
        #: the seller's SQS queue of ORDER_CHANGE notifications (None: polling only)
        self.notification_queue = NotificationQueue(queue) if queue is not None else None
        authorized = tuple(
            context.credential(name) for name in ("client_id", "client_secret", "refresh_token")
        )
        self.rdts = RestrictedTokens(
            self._create_rdt,
            clock=context.clock,
            margin=RDT_MARGIN,
            redactor=context.redactor,
            shared=lambda resource: context.token_slot(
                f"rdt {resource.method} {resource.path} {','.join(resource.data_elements)}",
                *authorized,
            ),
        )
        self.stock = StockPusher(
            call=self.call,
            plain=self._plain,
            seller_id=self.seller_id,
            marketplace_id=self.marketplace_ids[0],
            patch_threshold=int(settings.get("patch_threshold", 20)),
            poll_seconds=float(settings.get("feed_poll_seconds", 30)),
            max_polls=int(settings.get("feed_max_polls", 240)),
            sleep=context.sleep,
        )

        self.finance = AmazonFinance(self.call, self._raw, self.account)
        self.finance_window = FinanceWindow.of(settings)

    def __repr__(self) -> str:
        return f"AmazonConnector(account={self.account!r}, seller_id={self.seller_id!r})"

    async def aclose(self) -> None:
        await self.session.aclose()

    async def call(
        self, operation: str, method: str, path: str, **options: Any
    ) -> ConnectorResponse:
        """One SP-API call; an expired-token 403 refreshes the LWA token and tries once more."""
        return await self.session.call(operation, method, path, **options)

    async def _create_rdt(self, resource: RestrictedResource) -> TokenGrant:
        """createRestrictedDataToken for one resource set (called by :attr:`rdts` when due)."""
        body = build.restricted_data_token_body(
            resource.path, method=resource.method, data_elements=resource.data_elements
        )
        response = await self.call(
            "createRestrictedDataToken", "POST", build.RDT_PATH, json=body, idempotent=True
        )
        payload = response.json()
        token = payload.get("restrictedDataToken") if isinstance(payload, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ContractViolation("createRestrictedDataToken answered no restrictedDataToken")
        expires_in = payload.get("expiresIn")
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            expires_in = 0  # no stated lifetime: use it for this one call only
        return TokenGrant(access_token=SecretStr(token), expires_in=float(max(expires_in, 0)))

    async def restricted_call(
        self, resource: RestrictedResource, operation: str, method: str, path: str, **options: Any
    ) -> ConnectorResponse:
        """One SP-API call with the account's RDT for ``resource`` (reused while valid); a 403
        that calls the RDT expired or invalid fetches a new one and tries once more."""
        for attempt in range(2):
            token = await self.rdts.get(resource)
            headers = {**(options.get("headers") or {}), HEADER: token.get_secret_value()}
            try:
                return await self.http.request(
                    operation, method, path, **{**options, "headers": headers}
                )
            except ConnectorError as error:
                if attempt or not is_rejected_token(error):
                    raise
                self.rdts.invalidate(resource, token)
        raise AssertionError("unreachable")  # pragma: no cover

    def _raw(self, kind: str, external_id: str | None, body: object) -> RawRecord:
        return RawRecord(
            kind=kind,
            external_id=external_id,
            body=json.dumps(body, separators=(",", ":")).encode(),
            received_at=self._now(),
        )

    # --- orders --------------------------------------------------------------------------

    def _orders_page(self, body: Any) -> PageRecords[Order]:
        if not isinstance(body, Mapping) or not isinstance(body.get("orders"), list):
            raise ContractViolation("searchOrders answered without an 'orders' list")
        records: PageRecords[Order] = PageRecords()
        for index, data in enumerate(body["orders"]):
            order_id = data.get("orderId") if isinstance(data, Mapping) else None
            raw = self._raw("order", order_id if isinstance(order_id, str) else None, data)
            records.take_one(
                raw, order_from_wire, Wire(data, f"orders[{index}]"), account=self.account
            )
        return records

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Orders changed since the cursor's watermark (or ``since``), page by page."""
        state = json.loads(cursor) if cursor else {}
        token: str | None = state.get("token")
        if token:
            after, before = (
                datetime.fromisoformat(state["after"]),
                datetime.fromisoformat(state["before"]),
            )
        else:
            watermark = state.get("watermark")
            start = datetime.fromisoformat(watermark) - self.overlap if watermark else None
            after = start or since or self._now() - self.lookback
            before = build.window_end(self._now())
        tokens = NextTokens("searchOrders", self.account, token)
        while True:
            if token:
                query = build.search_orders_next_query(token)
            else:
                query = build.search_orders_query(
                    marketplace_ids=self.marketplace_ids,
                    updated_after=after,
                    updated_before=before,
                    now=self._now(),
                    with_pii=self.with_pii,
                    max_results=self.page_size,
                )
            try:
                if self.with_pii:
                    response = await self.restricted_call(
                        SEARCH_ORDERS_PII,
                        "searchOrders",
                        "GET",
                        build.SEARCH_ORDERS_PATH,
                        params=query,
                    )
                else:
                    response = await self.call(
                        "searchOrders", "GET", build.SEARCH_ORDERS_PATH, params=query
                    )
            except BadRequest:
                if not token:
                    raise
                token = None  # a stale next token: restart this window (upserts make it safe)
                continue
            body = response.json()
            records = self._orders_page(body)
            token = build.next_token(body)
            window = {"after": after.isoformat(), "before": before.isoformat()}
            page_cursor = {**window, "token": token} if token else {"watermark": before.isoformat()}
            yield records.page(json.dumps(page_cursor), token is None)
            if token is None:
                return
            # A next token handed out before would be followed forever: what was read is kept
            # (the cursor stays inside the window, nothing skipped) and the run stops saying so.
            tokens.follow(token)

    async def _get_order_body(self, external_id: str, *, pii: bool) -> Any:
        path = build.get_order_path(external_id)
        query = build.get_order_query(with_pii=pii)
        if pii:
            response = await self.restricted_call(
                GET_ORDER_PII, "getOrder", "GET", path, params=query
            )
        else:
            response = await self.call("getOrder", "GET", path, params=query)
        body = response.json()
        if not isinstance(body, Mapping) or not isinstance(body.get("order"), Mapping):
            raise ContractViolation("getOrder answered without an 'order' object")
        return body["order"]

    async def get_order(self, external_id: str) -> Fetched[Order]:
        """One order by id (backfill after a notification, reconciliation)."""
        data = await self._get_order_body(external_id, pii=self.with_pii)
        raw = self._raw("order", external_id, data)
        (order,) = map_fetched(
            raw,
            one_of(order_from_wire),
            Wire(data, "order", f"amazon order {external_id}"),
            account=self.account,
        )
        return Fetched(item=order, raw=raw)

    # --- listings ------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Every listings item of the seller in the first marketplace, 20 per page."""
        market = self.marketplace_ids[0]
        path = build.listings_item_path(self.seller_id)
        token = cursor
        tokens = NextTokens("searchListingsItems", self.account, token)
        while True:
            query = build.search_listings_query(marketplace_id=market, page_token=token)
            body = (await self.call("searchListingsItems", "GET", path, params=query)).json()
            if not isinstance(body, Mapping) or not isinstance(body.get("items"), list):
                raise ContractViolation("searchListingsItems answered without an 'items' list")
            records: PageRecords[Listing] = PageRecords()
            for index, data in enumerate(body["items"]):
                sku = data.get("sku") if isinstance(data, Mapping) else None
                raw = self._raw("listing", sku if isinstance(sku, str) else None, data)
                records.take_one(
                    raw,
                    listing_from_wire,
                    Wire(data, f"items[{index}]"),
                    account=self.account,
                    marketplace=market,
                )
            pagination = body.get("pagination")
            token = pagination.get("nextToken") if isinstance(pagination, Mapping) else None
            yield records.page(token, not token)
            if not token:
                return
            tokens.follow(token)  # a repeated token: stop rather than loop (see pull_orders)

    # --- stock ---------------------------------------------------------------------------

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """patchListingsItem for up to ``patch_threshold`` SKUs, one JSON_LISTINGS_FEED above."""
        return await self.stock.push(updates)

    # --- fulfilment ----------------------------------------------------------------------

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        """The packages Amazon holds for the order (read-back before a push, reconciliation)."""
        return fulfilments_from_order(await self._get_order_body(order_external_id, pii=False))

    def fulfilments_shown(self, raw: RawRecord) -> list[ChannelFulfilment] | None:
        """The packages an order's body (searchOrders' or getOrder's, both read with
        PACKAGES) shows, None when ``raw`` is not an order's."""
        return fulfilments_in_body(raw)

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """confirmShipment per package; packages Amazon already has are reported, not resent."""
        return await push_packages(self.call, self._get_order_body, push)

    # --- money ---------------------------------------------------------------------------

    async def pull_money(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[ProviderRecord]]:
        """Transactions, then payouts, posted in the finance window (see :mod:`.finance`)."""
        async for page in windowed_pages(
            STREAMS,
            self.finance.page,
            cursor,
            since=since,
            now=self._now(),
            window=self.finance_window,
            account=self.account,
        ):
            yield page

    async def money_of_order(self, order_id: str) -> list[ProviderRecord]:
        """Every transaction of one order (``relatedIdentifierName=ORDER_ID``)."""
        return (await self.finance.related("ORDER_ID", order_id)).items

    # --- notifications -------------------------------------------------------------------

    async def subscribe_order_changes(self, queue_arn: str) -> OrderChangeSubscription:
        """ORDER_CHANGE notifications of this seller to the SQS queue ``queue_arn``: the
        destination and the subscription are made when missing (see :mod:`.notifications`)."""
        return await subscribe_order_changes(self.call, self.grantless, queue_arn)

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Amazon sends notifications through SQS/EventBridge, not signed HTTP webhooks."""
        raise CapabilityMissing(
            "amazon delivers notifications through SQS/EventBridge; use "
            "channelhub.mappings.amazon.order_change() and get_order() instead"
        )
