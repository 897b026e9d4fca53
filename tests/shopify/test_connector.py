"""The Shopify connector against the simulator in process (no network, no real sleeps)."""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from channelhub.connectors.errors import NotFoundError, WebhookRejected
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.roles import SalesChannel
from channelhub.connectors.shopify import DuplicateWebhook
from channelhub.core.models import ListingKey, Package, PackageLine
from channelhub.mappings import shopify as m
from channelhub.mappings.shopify.pricing import MAX_QUERY_COST
from channelhub.mappings.shopify.queries import LINES_READ_WITH_ORDER
from channelhub.mappings.shopify.requests import (
    LINE_ITEMS_PAGE_SIZE,
    ORDERS_PAGE_SIZE,
    PRODUCTS_PAGE_SIZE,
)
from channelhub.simulators.faults import FaultConfig
from channelhub.simulators.shopify import WebhookSender
from channelhub.simulators.shopify.seed import price_order
from tests.shopify.conftest import SECRET, TOKEN, assert_requests_valid

pytestmark = pytest.mark.anyio


async def _import_all(connector: Any, cursor: str | None = None) -> tuple[list[str], str | None]:
    ids: list[str] = []
    async for page in connector.pull_orders(cursor):
        assert not page.failures, page.failures
        ids += [order.external_id for order in page.items]
        cursor = page.cursor
    return ids, cursor


async def test_import_under_faults_yields_every_order_exactly_once(make_rig: Any) -> None:
    rig = make_rig(
        seed=17,
        orders=200,  # 10 pages: enough calls for the faults to hit
        throttle_rate=0.1,
        faults=FaultConfig(error_rate=0.1, error_statuses=(500, 502, 503), timeout_rate=0.03),
    )
    assert isinstance(rig.connector, SalesChannel)
    ids, watermark = await _import_all(rig.connector)
    assert Counter(ids) == Counter(list(rig.shop.data.orders))  # each exactly once
    faulted = [e for e in rig.sim.journal.entries if e.fault]
    throttled = rig.shop.calls("orders", outcome="throttled")
    assert faulted and throttled  # the faults really happened
    assert rig.time.sleeps  # ... and were waited out on the injected clock
    # the next run starts overlap before this window's end and finds nothing new
    again, _ = await _import_all(rig.connector, watermark)
    assert set(again) <= set(rig.shop.data.orders)
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_throttled_answer_waits_for_the_refill_then_retries(make_rig: Any) -> None:
    rig = make_rig(seed=14, orders=6, bucket_size=1000, restore_rate=50)
    rig.shop.bucket.drain()
    fetched = await rig.connector.get_order(next(iter(rig.shop.data.orders)))
    assert fetched.item.external_id in rig.shop.data.orders
    assert rig.shop.calls("order", outcome="throttled") == 1
    assert rig.time.sleeps and sum(rig.time.sleeps) >= 49 / 50 - 0.01  # one order: 49 points
    assert_requests_valid(rig)
    await rig.connector.aclose()


def _updates(rig: Any, count: int, *, stale: set[int] = frozenset()) -> list[QuantityUpdate]:  # type: ignore[assignment]
    pairs = list(rig.shop.data.levels.items())[:count]
    assert len(pairs) == count
    return [
        QuantityUpdate(
            listing=ListingKey(channel="shopify", account="sim-shop", listing_id=item),
            quantity=current + 1,
            inventory_ref=item,
            location=location,
            expected_previous=current + (5 if i in stale else 0),
        )
        for i, ((item, location), current) in enumerate(pairs)
    ]


