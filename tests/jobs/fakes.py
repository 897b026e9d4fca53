"""A scripted SalesChannel: pages of orders (with duplicates, stale versions and bad records)
and a way to "kill the process" after page k."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from channelhub.connectors.errors import NotFoundError, WebhookRejected
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
from channelhub.core.models import Listing, Money, Order, OrderLine, OrderTotals

T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
PLATFORM = "fakeshop"
ACCOUNT = "shop1"


class Killed(BaseException):
    """Stands in for SIGKILL: nothing in the job may catch it."""


def make_order(external_id: str, version: int, *, account: str = ACCOUNT) -> Order:
    return Order.model_validate(
        {
            "channel": PLATFORM,
            "account": account,
            "external_id": external_id,
            "channel_status": f"v{version}",
            "placed_at": T0,
            "updated_at": T0 + timedelta(minutes=version),
            "totals": OrderTotals(total=Money.of("10.00", "USD")),
            "lines": (OrderLine(line_id="L1", listing_id="P1", quantity=version),),
        }
    )


def raw_for(kind: str, external_id: str, version: int, *, bad: bool = False) -> RawRecord:
    body = {"id": external_id, "version": version}
    if bad:
        body["total"] = "twelve"
    return RawRecord(
        kind=kind,
        external_id=external_id,
        body=json.dumps(body, sort_keys=True).encode(),
        received_at=T0,
    )


@dataclass(frozen=True)
class Rec:
    """One record on a scripted page: an order id, its version, or a bad record."""

    external_id: str
    version: int
    bad: bool = False


@dataclass
class FakeChannel:
    """Pages of :class:`Rec`; the cursor is the index of the next page."""

    pages: list[list[Rec]]
    listings: list[list[Listing]] = field(default_factory=list)
    kill_before_page: int | None = None
    before_page: Callable[[int], Awaitable[None]] | None = None  # e.g. wait for a test's cue
    fail_with: Exception | None = None
    platform: str = PLATFORM
    account: str = ACCOUNT
    capabilities: frozenset[Capability] = frozenset(
        {
            Capability.PULL_ORDERS,
            Capability.GET_ORDER,
            Capability.PULL_LISTINGS,
            Capability.VERIFY_WEBHOOK,
        }
    )
    calls: list[tuple[str | None, datetime | None]] = field(default_factory=list)
    closed: int = 0
    webhook_secret: str = "s3cret"

    async def aclose(self) -> None:
        self.closed += 1

    def _page(self, index: int) -> PageOf[Order]:
        recs = self.pages[index]
        good = [r for r in recs if not r.bad]
        return PageOf(
            items=tuple(make_order(r.external_id, r.version, account=self.account) for r in good),
            raw=tuple(raw_for("order", r.external_id, r.version) for r in good),
            cursor=str(index + 1),
            done=index == len(self.pages) - 1,
            failures=tuple(
                RecordFailure(
                    raw=raw_for("order", r.external_id, r.version, bad=True),
                    reason=f"order.total: 'twelve' is not a decimal amount ({r.external_id})",
                )
                for r in recs
                if r.bad
            ),
        )

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        self.calls.append((cursor, since))
        if self.fail_with is not None:
            raise self.fail_with
        start = int(cursor) if cursor else 0
        if start >= len(self.pages):  # nothing new since the watermark
            yield PageOf(items=(), raw=(), cursor=cursor, done=True)
            return
        for index in range(start, len(self.pages)):
            if index == self.kill_before_page:
                raise Killed(f"killed before page {index}")
            if self.before_page is not None:
                await self.before_page(index)
            yield self._page(index)

    async def get_order(self, external_id: str) -> Fetched[Order]:
        versions = [r.version for page in self.pages for r in page if r.external_id == external_id]
        if not versions:
            raise NotFoundError("no such order", status=404, platform=self.platform)
        return Fetched(
            item=make_order(external_id, max(versions), account=self.account),
            raw=raw_for("order", external_id, max(versions)),
        )

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        if self.fail_with is not None:
            raise self.fail_with
        start = int(cursor) if cursor else 0
        for index in range(start, len(self.listings)):
            items = self.listings[index]
            yield PageOf(
                items=tuple(items),
                raw=tuple(
                    RawRecord("listing", item.listing_id, item.model_dump_json().encode(), T0)
                    for item in items
                ),
                cursor=None if index == len(self.listings) - 1 else str(index + 1),
                done=index == len(self.listings) - 1,
            )

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        return [QuantityPushResult(u.listing, u.quantity, accepted=True) for u in updates]

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        return []

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        return []

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        if headers.get("x-fake-signature") != self.webhook_secret:
            raise WebhookRejected("the webhook signature does not match", platform=PLATFORM)
        payload = json.loads(body)
        return WebhookEvent(
            event_id=headers["x-fake-event-id"],
            topic=headers.get("x-fake-topic", "orders/updated"),
            occurred_at=now,
            payload=payload,
            raw=RawRecord("webhook", str(payload.get("id")), body, now),
        )
