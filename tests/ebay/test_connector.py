"""The eBay connector against the eBay simulator: every request checked against the specs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from channelhub.connectors.errors import ConnectorError, WebhookRejected
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings.ebay import PushRecord
from channelhub.simulators.ebay import sign_notification
from tests.ebay.harness import (
    NOW,
    SINCE,
    assert_journal_matches_specs,
    make_connector,
    simulator,
)

pytestmark = pytest.mark.anyio


async def _import_all(connector, cursor=None):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    last = None
    async for page in connector.pull_orders(cursor, since=SINCE):
        assert not page.failures
        assert len(page.raw) == len(page.items)
        seen.extend(order.external_id for order in page.items)
        last = page
    return seen, last


async def test_imports_every_order_following_next_with_valid_requests() -> None:
    sim = simulator(order_count=450)
    connector = make_connector(sim)
    seen, last = await _import_all(connector)
    assert sorted(seen) == sorted(sim.shop.orders)
    assert last is not None and last.done
    gets = [e for e in sim.journal.entries if e.path == "/sell/fulfillment/v1/order"]
    assert len(gets) == 3  # 200 + 200 + 50
    assert "limit=200" in gets[0].query and "lastmodifieddate" in gets[0].query
    assert "offset=200" in gets[1].query  # taken from `next`, not computed
    assert assert_journal_matches_specs(sim) >= 3
    # one token per API, fetched once
    assert connector.auth.tokens["fulfillment"].refreshes == 1
    assert connector.auth.tokens["inventory"].refreshes == 0
    await connector.aclose()


async def test_next_run_starts_after_the_watermark() -> None:
    sim = simulator(order_count=30)
    connector = make_connector(sim)
    _, last = await _import_all(connector)
    assert last is not None
    second, _ = await _import_all(connector, last.cursor)
    assert second == []
    await connector.aclose()


async def test_a_bad_order_is_kept_raw_and_does_not_stop_the_page() -> None:
    sim = simulator(order_count=20)
    broken = next(iter(sim.shop.orders.values()))
    broken["pricingSummary"]["total"]["value"] = "lots"
    connector = make_connector(sim)
    pages = [page async for page in connector.pull_orders(None, since=SINCE)]
    failures = [f for p in pages for f in p.failures]
    assert len(failures) == 1 and "'lots' is not a decimal amount" in failures[0].reason
    assert json.loads(failures[0].raw.body)["orderId"] == broken["orderId"]
    assert sum(len(p.items) for p in pages) == 19
    await connector.aclose()


async def test_get_order_and_a_bad_refresh_token() -> None:
    sim = simulator(order_count=5)
    connector = make_connector(sim)
    order_id = next(iter(sim.shop.orders))
    fetched = await connector.get_order(order_id)
    assert fetched.item.external_id == order_id
    bad = make_connector(sim, refresh_token="v^1.1#revoked")
    with pytest.raises(ConnectorError, match="400"):
        await bad.get_order(order_id)
    await connector.aclose()
    await bad.aclose()


async def test_listings_join_items_and_offers() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim, listing_page_size=10)
    listings = [x async for page in connector.pull_listings() for x in page.items]
    assert len(listings) == len(sim.shop.items) == 30
    assert sum(1 for x in listings if x.variation_id) == len(sim.shop.offers)
    assert connector.auth.tokens["inventory"].refreshes == 1
    assert assert_journal_matches_specs(sim) > 30
    await connector.aclose()


def _update(sku: str, quantity: int, previous: int | None = None) -> QuantityUpdate:
    key = ListingKey(channel="ebay", account="acme", listing_id=sku)
    return QuantityUpdate(
        listing=key, quantity=quantity, inventory_ref=sku, expected_previous=previous
    )


async def test_stock_push_batches_of_25_and_reads_each_item_of_a_207() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim)
    skus = sorted(sim.shop.items)
    updates = [_update(sku, 7) for sku in skus] + [_update("NOPE-1", 3), _update(skus[0] + "X", 1)]
    updates.append(_update(skus[1], 9, previous=9))  # unchanged: never sent
    results = await connector.push_quantities(updates)
    bulk = [e for e in sim.journal.entries if e.path.endswith("bulk_update_price_quantity")]
    assert [len(e.json()["requests"]) for e in bulk] == [25, 7]
    assert bulk[1].status == 207
    assert [r.accepted for r in results[:30]] == [True] * 30
    assert not results[30].accepted and "25713" in (results[30].reason or "")
    assert not results[30].retryable
    assert results[32].accepted and "unchanged" in (results[32].reason or "")
    assert sim.shop.items[skus[0]]["availability"]["shipToLocationAvailability"]["quantity"] == 7
    assert assert_journal_matches_specs(sim) >= 2
    await connector.aclose()


async def test_stock_push_holds_a_listing_at_its_daily_revision_limit() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim)
    sku = sorted(sim.shop.items)[0]
    history = [
        PushRecord(sku, i, NOW.replace(hour=1, minute=i % 60, second=i // 60)) for i in range(250)
    ]
    (result,) = await connector.push_quantities([_update(sku, 999)], history=history)
    assert not result.accepted and result.retryable and "250" in (result.reason or "")
    assert not [e for e in sim.journal.entries if "bulk" in e.path]
    await connector.aclose()


def _push(order: dict, tracking: str, line_index: int = 0) -> FulfilmentPush:  # type: ignore[type-arg]
    line = order["lineItems"][line_index]
    package = Package(
        tracking_number=tracking,
        carrier="USPS",
        lines=[
            PackageLine(
                sku=line["sku"], quantity=line["quantity"], order_line_id=line["lineItemId"]
            )
        ],
    )
    return FulfilmentPush(order_external_id=order["orderId"], packages=(package,), shipped_at=NOW)


async def test_fulfilment_is_created_once_and_a_retry_finds_it() -> None:
    sim = simulator(order_count=5)
    connector = make_connector(sim)
    order = next(iter(sim.shop.orders.values()))
    (first,) = await connector.push_fulfilment(_push(order, "9400111899223197428490"))
    assert first.accepted and first.fulfilment_id == "9400111899223197428490"
    assert not first.already_present
    (again,) = await connector.push_fulfilment(_push(order, "9400111899223197428490"))
    assert again.accepted and again.already_present
    posts = [
        e for e in sim.journal.entries if e.method == "POST" and "shipping_fulfillment" in e.path
    ]
    assert len(posts) == 1
    read_back = await connector.get_fulfilments(order["orderId"])
    assert [f.tracking_number for f in read_back] == ["9400111899223197428490"]
    assert assert_journal_matches_specs(sim) >= 4
    await connector.aclose()


async def test_a_lost_create_answer_is_resolved_by_reading_back() -> None:
    sim = simulator(order_count=5)
    sim.shop.lose_next_create_answer = True
    connector = make_connector(sim)
    order = next(iter(sim.shop.orders.values()))
    (result,) = await connector.push_fulfilment(_push(order, "1Z999AA10123456784"))
    assert result.accepted and result.already_present
    assert len(sim.shop.fulfillments[order["orderId"]]) == 1
    await connector.aclose()


async def test_a_409_conflict_is_reported_not_raised() -> None:
    sim = simulator(order_count=5)
    connector = make_connector(sim)
    order = next(iter(sim.shop.orders.values()))
    await connector.push_fulfilment(_push(order, "TRACK-A"))
    (result,) = await connector.push_fulfilment(_push(order, "TRACK-B"))
    assert not result.accepted and "409" in (result.reason or "")
    statuses = [
        e.status for e in sim.journal.entries if e.method == "POST" and "fulfillment" in e.path
    ]
    assert statuses == [201, 409]
    await connector.aclose()


async def test_notification_verified_with_a_fetched_and_cached_key() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim)
    body = json.dumps(
        {
            "metadata": {"topic": "MARKETPLACE_ACCOUNT_DELETION", "schemaVersion": "1.0"},
            "notification": {
                "notificationId": "n-1",
                "eventDate": "2026-02-10T11:59:00.000Z",
                "publishDate": "2026-02-10T11:59:30.000Z",
                "data": {"username": "u", "userId": "x"},
            },
        },
        separators=(",", ":"),
    ).encode()
    headers = {"X-EBAY-SIGNATURE": sign_notification(sim.shop, body)}
    with pytest.raises(WebhookRejected, match="not cached"):
        connector.verify_webhook(headers, body, now=NOW)
    event = await connector.verify_notification(headers, body, now=NOW)
    assert (event.event_id, event.topic) == ("n-1", "MARKETPLACE_ACCOUNT_DELETION")
    await connector.verify_notification(headers, body, now=NOW)
    assert connector.verify_webhook(headers, body, now=NOW).event_id == "n-1"
    assert connector.notifications.fetches == 1
    with pytest.raises(WebhookRejected, match="does not match"):
        await connector.verify_notification(headers, body.replace(b"n-1", b"n-2"), now=NOW)
    with pytest.raises(WebhookRejected, match="replay"):
        await connector.verify_notification(headers, body, now=datetime(2026, 3, 1, tzinfo=UTC))
    with pytest.raises(WebhookRejected, match="X-EBAY-SIGNATURE"):
        await connector.verify_notification({}, body, now=NOW)
    assert len(connector.challenge_response("abc")) == 64
    assert assert_journal_matches_specs(sim) >= 1
    await connector.aclose()


class _OddLocation:
    """The simulator, answering every 201 with a ``Location`` not of the documented form."""

    def __init__(self, sim: Any, location: bytes) -> None:
        self.sim, self.location = sim, location

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 201:
                headers = [(k, v) for k, v in message["headers"] if k.lower() != b"location"]
                message = {**message, "headers": [*headers, (b"location", self.location)]}
            await send(message)

        await self.sim(scope, receive, sending)


TRACK_1, TRACK_2 = "9400111899223197428490", "9400111899223197428491"


@pytest.mark.parametrize("location", [b"", b"https://api.ebay.com/sell/fulfillment/v1/order/x"])
async def test_an_odd_201_location_does_not_stop_the_remaining_packages(location: bytes) -> None:
    """Issue 18, item 12: the fulfilment was created; its id is read back by tracking number
    and the next package of the push is still sent."""
    sim = simulator(order_count=5)
    connector = make_connector(_OddLocation(sim, location))  # type: ignore[arg-type]
    order = next(o for o in sim.shop.orders.values() if len(o["lineItems"]) >= 2)
    first, second = order["lineItems"][:2]
    push = FulfilmentPush(
        order_external_id=order["orderId"],
        packages=tuple(
            Package(
                tracking_number=number,
                carrier="USPS",
                lines=(
                    PackageLine(
                        sku=line["sku"], quantity=line["quantity"], order_line_id=line["lineItemId"]
                    ),
                ),
            )
            for number, line in ((TRACK_1, first), (TRACK_2, second))
        ),
        shipped_at=NOW,
    )
    results = await connector.push_fulfilment(push)
    assert [r.accepted for r in results] == [True, True]
    assert [r.fulfilment_id for r in results] == [TRACK_1, TRACK_2]
    assert all("created" in (r.reason or "") for r in results)
    assert len(sim.shop.fulfillments[order["orderId"]]) == 2
    await connector.aclose()


async def test_a_fulfilment_line_with_quantity_zero_is_left_out_not_raised() -> None:
    """The spec types a fulfilment line's quantity as a bare integer: 0 is a valid answer."""
    sim = simulator(order_count=5)
    connector = make_connector(sim)
    order = next(iter(sim.shop.orders.values()))
    await connector.push_fulfilment(_push(order, "9400111899223197428490"))
    for stored in sim.shop.fulfillments[order["orderId"]]:
        for line in stored["lineItems"]:
            line["quantity"] = 0
    (read,) = await connector.get_fulfilments(order["orderId"])
    assert read.lines == () and read.tracking_number == "9400111899223197428490"
    assert "quantity 0 is not a positive whole number" in read.skipped[0]
    (again,) = await connector.push_fulfilment(_push(order, "9400111899223197428490"))
    assert again.accepted and again.already_present
    await connector.aclose()