async def test_pushing_1000_quantities_costs_four_calls(make_rig: Any) -> None:
    rig = make_rig(seed=15, orders=1, products=320, bucket_size=1e9)
    updates = _updates(rig, 1000)
    results = await rig.connector.push_quantities(updates)
    assert rig.shop.calls("inventorySetQuantities", outcome=None) == math.ceil(1000 / 250) == 4
    assert [r.listing for r in results] == [u.listing for u in updates]
    assert all(r.accepted for r in results)
    for update in updates:
        assert rig.shop.data.levels[(update.inventory_ref, update.location)] == update.quantity
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_stale_compare_quantity_is_reread_and_retried_once(make_rig: Any) -> None:
    rig = make_rig(seed=16, orders=1, products=20, bucket_size=1e9)
    updates = _updates(rig, 10, stale={2, 7})
    results = await rig.connector.push_quantities(updates)
    assert all(r.accepted for r in results)
    assert rig.shop.calls("inventorySetQuantities") == 2  # the batch, then its retry
    assert rig.shop.calls("nodes") == 1  # one re-read of the stale items
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_still_stale_after_the_retry_is_reported_not_hidden(make_rig: Any) -> None:
    rig = make_rig(seed=17, orders=1, products=20, bucket_size=1e9)
    updates = _updates(rig, 3, stale={1})
    original = rig.shop.handle
    target = (updates[1].inventory_ref, updates[1].location)

    def racing_handle(version: str, token: str | None, body: Any) -> Any:
        answer = original(version, token, body)
        if "nodes(ids" in body["query"]:
            rig.shop.data.levels[target] += 3  # someone sells in between
        return answer

    rig.shop.handle = racing_handle  # type: ignore[method-assign]
    results = await rig.connector.push_quantities(updates)
    assert [r.accepted for r in results] == [True, False, True]
    assert results[1].retryable and "COMPARE_QUANTITY_STALE" in (results[1].reason or "")
    # the batch, the stale item's one retry, then the others again without it
    stale_sent = [
        entry
        for entry in rig.shop.journal
        if "inventorySetQuantities" in entry.root_fields
        and any(
            q["inventoryItemId"].endswith(f"/{target[0]}")
            and q["locationId"].endswith(f"/{target[1]}")
            for q in entry.variables["input"]["quantities"]
        )
    ]
    assert len(stale_sent) == 2 and rig.shop.calls("inventorySetQuantities", outcome=None) == 3
    await rig.connector.aclose()


async def test_items_without_a_handle_are_refused_each(make_rig: Any) -> None:
    # no location_id and a shop without a location: no default to push to
    rig = make_rig(seed=18, orders=1, products=3, settings={"location_id": None})
    rig.shop.data.locations.clear()
    key = ListingKey(channel="shopify", account="sim-shop", listing_id="1")
    results = await rig.connector.push_quantities(
        [
            QuantityUpdate(listing=key, quantity=1, inventory_ref="1"),
            QuantityUpdate(listing=key, quantity=1, location="2"),
        ]
    )
    assert [r.accepted for r in results] == [False, False]
    assert "location" in (results[0].reason or "") and "inventory" in (results[1].reason or "")
    await rig.connector.aclose()


async def test_without_location_id_the_first_active_location_is_pushed_and_read(
    make_rig: Any,
) -> None:
    rig = make_rig(seed=24, orders=1, products=6, bucket_size=1e9, settings={"location_id": None})
    data = rig.shop.data
    data.locations[0]["isActive"] = False  # deactivated: the second one is the default
    managed = data.locations[1]["id"].rsplit("/", 1)[-1]
    listings = [item async for page in rig.connector.pull_listings() for item in page.items]
    stocked = next(i for i in listings if (i.inventory_ref, managed) in data.levels)
    assert stocked.quantity == data.levels[(stocked.inventory_ref, managed)]
    (result,) = await rig.connector.push_quantities(
        [QuantityUpdate(listing=stocked.key, quantity=31, inventory_ref=stocked.inventory_ref)]
    )
    assert result.accepted and data.levels[(stocked.inventory_ref, managed)] == 31
    again = [item async for page in rig.connector.pull_listings() for item in page.items]
    assert next(i for i in again if i.key == stocked.key).quantity == 31
    assert rig.shop.calls("locations") == 1  # resolved once per connector
    assert_requests_valid(rig)
    await rig.connector.aclose()


