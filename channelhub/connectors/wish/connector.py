"""The Wish sales-channel connector (CONTRACT UNVERIFIED: see ``channelhub.mappings.wish``).

OAuth: the account's refresh token buys ``Authorization: Bearer`` access tokens
(``GET /api/v3/oauth/refresh_token``), kept per connector. Orders: every order updated in
[start, now - lag] whatever its state (a refund or cancellation after the import is read as
an update), oldest first, paged by an ``updated_at_min`` keyset (the ids already taken at the
boundary time are skipped), so an order updated during the import moves forward and is read
again rather than lost. Fulfilment: one tracking number per order
(a Wish order is one variation), read back first. Stock: per product, one update setting each
of its variations' inventory in the account's Wish warehouse.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.connectors.errors import (
    ConnectorError,
    ContractViolation,
    RetryableError,
    WebhookRejected,
)
from channelhub.connectors.http.auth import HeaderTokenAuth, RefreshingToken, TokenGrant
from channelhub.connectors.http.client import ConnectorHttpClient
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
from channelhub.core.errors import ConfigError, InvalidInput
from channelhub.core.models import Listing, Order, PackageLine
from channelhub.mappings.wish import (
    MAX_PAGE,
    ORDERS_PATH,
    PRODUCTS_PATH,
    REFRESH_PATH,
    data_of,
    item_path,
    normalize_listings,
    normalize_orders,
    orders_params,
    stock_body,
    token_answer,
    token_params,
    tracking_numbers,
    tracking_params,
    wish_time,
)

DEFAULT_BASE_URL = "https://merchant.wish.com"
#: Guessed plans: Wish documents no per-operation limits in the SDK.
LIMITS: Mapping[str, RateLimit] = {
    "listOrders": RateLimit(rate=2, burst=5),
    "getOrder": RateLimit(rate=5, burst=10),
    "shipOrder": RateLimit(rate=5, burst=10),
    "listProducts": RateLimit(rate=2, burst=5),
    "getProduct": RateLimit(rate=5, burst=10),
    "updateProduct": RateLimit(rate=2, burst=5),
}
CAPABILITIES = frozenset(
    {
        Capability.PULL_ORDERS,
        Capability.GET_ORDER,
        Capability.PULL_LISTINGS,
        Capability.PUSH_QUANTITIES,
        Capability.PUSH_FULFILMENT,
        Capability.READ_FULFILMENTS,
    }
)


@dataclass(frozen=True)
class KeysetCursor:
    """Where a keyset walk stands: ``start`` time, ids already taken at exactly that time."""

    start: datetime
    end: datetime | None = None
    taken: tuple[str, ...] = field(default=())

    def encode(self) -> str:
        return json.dumps(
            {
                "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None,
                "taken": list(self.taken),
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str) -> KeysetCursor:
        try:
            data = json.loads(text)
            start = datetime.fromisoformat(data["start"])
            end = datetime.fromisoformat(data["end"]) if data.get("end") else None
            taken = tuple(str(t) for t in data.get("taken") or ())
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput.field("cursor", text[:80], "is not a Wish cursor") from exc
        if start.tzinfo is None:
            raise InvalidInput.field("cursor.start", data["start"], "has no timezone")
        return cls(start, end, taken)


def _json(content: bytes) -> Any:
    try:
        return json.loads(content, parse_float=Decimal)
    except ValueError:
        return None


class WishConnector:
    """One Wish merchant account."""

    platform = "wish"
    capabilities = CAPABILITIES

    def __init__(
        self,
        context: ConnectorContext,
        *,
        page_limit: int = MAX_PAGE,
        lag: timedelta = timedelta(minutes=2),
    ) -> None:
        self.account = context.account
        self._now = context.now
        self._page_limit = page_limit
        self._lag = lag
        self._warehouse = context.settings.get("warehouse_id")
        self._origin = str(context.settings.get("origin_country") or "CN")
        self._client_id = context.credential("client_id")
        self._client_secret = context.credential("client_secret")
        self._refresh = context.credential("refresh_token")
        self._token_http = http_client_for(
            context, default_base_url=DEFAULT_BASE_URL, limits={"token": RateLimit(rate=1, burst=3)}
        )
        self.token = RefreshingToken(
            self._fetch_token,
            clock=context.clock,
            redactor=self._token_http.redactor,
            observer=self._token_http.observer,
            shared=context.token_slot("oauth", self._client_id, self._client_secret, self._refresh),
        )
        self.http: ConnectorHttpClient = http_client_for(
            context,
            default_base_url=DEFAULT_BASE_URL,
            limits=LIMITS,
            auth=HeaderTokenAuth("Authorization", self.token, prefix="Bearer "),
        )

    def __repr__(self) -> str:
        return f"WishConnector(account={self.account!r})"

    async def aclose(self) -> None:
        await self.http.aclose()
        await self._token_http.aclose()

    async def _fetch_token(self) -> TokenGrant:
        params = token_params(
            self._client_id.get_secret_value(),
            self._client_secret.get_secret_value(),
            self._refresh.get_secret_value(),
        )
        response = await self._token_http.request(
            "token", "GET", REFRESH_PATH, params=params, idempotent=True
        )
        token, lifetime = token_answer(_json(response.content), self._now())
        return TokenGrant.from_oauth_response({"access_token": token, "expires_in": lifetime})

    def _raw(self, kind: str, external_id: str | None, body: object) -> RawRecord:
        data = json.dumps(body, default=str, separators=(",", ":")).encode()
        return RawRecord(kind=kind, external_id=external_id, body=data, received_at=self._now())

    # --- orders ---------------------------------------------------------------------------

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        if cursor:
            state = KeysetCursor.decode(cursor)
        elif since is not None:
            state = KeysetCursor(start=since)
        else:
            raise ConfigError(f"wish account {self.account!r}: a first import needs 'since'")
        end = state.end or (self._now() - self._lag)
        if end < state.start:
            return
        limit = self._page_limit
        while True:
            params = orders_params(state.start, end, limit=limit)
            response = await self.http.request("listOrders", "GET", ORDERS_PATH, params=params)
            found = data_of(_json(response.content))
            orders = [o for o in (found if isinstance(found, list) else []) if isinstance(o, dict)]
            fresh = [o for o in orders if str(o.get("id")) not in state.taken]
            if not fresh and len(orders) >= limit:
                # a full page of orders already taken, all at the boundary instant: only a
                # bigger page gets past them (the API has no tie-breaker to page by)
                if limit >= MAX_PAGE:
                    raise ContractViolation(
                        f"wish {self.account!r}: more than {MAX_PAGE} orders share updated_at "
                        f"{wish_time(state.start)}; the keyset cannot page past them"
                    )
                limit = min(MAX_PAGE, limit * 2)
                continue
            records: PageRecords[Order] = PageRecords()
            for body in fresh:
                oid = str(body.get("id") or "")[:200] or None
                records.take(
                    self._raw("order", oid, body), normalize_orders, body, account=self.account
                )
            following = self._advance(state, end, fresh)
            done = len(orders) < limit or following is None
            if done:
                after = KeysetCursor(start=end + timedelta(seconds=1))
            else:
                assert following is not None
                after = following
            yield records.page(after.encode(), done)
            if done:
                return
            assert following is not None
            state = following

    @staticmethod
    def _advance(
        state: KeysetCursor, end: datetime, fresh: Sequence[dict[str, Any]]
    ) -> KeysetCursor | None:
        """The next keyset position: the last ``updated_at`` read, with every id taken at it.
        None when the page moved nothing forward (all at one instant already taken)."""
        stamps = [(str(o.get("updated_at") or ""), str(o.get("id"))) for o in fresh]
        if not stamps:
            return None
        last = max(s for s, _ in stamps)
        try:
            at = datetime.fromisoformat(last.replace("Z", "+00:00"))
        except ValueError:
            return None
        taken = tuple(i for s, i in stamps if s == last)
        if at == state.start:
            taken = tuple(dict.fromkeys((*state.taken, *taken)))
        return KeysetCursor(start=at, end=end, taken=taken)

    async def _order(self, external_id: str) -> Any:
        response = await self.http.request("getOrder", "GET", item_path(ORDERS_PATH, external_id))
        return data_of(_json(response.content))

    async def get_order(self, external_id: str) -> Fetched[Order]:
        body = await self._order(external_id)
        raw = self._raw("order", external_id, body)
        (order,) = map_fetched(raw, normalize_orders, body, account=self.account)
        return Fetched(order, raw)

    async def probe_orders(self) -> int:
        """How many orders the last day updated, on one small page (the live check)."""
        now = self._now()
        params = orders_params(now - timedelta(days=1), now, limit=5)
        response = await self.http.request("listOrders", "GET", ORDERS_PATH, params=params)
        found = data_of(_json(response.content))
        return len(found) if isinstance(found, list) else 0

    async def probe_products(self) -> None:
        """One small products page (the live check)."""
        response = await self.http.request(
            "listProducts", "GET", PRODUCTS_PATH, params={"limit": "1"}
        )
        data_of(_json(response.content))

    # --- fulfilment -----------------------------------------------------------------------

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        body = await self._order(order_external_id)
        order = normalize_orders(body, account=self.account)[0]
        line = order.lines[0]
        shipped = (
            PackageLine(
                sku=line.channel_sku or line.line_id,
                quantity=line.quantity,
                order_line_id=line.line_id,
            ),
        )
        return [
            ChannelFulfilment(number, number, provider, shipped)
            for number, provider in tracking_numbers(body)
        ]

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """ShipOrder with the first package's tracking (Wish takes one per order); a package
        whose number the order already carries is ``already_present``."""
        known = {n for n, _ in tracking_numbers(await self._order(push.order_external_id))}
        results = []
        for index, package in enumerate(push.packages):
            number = package.tracking_number
            if number in known:
                results.append(PackagePushResult(number, True, number, already_present=True))
                continue
            if index > 0 or known:
                results.append(
                    PackagePushResult(
                        number, False, reason="Wish takes one tracking number per order"
                    )
                )
                continue
            results.append(await self._ship(push.order_external_id, number, package.carrier))
            known.add(number)
        return results

    async def _ship(self, order_id: str, number: str, carrier: str) -> PackagePushResult:
        path = item_path(ORDERS_PATH, order_id, "tracking")
        try:
            response = await self.http.request(
                "shipOrder", "PUT", path, params=tracking_params(number, carrier, self._origin)
            )
            data_of(_json(response.content))
        except RetryableError as exc:
            known = {n for n, _ in tracking_numbers(await self._order(order_id))}
            if number in known:
                return PackagePushResult(number, True, number, already_present=True)
            return PackagePushResult(number, False, reason=str(exc))
        except (ConnectorError, InvalidInput) as exc:
            return PackagePushResult(number, False, reason=f"Wish refused the tracking: {exc}")
        return PackagePushResult(number, True, number)

    # --- listings and stock ---------------------------------------------------------------

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Products by a ``created_at_min`` keyset, each read with its variations."""
        state = KeysetCursor.decode(cursor) if cursor else None
        start = state.start if state else None
        taken = set(state.taken) if state else set()
        while True:
            params = {"limit": str(self._page_limit), "sort_by": "created_at.asc"}
            if start is not None:
                params["created_at_min"] = wish_time(start)
            response = await self.http.request("listProducts", "GET", PRODUCTS_PATH, params=params)
            found = data_of(_json(response.content))
            products = [
                p for p in (found if isinstance(found, list) else []) if isinstance(p, dict)
            ]
            fresh = [p for p in products if str(p.get("id")) not in taken]
            records: PageRecords[Listing] = PageRecords()
            for product in fresh:
                pid = str(product.get("id") or "")
                answer = await self.http.request("getProduct", "GET", item_path(PRODUCTS_PATH, pid))
                body = data_of(_json(answer.content))
                records.take(self._raw("listing", pid, body), normalize_listings, body,
                             account=self.account)  # fmt: skip
            following = self._advance(
                state or KeysetCursor(start=datetime.min.replace(tzinfo=self._now().tzinfo)),
                self._now(),
                [{"id": p.get("id"), "updated_at": p.get("created_at")} for p in fresh],
            )
            done = len(products) < self._page_limit or following is None
            yield records.page(None if done or following is None else following.encode(), done)
            if done or following is None:
                return
            state, start, taken = following, following.start, set(following.taken)

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """One updateProduct per product, setting its variations' inventory."""
        if not self._warehouse:
            raise ConfigError(
                f"wish account {self.account!r}: set the 'warehouse_id' setting (the Wish "
                "warehouse the stock is for)"
            )
        by_product: dict[str, list[int]] = {}
        for index, update in enumerate(updates):
            by_product.setdefault(update.listing.listing_id, []).append(index)
        results: dict[int, QuantityPushResult] = {}
        for product_id, indexes in by_product.items():
            rows = [
                (updates[i].inventory_ref or updates[i].listing.variation_id or product_id,
                 updates[i].quantity)
                for i in indexes
            ]  # fmt: skip
            try:
                response = await self.http.request(
                    "updateProduct", "PUT", item_path(PRODUCTS_PATH, product_id),
                    json=stock_body(str(self._warehouse), rows), idempotent=True,
                )  # fmt: skip
                data_of(_json(response.content))
            except (ConnectorError, InvalidInput) as exc:
                retryable = isinstance(exc, ConnectorError) and exc.retryable
                for i in indexes:
                    results[i] = QuantityPushResult(
                        updates[i].listing, updates[i].quantity, False, str(exc), retryable
                    )
                continue
            for i in indexes:
                results[i] = QuantityPushResult(updates[i].listing, updates[i].quantity, True)
        return [results[i] for i in range(len(updates))]

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Refused: the SDK's webhook classes (subscriptions, topics) say nothing of how a
        delivery is signed, so nothing can be verified; the hub polls Wish instead."""
        raise WebhookRejected(
            "Wish webhooks cannot be verified (no signing scheme is known): the hub polls "
            "orders instead",
            platform="wish",
        )


def create_connector(context: ConnectorContext) -> WishConnector:
    return WishConnector(context)
