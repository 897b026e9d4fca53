"""The Amazon connector against the simulator in process, every request checked on the contract."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.connectors.roles import SalesChannel
from channelhub.core.models import FulfilledBy, ListingKey, Package, PackageLine
from tests.amazon.harness import make_rig


async def _pull_all(
    connector: AmazonConnector, cursor: str | None = None, **kw: object
) -> tuple[list[str], str | None]:
    ids: list[str] = []
    last = cursor
    async for page in connector.pull_orders(cursor, **kw):  # type: ignore[arg-type]
        assert page.failures == ()
        assert len(page.raw) == len(page.items)
        ids += [o.external_id for o in page.items]
        last = page.cursor
    return ids, last


@pytest.mark.anyio
async def test_plugin_is_registered_and_a_sales_channel() -> None:
    plugin = ConnectorRegistry().get("amazon")
    connector = plugin.create(make_rig(order_count=5).context())
    assert isinstance(connector, SalesChannel) and isinstance(connector, AmazonConnector)
    assert "Atzr" not in repr(connector)
    await connector.aclose()


@pytest.mark.anyio
async def test_import_with_injected_faults_yields_every_order_exactly_once() -> None:
    rig = make_rig(seed=11, order_count=450, listing_count=60)
    rig.sim.faults.update(error_rate=0.1, error_statuses=(429, 500, 503), timeout_rate=0.03)
    connector = rig.connector(page_size=10)
    since = rig.time.now - timedelta(days=30)
    ids: list[str] = []
    cursor = None
    pages = 0
    async for page in connector.pull_orders(since=since):
        ids += [o.external_id for o in page.items]
        cursor, pages = page.cursor, pages + 1
        if pages == 4:
            break  # the process dies after checkpointing page 4
    await connector.aclose()
    resumed = rig.connector(page_size=10)  # a new process resumes from the checkpoint
    more, watermark = await _pull_all(resumed, cursor)
    ids += more
    counts = Counter(ids)
    assert sorted(counts) == sorted(rig.sim.state.orders)
    assert max(counts.values()) == 1
    faulted = [e for e in rig.sim.journal.entries if e.fault]
    assert len(faulted) >= 5  # the faults really happened
    assert any(e.fault == "timeout" for e in faulted)
    # one RDT per process (connector instance), reused across its pages; the resumed run
    # takes 83 fake minutes (searchOrders allows one call per 3 minutes after its burst), so
    # it fetches one more RDT shortly before the first one's hour is up, never after
    rdts = [e for e in rig.sim.journal.matching("POST", "/tokens/") if e.status == 200]
    assert len(rdts) == 3 and rig.sim.journal.count() > 40
    assert not any(e.status == 403 for e in rig.sim.journal.entries)
    rig.sim.faults.clear()
    rig.assert_requests_follow_the_contract()

    # an edit after creation shows up in the next incremental run
    rig.time.now += timedelta(hours=1)
    edited = sorted(rig.sim.state.orders)[0]
    rig.sim.state.edit_order(edited, status="CANCELLED")
    rig.time.now += timedelta(minutes=10)
    again, _ = await _pull_all(resumed, watermark)
    overlap_start = datetime.fromisoformat(json.loads(watermark or "{}")["watermark"]) - timedelta(
        minutes=5
    )
    expected = {edited} | {
        i
        for i, o in rig.sim.state.orders.items()
        if o["lastUpdatedTime"] >= overlap_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert sorted(again) == sorted(expected) and len(again) < 10
    await resumed.aclose()


@pytest.mark.anyio
async def test_orders_carry_pii_fba_and_cod_and_backfill_by_id() -> None:
    rig = make_rig(seed=5, order_count=80)
    connector = rig.connector()
    orders = []
    async for page in connector.pull_orders(since=rig.time.now - timedelta(days=30)):
        orders += page.items
    assert all(o.ship_to is not None and o.ship_to.name for o in orders)
    assert any(o.fulfilled_by is FulfilledBy.CHANNEL for o in orders)
    assert any(o.payment.cash_on_delivery for o in orders)
    assert len({o.currency for o in orders}) >= 3
    fetched = await connector.get_order(orders[0].external_id)
    assert fetched.item == orders[0]
    assert connector.token.refreshes == 1  # one LWA grant for the whole run
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_expired_token_is_refreshed_once() -> None:
    rig = make_rig(order_count=10)
    connector = rig.connector(with_pii=False)
    await _pull_all(connector, since=rig.time.now - timedelta(days=30))
    rig.sim.state.expire_tokens()
    await _pull_all(connector, since=rig.time.now - timedelta(days=30))
    assert connector.token.refreshes == 2
    assert rig.sim.journal.count("POST", "/auth/o2/token") == 2
    await connector.aclose()


@pytest.mark.anyio
async def test_rate_limit_is_corrected_from_the_header() -> None:
    from channelhub.simulators.amazon import SimLimit

    rig = make_rig(order_count=10, limits={"searchOrders": SimLimit(0.5, 20)})
    connector = rig.connector(with_pii=False)
    await _pull_all(connector, since=rig.time.now - timedelta(days=30))
    assert connector.http.limiter.bucket("acme-amazon", "searchOrders").rate == 0.5
    await connector.aclose()


@pytest.mark.anyio
async def test_thousand_quantities_cost_one_feed_with_per_sku_results() -> None:
    rig = make_rig(order_count=1, listing_count=1000)
    connector = rig.connector()
    listings = []
    async for page in connector.pull_listings():
        listings += page.items
    assert len(listings) == 1000
    updates = [
        QuantityUpdate(
            listing=listing.key,
            quantity=index % 50,
            channel_sku=listing.channel_sku,
            inventory_ref=listing.inventory_ref,
        )
        for index, listing in enumerate(listings[:995])
    ]
    updates[10] = QuantityUpdate(listing=listings[10].key, quantity=3, inventory_ref="NOT_ITS_TYPE")
    for n in range(5):  # SKUs Amazon does not know
        key = ListingKey(channel="amazon", account="acme-amazon", listing_id=f"GHOST-{n}")
        updates.append(QuantityUpdate(listing=key, quantity=1, inventory_ref="SHOES"))
    rig.sim.journal.clear()
    results = await connector.push_quantities(updates)
    assert len(results) == 1000 and [r.listing for r in results] == [u.listing for u in updates]
    assert rig.sim.journal.count("POST", "/feeds/2021-06-30/feeds") == 1
    assert rig.sim.journal.count("PATCH") == 0
    rejected = {r.listing.listing_id: r.reason for r in results if not r.accepted}
    assert set(rejected) == {listings[10].listing_id} | {f"GHOST-{n}" for n in range(5)}
    assert "does not exist" in (rejected["GHOST-0"] or "")
    assert "productType 'NOT_ITS_TYPE'" in (rejected[listings[10].listing_id] or "")
    assert (
        rig.sim.state.listings[listings[20].listing_id]["fulfillmentAvailability"][0]["quantity"]
        == 20
    )
    assert all(r.submission_id == results[0].submission_id for r in results)
    assert rig.time.slept  # the connector waited between polls (on the fake clock)
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_few_quantities_use_patch_listings_item() -> None:
    rig = make_rig(order_count=1, listing_count=5)
    connector = rig.connector()
    sku = sorted(rig.sim.state.listings)[0]
    key = ListingKey(channel="amazon", account="acme-amazon", listing_id=sku)
    ghost = ListingKey(channel="amazon", account="acme-amazon", listing_id="GHOST")
    results = await connector.push_quantities(
        [
            QuantityUpdate(listing=key, quantity=9),
            QuantityUpdate(listing=ghost, quantity=1, inventory_ref="SHOES"),
        ]
    )
    assert results[0].accepted and not results[1].accepted
    assert rig.sim.journal.count("PATCH") == 2 and rig.sim.journal.count("GET", "/listings/") == 1
    assert rig.sim.state.listings[sku]["fulfillmentAvailability"][0]["quantity"] == 9
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_confirm_shipment_per_package_exactly_once_despite_a_5xx() -> None:
    rig = make_rig(seed=2, order_count=60)
    connector = rig.connector()
    order = rig.unshipped_order(lambda n: n >= 2)
    items = order["orderItems"]
    packages = tuple(
        Package(
            tracking_number=f"1Z{i}",
            carrier=carrier,
            lines=[
                PackageLine(
                    sku=it["product"]["sellerSku"],
                    quantity=it["quantityOrdered"],
                    order_line_id=it["orderItemId"],
                )
            ],
        )
        for i, (it, carrier) in enumerate(zip(items[:2], ("ups", "Saudi Post"), strict=True))
    )
    push = FulfilmentPush(
        order_external_id=order["orderId"], packages=packages, shipped_at=rig.time.now
    )
    rig.sim.faults.update(fail_next=1, error_statuses=(503,), paths=("/orders/v0/",))
    results = await connector.push_fulfilment(push)
    assert [r.accepted for r in results] == [True, True]
    again = await connector.push_fulfilment(push)
    assert [r.already_present for r in again] == [True, True]
    confirmed = [e for e in rig.sim.journal.matching("POST", "/orders/v0/") if e.status == 204]
    assert len(confirmed) == 2
    fulfilments = await connector.get_fulfilments(order["orderId"])
    assert {f.tracking_number for f in fulfilments} == {"1Z0", "1Z1"}
    assert {f.carrier for f in fulfilments} == {"UPS", "Saudi Post"}
    rig.sim.faults.clear()
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_a_feed_that_cannot_be_created_reports_every_sku_as_retryable() -> None:
    rig = make_rig(order_count=1, listing_count=30)
    connector = rig.connector(patch_threshold=5)
    updates = [
        QuantityUpdate(
            listing=ListingKey(channel="amazon", account="acme-amazon", listing_id=sku),
            quantity=1,
            inventory_ref=item["summaries"][0]["productType"],
        )
        for sku, item in sorted(rig.sim.state.listings.items())
    ]
    rig.sim.faults.update(error_rate=1.0, error_statuses=(503,), paths=("/feeds/2021-06-30/feeds",))
    results = await connector.push_quantities(updates)
    assert len(results) == 30
    assert all(not r.accepted and r.retryable and "503" in (r.reason or "") for r in results)
    await connector.aclose()