def _open_order(rig: Any, units: int = 2) -> tuple[str, dict[str, Any]]:
    return next(
        (k, o)
        for k, o in rig.shop.data.orders.items()
        if o["displayFulfillmentStatus"] == "UNFULFILLED"
        and not o["cancelledAt"]
        and sum(ln["currentQuantity"] for ln in o["lineItems"]) >= units
    )


async def test_fulfilment_per_package_partial_then_rest_and_read_back(make_rig: Any) -> None:
    rig = make_rig(seed=19, orders=30, bucket_size=1e9)
    order_id, node = _open_order(rig)
    line = node["lineItems"][0]
    line_id = line["id"].rsplit("/", 1)[-1]
    first = Package(
        tracking_number="1Z001",
        carrier="UPS",
        tracking_url="https://ups.example/1Z001",
        lines=[PackageLine(sku=line["sku"], quantity=1, order_line_id=line_id)],
    )
    rest = Package(tracking_number="1Z002", carrier="UPS")
    push = FulfilmentPush(
        order_external_id=order_id, packages=(first, rest), shipped_at=rig.time.now()
    )
    before = len(rig.shop.journal)
    results = await rig.connector.push_fulfilment(push)
    assert [r.accepted for r in results] == [True, True] and not results[0].already_present
    # fulfillmentCreate echoed each fulfilment with its tracking: the job reads nothing back
    assert [r.recorded for r in results] == [True, True]
    assert node["displayFulfillmentStatus"] == "FULFILLED"
    # two calls a package: one state read (fulfillment orders + tracking already there), one create
    assert len(rig.shop.journal) - before == 4
    read_back = await rig.connector.get_fulfilments(order_id)
    assert [f.tracking_number for f in read_back] == ["1Z001", "1Z002"]
    assert read_back[0].lines[0].order_line_id == line_id and read_back[0].carrier == "UPS"
    # pushing again (an outbox retry) creates nothing new
    before = len(rig.shop.journal)
    again = await rig.connector.push_fulfilment(push)
    assert all(r.accepted and r.already_present and r.recorded for r in again)
    assert len(rig.shop.journal) - before == 2  # one state read each, nothing created
    assert rig.shop.calls("fulfillmentCreate") == 2
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_fulfilment_beyond_what_remains_is_refused_with_the_reason(make_rig: Any) -> None:
    rig = make_rig(seed=20, orders=30, bucket_size=1e9)
    order_id, node = _open_order(rig, units=1)
    line = node["lineItems"][0]
    too_many = Package(
        tracking_number="X1",
        carrier="DHL",
        lines=[
            PackageLine(sku=line["sku"], quantity=99, order_line_id=line["id"].rsplit("/", 1)[-1])
        ],
    )
    (result,) = await rig.connector.push_fulfilment(
        FulfilmentPush(order_external_id=order_id, packages=(too_many,), shipped_at=rig.time.now())
    )
    assert not result.accepted and "99" in (result.reason or "")
    assert rig.shop.calls("fulfillmentCreate", outcome=None) == 0
    await rig.connector.aclose()


