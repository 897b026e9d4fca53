"""The Temu sales-channel connector: orders by update-time windows, stock edit, shipment confirm.

Contract unverified: Temu publishes no spec. This follows the partner-docs transcript and the
recomputed signing vector in contracts/temu/ (third-party copy, github
vanky2viva/temu-omni@8ae3867). One regional router (``us``, ``eu``, ``global``); every call
signed by :class:`~channelhub.connectors.temu.auth.TemuScheme` on the shared gateway. Pushed
messages are retried by Temu a few times then dropped, so polling on update time is the source
of truth: ``pull_orders`` walks closed ``updateAtStart/updateAtEnd`` windows ending ``lag``
before now, pages from 1, ``pageSize`` 100, and restarts a window once when its
``totalItemNum`` changes under it (an order updated mid-walk shifts later pages). Orders are
child orders with their parent kept; merchant-fulfilled ones get their ship-to from
``bg.order.shippinginfo.v2.get``, one call per parent (shipto.py).

Rate limit: ~20 requests/s per *app key* across every API type (transcript "限流规则"; 4000004
beyond), so all types share one bucket (:data:`RATE_BUCKETS`), not one bucket per type.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from channelhub.connectors.errors import CapabilityMissing, ConnectorError
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.gateway import SignedGateway
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.plugin import ConnectorContext
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
from channelhub.connectors.temu.auth import TemuApiError, TemuScheme
from channelhub.connectors.temu.shipto import ShipToFetcher
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.core.models import Listing, Order
from channelhub.mappings.temu import (
    GOODS_LIST,
    MAX_PAGE_SIZE,
    ORDER_DETAIL,
    ORDER_LIST,
    ORDER_SHIPPING_INFO,
    REGION_HOSTS,
    SHIPMENT_CONFIRM,
    STOCK_EDIT,
    TOKEN_INFO,
    TemuPackage,
    TemuPackageLine,
    TokenExpiry,
    goods_list_params,
    normalize_listings,
    normalize_orders,
    order_detail_params,
    order_list_params,
    shipment_confirm_params,
    stock_edit_params,
    token_expiry,
)

logger = logging.getLogger("channelhub.connectors.temu")
APP_KEY_BUCKET = "temu-app-key"
#: ~20 requests/s per app key, whatever the type (transcript "限流规则"). A burst of 18, not
#: 20, leaves room for requests bunched up in transit (two tokens = 100 ms of jitter).
LIMITS: Mapping[str, RateLimit] = {APP_KEY_BUCKET: RateLimit(rate=20, burst=18)}
#: Every API type the connector calls -> its rate-limit bucket (all the app key's one).
RATE_BUCKETS: Mapping[str, str] = {
    t: APP_KEY_BUCKET
    for t in (
        ORDER_LIST,
        ORDER_DETAIL,
        ORDER_SHIPPING_INFO,
        GOODS_LIST,
        STOCK_EDIT,
        SHIPMENT_CONFIRM,
        TOKEN_INFO,
    )
}
#: What a Temu account can do. Not READ_FULFILMENTS (the transcript documents no read-back of
#: confirmed shipments: ``push_fulfilment`` checks the order's status instead) and not
#: VERIFY_WEBHOOK (Temu's pushed messages are unverified: polling is the source of truth);
#: the methods exist so the connector is a SalesChannel and raise CapabilityMissing.
CAPABILITIES = frozenset(
    {
        Capability.PULL_ORDERS,
        Capability.GET_ORDER,
        Capability.PULL_LISTINGS,
        Capability.PUSH_QUANTITIES,
        Capability.PUSH_FULFILMENT,
        Capability.PARTIAL_FULFILMENT,
    }
)


class TemuConnector:
    """One Temu shop (mall) in one region."""

    platform = "temu"
    capabilities = CAPABILITIES

    def __init__(
        self,
        context: ConnectorContext,
        *,
        lag: timedelta = timedelta(minutes=2),
        window: timedelta = timedelta(days=1),
        page_size: int = MAX_PAGE_SIZE,
    ) -> None:
        self.account = context.account
        self._now = context.now
        self._observer = context.observer
        self._lag = lag
        self._window = window
        self._page_size = page_size
        self.currency = str(context.settings.get("currency", "USD"))
        #: how far back a pull without cursor or ``since`` reaches (as Amazon's setting)
        self._lookback = timedelta(days=float(context.settings.get("initial_lookback_days", 30)))
        self.carrier_ids: Mapping[str, str] = dict(context.settings.get("carrier_ids", {}))
        region = str(context.settings.get("region", "us"))
        if region not in REGION_HOSTS:
            raise ConfigError(
                f"temu account {self.account!r}: region {region!r} is not one of "
                + ", ".join(REGION_HOSTS)
            )
        self.gateway = SignedGateway(
            context,
            TemuScheme(
                app_key=context.credential("app_key"),
                app_secret=context.credential("app_secret"),
                access_token=context.credential("access_token"),
            ),
            default_base_url=REGION_HOSTS[region],
            limits=LIMITS,
            bucket_of=lambda api_type: RATE_BUCKETS.get(api_type, APP_KEY_BUCKET),
        )
        self.http: ConnectorHttpClient = self.gateway.http

    def __repr__(self) -> str:
        return f"TemuConnector(account={self.account!r})"

    async def aclose(self) -> None:
        await self.http.aclose()

    async def call(
        self, api_type: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> Any:
        """One signed call; returns ``result`` of a successful answer."""
        return (await self.gateway.call(api_type, dict(params), idempotent=idempotent)).data

    def _raw(self, kind: str, external_id: str | None, body: object) -> RawRecord:
        data = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        return RawRecord(kind=kind, external_id=external_id, body=data, received_at=self._now())

    async def _map_groups(
        self, groups: Sequence[Any], ship_to: ShipToFetcher
    ) -> PageRecords[Order]:
        """Orders of a page; merchant-fulfilled parents get their address first (shipto.py)."""
        records: PageRecords[Order] = PageRecords()
        groups, refused = await ship_to.attach(groups)
        for index, group in enumerate(groups):
            parent = group.get("parentOrderMap", {}) if isinstance(group, dict) else {}
            parent = parent if isinstance(parent, dict) else {}
            raw = self._raw("order", str(parent.get("parentOrderSn") or "")[:200] or None, group)
            if index in refused:
                records.refuse(raw, refused[index])
                continue
            records.take(
                raw,
                normalize_orders,
                group,
                account=self.account,
                currency=self.currency,
            )
        return records

    # --- orders ---------------------------------------------------------------------------

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Child orders updated since the cursor (else ``since``, else the lookback), window by
        window, page by page from 1."""
        if cursor:
            state = json.loads(cursor)
            start, page = int(state["start"]), int(state.get("page", 1))
        else:  # no since (e.g. reconcile without --since): the account's lookback
            first = since if since is not None else self._now() - self._lookback
            start, page = int(first.timestamp()), 1
        end = int((self._now() - self._lag).timestamp())
        ship_to = ShipToFetcher(self.call)
        while start <= end:
            window_end = min(end, start + int(self._window.total_seconds()) - 1)
            restarted = False
            total: int | None = None
            while True:
                params = order_list_params(
                    updated_from=datetime.fromtimestamp(start, UTC),
                    updated_to=datetime.fromtimestamp(window_end, UTC),
                    page_number=page,
                    page_size=self._page_size,
                )
                result = await self.call(ORDER_LIST, params)
                groups = result.get("pageItems") or []
                now_total = int(result.get("totalItemNum") or 0)
                if total is not None and now_total != total and not restarted:
                    logger.info(
                        "temu %s: window %s..%s changed while paging; walking it again",
                        self.account,
                        start,
                        window_end,
                    )
                    restarted, total, page = True, None, 1
                    continue
                total = now_total if total is None else total
                records = await self._map_groups(groups, ship_to)
                last_page = not groups or page * self._page_size >= now_total
                last_window = window_end >= end
                if last_page:
                    following = {"start": window_end + 1, "page": 1}
                else:
                    following = {"start": start, "page": page + 1}
                yield records.page(json.dumps(following), last_page and last_window)
                if last_page:
                    break
                page += 1
            start, page = window_end + 1, 1

    async def get_parent_order(self, parent_order_sn: str) -> list[Fetched[Order]]:
        """Every child order of one parent order (bg.order.detail.v2.get), with its ship-to
        (bg.order.shippinginfo.v2.get when a child is merchant-fulfilled; a refusal raises)."""
        result = await self.call(ORDER_DETAIL, order_detail_params(parent_order_sn))
        (result,), _ = await ShipToFetcher(self.call).attach([result], raise_refusals=True)
        raw = self._raw("order", parent_order_sn, result)
        orders = map_fetched(
            raw, normalize_orders, result, account=self.account, currency=self.currency
        )
        return [Fetched(o, raw) for o in orders]

    async def get_order(self, external_id: str) -> Fetched[Order]:
        """``"PARENT/CHILD"`` (Temu cannot look a child order up alone), or a one-child parent."""
        parent, _, child = external_id.partition("/")
        found = await self.get_parent_order(parent)
        if not child and len(found) == 1:
            return found[0]
        for fetched in found:
            if fetched.item.external_id == child:
                return fetched
        raise InvalidInput.field(
            "external_id", external_id, "names no child order: pass 'PARENT_SN/CHILD_SN'"
        )

    async def token_status(self) -> TokenExpiry:
        """How long the access token has left; warns 30 days ahead (logged too)."""
        result = await self.call(TOKEN_INFO, {})
        status = token_expiry(int(result["expiredTime"]), now=self._now())
        if self._observer is not None:
            self._observer.on_token("access", expires_at=status.expires_at)
        if status.warn:
            logger.warning("temu %s: %s", self.account, status.message)
        return status

    # --- listings -------------------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        page = int(cursor) if cursor else 1
        while True:
            result = await self.call(GOODS_LIST, goods_list_params(page, self._page_size))
            goods = result.get("goodsList") or []
            records: PageRecords[Listing] = PageRecords()
            for entry in goods:
                raw = self._raw(
                    "listing", str(entry.get("goodsId")) if isinstance(entry, dict) else None, entry
                )
                records.take(raw, normalize_listings, entry, account=self.account)
            done = not goods or page * self._page_size >= int(result.get("total") or 0)
            yield records.page(None if done else str(page + 1), done)
            if done:
                return
            page += 1

    # --- stock ----------------------------------------------------------------------------

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """One stock edit per goods (absolute targets per SKU); unchanged quantities skipped."""
        results: dict[int, QuantityPushResult] = {}
        by_goods: dict[str, list[int]] = {}
        for index, update in enumerate(updates):
            if update.expected_previous == update.quantity:
                results[index] = QuantityPushResult(
                    update.listing, update.quantity, True, "unchanged: not pushed"
                )
            elif not update.listing.variation_id:
                results[index] = QuantityPushResult(
                    update.listing,
                    update.quantity,
                    False,
                    "Temu stock is set per SKU: the listing has no skuId",
                )
            else:
                by_goods.setdefault(update.listing.listing_id, []).append(index)
        for goods_id, indexes in by_goods.items():
            targets = {str(updates[i].listing.variation_id): updates[i].quantity for i in indexes}
            try:
                await self.call(STOCK_EDIT, stock_edit_params(goods_id, targets))
                outcome: tuple[bool, str | None, bool] = (True, None, False)
            except (ConnectorError, InvalidInput) as exc:
                outcome = (False, str(exc), bool(getattr(exc, "retryable", False)))
            for i in indexes:
                results[i] = QuantityPushResult(
                    updates[i].listing, updates[i].quantity, outcome[0], outcome[1], outcome[2]
                )
        return [results[i] for i in range(len(updates))]

    # --- fulfilment -----------------------------------------------------------------------

    async def push_fulfilment(
        self, push: FulfilmentPush, *, order: Order | None = None
    ) -> list[PackagePushResult]:
        """bg.logistics.shipment.confirm per package (carrier id + tracking number).

        Temu needs the parent order, goods and sku ids: pass the canonical ``order``, else
        the order is fetched through its parent (``push.parent_external_id``, as the hub's
        tracking push gives it, or an ``order_external_id`` of ``PARENT/CHILD``). An order
        Temu already shows as shipped is reported ``already_present`` rather than confirmed
        twice.
        """
        if order is None:
            ref = push.order_external_id
            if "/" not in ref and push.parent_external_id:
                ref = f"{push.parent_external_id}/{ref}"
            order = (await self.get_order(ref)).item
        if order.parent_external_id is None:
            raise InvalidInput.field(
                "order.parent_external_id", None, "is required for a Temu shipment"
            )
        line = order.lines[0]
        results = []
        for package in push.packages:
            carrier_id = (
                package.carrier
                if package.carrier.isdigit()
                else self.carrier_ids.get(package.carrier)
            )
            if carrier_id is None:
                results.append(
                    PackagePushResult(
                        package.tracking_number,
                        False,
                        reason=f"no Temu carrierId for {package.carrier!r} (settings.carrier_ids)",
                    )
                )
                continue
            quantity = sum(p.quantity for p in package.lines) or line.quantity
            temu_line = TemuPackageLine(
                order.parent_external_id,
                order.external_id,
                str(line.listing_id),
                str(line.variation_id),
                quantity,
            )
            params = shipment_confirm_params(
                [TemuPackage(carrier_id, package.tracking_number, (temu_line,))]
            )
            try:
                await self.call(SHIPMENT_CONFIRM, params, idempotent=False)
                results.append(PackagePushResult(package.tracking_number, True))
            except TemuApiError as exc:
                results.append(await self._after_refusal(order, package.tracking_number, exc))
            except ConnectorError as exc:
                results.append(await self._after_refusal(order, package.tracking_number, exc))
        return results

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        """Not offered (no READ_FULFILMENTS): jobs check the capability and skip the read-back."""
        raise CapabilityMissing(
            f"temu account {self.account!r} cannot read fulfilments back: the Temu transcript "
            "documents no read of confirmed shipments (contract unverified)"
        )

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Not offered (no VERIFY_WEBHOOK): Temu's pushed messages are not verified by the hub;
        orders are polled by update time instead."""
        raise CapabilityMissing(
            f"temu account {self.account!r} takes no webhooks: orders are polled by update time"
        )

    async def _after_refusal(
        self, order: Order, tracking: str, exc: ConnectorError
    ) -> PackagePushResult:
        """No idempotency key: if Temu now shows the child order shipped, the push landed."""
        try:
            current = await self.get_order(f"{order.parent_external_id}/{order.external_id}")
        except (ConnectorError, InvalidInput):
            return PackagePushResult(tracking, False, reason=str(exc))
        if current.item.channel_status in {"SHIPPED", "RECEIPTED"}:
            return PackagePushResult(tracking, True, already_present=True, reason=str(exc))
        return PackagePushResult(tracking, False, reason=str(exc))


def create_connector(context: ConnectorContext) -> TemuConnector:
    return TemuConnector(context)