async def test_webhooks_forged_and_replayed_refused_duplicates_once(make_rig: Any) -> None:
    rig = make_rig(seed=21, orders=5)
    sender = WebhookSender(rig.shop.data, SECRET, duplicate_rate=1.0, now=rig.time.now)
    order_id = next(iter(rig.shop.data.orders))
    first, duplicate = sender.deliveries("orders/updated", order_id)
    event = rig.connector.verify_webhook(first.headers, first.body, now=rig.time.now())
    order = rig.connector.order_from_webhook(event)
    assert order == (await rig.connector.get_order(order_id)).item
    assert order.external_id == order_id and int(order_id) > 2**53
    with pytest.raises(DuplicateWebhook):
        rig.connector.verify_webhook(duplicate.headers, duplicate.body, now=rig.time.now())
    forged = json.loads(first.body)
    forged["financial_status"] = "paid"
    forged["total_outstanding"] = "0.01"
    fresh = sender.delivery("orders/updated", order_id)
    with pytest.raises(WebhookRejected, match="does not match"):
        rig.connector.verify_webhook(fresh.headers, json.dumps(forged).encode(), now=rig.time.now())
    forged_sender = WebhookSender(rig.shop.data, "not-the-secret", now=rig.time.now)
    other = forged_sender.delivery("orders/create", order_id)
    with pytest.raises(WebhookRejected):
        rig.connector.verify_webhook(other.headers, other.body, now=rig.time.now())
    stale = sender.delivery("orders/create", order_id)
    with pytest.raises(WebhookRejected, match="replay window"):
        rig.connector.verify_webhook(
            stale.headers, stale.body, now=rig.time.now() + timedelta(days=3)
        )
    # the forged and stale deliveries did not burn their ids: a genuine one still passes
    assert rig.connector.verify_webhook(fresh.headers, fresh.body, now=rig.time.now())
    await rig.connector.aclose()


async def test_listings_and_locations(make_rig: Any) -> None:
    rig = make_rig(seed=22, orders=1, products=45, bucket_size=1e9)
    listings = []
    async for page in rig.connector.pull_listings():
        assert not page.failures
        listings += page.items
    variants = rig.shop.data.variants()
    assert len(listings) == len(variants)
    assert {item.inventory_ref for item in listings} == {
        v["inventoryItem"]["id"].rsplit("/", 1)[-1] for v in variants
    }
    assert all(item.price is not None and item.price.currency == "USD" for item in listings)
    # each quantity is ``available`` at the account's location_id, not the variants' total
    managed = rig.shop.data.locations[0]["id"].rsplit("/", 1)[-1]
    levels = rig.shop.data.levels
    assert {item.inventory_ref: item.quantity for item in listings} == {
        v["inventoryItem"]["id"].rsplit("/", 1)[-1]: levels.get(
            (v["inventoryItem"]["id"].rsplit("/", 1)[-1], managed)
        )
        for v in variants
    }
    totals = {v["inventoryItem"]["id"].rsplit("/", 1)[-1]: v["inventoryQuantity"] for v in variants}
    assert any(item.quantity != totals[item.inventory_ref] for item in listings)
    # 45 products, each page the most whose requested cost fits 1000 points
    assert rig.shop.calls("products") == math.ceil(45 / PRODUCTS_PAGE_SIZE)
    locations = await rig.connector.locations()
    assert [loc.name for loc in locations] == ["Shenzhen DC", "Los Angeles 3PL"]
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_api_version_is_pinned_from_settings(make_rig: Any) -> None:
    rig = make_rig(seed=23, orders=1, settings={"api_version": "2024-07"})
    assert rig.connector.api_version == "2024-07"
    with pytest.raises(NotFoundError, match=r"404|Not Found"):
        await rig.connector.get_order("1")
    assert rig.sim.journal.entries[-1].path == "/admin/api/2024-07/graphql.json"
    await rig.connector.aclose()


def test_an_account_without_shop_or_base_url_is_a_config_error() -> None:
    from pydantic import SecretStr

    from channelhub.connectors.plugin import ConnectorContext
    from channelhub.connectors.shopify import ShopifyConnector
    from channelhub.core.errors import ConfigError

    context = ConnectorContext(
        platform="shopify", account="nowhere", credentials={"access_token": SecretStr("shpat_x")}
    )
    with pytest.raises(ConfigError, match="nowhere"):
        ShopifyConnector(context)


@pytest.mark.parametrize(("bucket", "rate"), [(2000, 100), (1000, 50)])  # Standard, legacy
async def test_a_clean_import_paces_itself_and_is_never_throttled(
    make_rig: Any, bucket: int, rate: int
) -> None:
    rig = make_rig(seed=24, orders=100, bucket_size=bucket, restore_rate=rate)
    ids, _ = await _import_all(rig.connector)
    assert Counter(ids) == Counter(list(rig.shop.data.orders))
    # one call per page of the computed size, each admitted: not one THROTTLED answer
    outcomes = Counter(entry.outcome for entry in rig.shop.journal)
    assert outcomes == {"ok": math.ceil(100 / ORDERS_PAGE_SIZE)}
    assert rig.shop.calls("orders", outcome="throttled") == 0
    # the limiter waited on its own, fed by throttleStatus (bucket 2000, 983 per page)
    assert rig.time.sleeps
    await rig.connector.aclose()


async def test_pages_are_as_large_as_the_single_query_cost_allows(make_rig: Any) -> None:
    rig = make_rig(seed=25, orders=20)
    await _import_all(rig.connector)
    pages = [e for e in rig.shop.journal if "orders" in e.root_fields]
    assert {e.variables["first"] for e in pages} == {ORDERS_PAGE_SIZE}
    # Shopify's price (the simulator's, from the schema): one order more would be refused
    assert pages[0].requested_cost is not None and pages[0].requested_cost <= MAX_QUERY_COST
    body = m.orders_request(updated_since=datetime(2026, 1, 1, tzinfo=UTC))
    body["variables"]["first"] = ORDERS_PAGE_SIZE + 1
    assert rig.shop.handle("2025-01", TOKEN, body)[1]["errors"][0]["extensions"]["code"] == (
        "MAX_COST_EXCEEDED"
    )
    await rig.connector.aclose()


async def test_another_app_spending_the_bucket_is_waited_out(make_rig: Any) -> None:
    rig = make_rig(seed=27, orders=40)
    ids: list[str] = []
    async for page in rig.connector.pull_orders(None):
        ids += [o.external_id for o in page.items]
        rig.shop.bucket.drain()  # another app on the shop spent every point meanwhile
    assert Counter(ids) == Counter(list(rig.shop.data.orders))
    pages = math.ceil(40 / ORDERS_PAGE_SIZE)
    assert rig.shop.calls("orders") == pages
    assert rig.shop.calls("orders", outcome="throttled") == pages - 1  # each refill waited
    await rig.connector.aclose()


async def test_a_cost_shopify_prices_higher_is_learned(make_rig: Any, monkeypatch: Any) -> None:
    import channelhub.connectors.shopify.transport as transport

    estimate = transport.requested_cost
    monkeypatch.setattr(transport, "requested_cost", lambda doc, v: estimate(doc, v) // 4)
    rig = make_rig(seed=28, orders=100)
    ids, _ = await _import_all(rig.connector)
    assert len(ids) == 100
    assert rig.shop.calls("orders", outcome="throttled") == 0  # paced by Shopify's figure
    assert rig.time.sleeps
    await rig.connector.aclose()


def _add_lines(rig: Any, order_id: str, count: int) -> dict[str, Any]:
    """Give a seeded order ``count`` line items in all (copies of its first, new ids)."""
    order = rig.shop.data.orders[order_id]
    template = order["lineItems"][0]
    order["lineItems"] = [
        {**template, "id": f"gid://shopify/LineItem/{rig.shop.data.new_id()}"} for _ in range(count)
    ]
    price_order(order, rig.shop.data.currency)
    return order  # type: ignore[no-any-return]


def _lines_of(order: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(li["id"].rsplit("/", 1)[-1], li["sku"]) for li in order["lineItems"]]


async def test_orders_with_a_few_more_lines_than_read_lose_and_repeat_none(
    make_rig: Any,
) -> None:
    # a page reads LINES_READ_WITH_ORDER lines of each order (what most orders have);
    # a bigger order's rest comes in one follow-up read, appended after those read already
    assert LINES_READ_WITH_ORDER == 4 and ORDERS_PAGE_SIZE == 20
    rig = make_rig(seed=29, orders=45)
    ids = list(rig.shop.data.orders)
    sizes = {ids[0]: 7, ids[1]: 7, ids[2]: 5, ids[3]: LINES_READ_WITH_ORDER, ids[40]: 7}
    for order_id, count in sizes.items():
        order = _add_lines(rig, order_id, count)
        for n, line in enumerate(order["lineItems"]):  # each line its own SKU and quantity
            line.update(sku=f"{line['sku']}-{n}", quantity=n + 1, currentQuantity=n + 1)
    imported: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    async for page in rig.connector.pull_orders(None):
        assert not page.failures, page.failures
        for o in page.items:
            assert o.external_id not in imported  # each order once
            imported[o.external_id] = o
        kept.update((r.external_id, json.loads(r.body)) for r in page.raw)
    assert set(imported) == set(rig.shop.data.orders)
    for order_id, order in rig.shop.data.orders.items():  # every line once, in Shopify's order
        got = [(line.line_id, line.channel_sku) for line in imported[order_id].lines]
        assert got == _lines_of(order), order_id
        raw_lines = kept[order_id]["lineItems"]
        assert [n["id"] for n in raw_lines["nodes"]] == [li["id"] for li in order["lineItems"]]
        assert raw_lines["pageInfo"]["hasNextPage"] is False
    assert [line.quantity for line in imported[ids[0]].lines] == list(range(1, 8))
    # one follow-up per order with more lines than read with it, none for exactly 4
    follow_ups = [e for e in rig.shop.journal if e.root_fields == ("order",)]
    bigger = [i for i, count in sizes.items() if count > LINES_READ_WITH_ORDER]
    assert sorted(e.variables["id"] for e in follow_ups) == sorted(
        f"gid://shopify/Order/{i}" for i in bigger
    )
    assert all(e.variables["first"] == LINE_ITEMS_PAGE_SIZE for e in follow_ups)
    assert all(e.variables["after"] for e in follow_ups)
    assert rig.shop.calls("orders", outcome=None) == math.ceil(45 / ORDERS_PAGE_SIZE) == 3
    assert Counter(e.outcome for e in rig.shop.journal) == {"ok": len(rig.shop.journal)}
    calls = len(rig.shop.journal)
    fetched = await rig.connector.get_order(ids[0])  # by id: the order, then its rest
    assert [(line.line_id, line.channel_sku) for line in fetched.item.lines] == _lines_of(
        rig.shop.data.orders[ids[0]]
    )
    assert len(rig.shop.journal) == calls + 2
    assert_requests_valid(rig)
    await rig.connector.aclose()


async def test_an_order_with_many_lines_is_imported_whole(make_rig: Any) -> None:
    rig = make_rig(seed=26, orders=15)
    big = next(iter(rig.shop.data.orders))
    lines = LINES_READ_WITH_ORDER + 2 * LINE_ITEMS_PAGE_SIZE + 7  # the rest takes three follow-ups
    order = _add_lines(rig, big, lines)
    imported: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    async for page in rig.connector.pull_orders(None):
        assert not page.failures, page.failures
        imported.update((o.external_id, o) for o in page.items)
        kept.update((r.external_id, json.loads(r.body)) for r in page.raw)
    assert len(kept[big]["lineItems"]["nodes"]) == lines  # the raw payload kept is whole too
    assert set(imported) == set(rig.shop.data.orders)
    whole = imported[big]
    assert len(whole.lines) == lines
    assert [line.line_id for line in whole.lines] == [
        li["id"].rsplit("/", 1)[-1] for li in order["lineItems"]
    ]
    assert rig.shop.calls("order") == 3  # the follow-up reads, each a full page but the last
    assert rig.shop.calls("orders", outcome=None) == math.ceil(15 / ORDERS_PAGE_SIZE)
    assert Counter(e.outcome for e in rig.shop.journal) == {"ok": len(rig.shop.journal)}
    fetched = await rig.connector.get_order(big)  # by id (webhook backfill) as well
    assert len(fetched.item.lines) == lines
    assert_requests_valid(rig)
    await rig.connector.aclose()
