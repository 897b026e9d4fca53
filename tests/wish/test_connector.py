"""The Wish connector against its simulator (contract unverified: both follow the same guesses,
the field and path names are checked against the SDK in test_sdk_names)."""

from __future__ import annotations

from collections import Counter

import pytest

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.core.models import ChannelOrderState, ListingKey, Package, PackageLine
from channelhub.simulators.wish import WAREHOUSE_ID
from tests.wish.harness import NOW, SINCE, make_connector, simulator

pytestmark = pytest.mark.anyio


async def _import_all(connector, cursor=None):  # type: ignore[no-untyped-def]
    seen, last = [], None
    async for page in connector.pull_orders(cursor, since=SINCE):
        assert not page.failures, [f.reason for f in page.failures]
        seen.extend(o.external_id for o in page.items)
        last = page
    return seen, last


async def test_unfulfilled_orders_by_keyset_exactly_once_under_faults() -> None:
    sim = simulator(order_count=45)
    sim.faults.update(error_rate=0.1, error_statuses=(500, 503))
    connector = make_connector(sim, page_limit=10)
    connector.http._retry = connector.http._retry.model_copy(update={"max_attempts": 8})
    seen, last = await _import_all(connector)
    assert Counter(seen) == Counter(list(sim.shop.orders))
    assert last is not None and last.done
    again, _ = await _import_all(connector, last.cursor)
    assert again == []
    calls = [e for e in sim.journal.entries if e.path == "/api/v3/orders"]
    assert all("states=APPROVED" in e.query for e in calls)
    assert all(e.headers["authorization"].startswith("Bearer ") for e in calls)
    await connector.aclose()


async def test_orders_sharing_one_update_time_are_neither_lost_nor_doubled() -> None:
    sim = simulator(order_count=12)
    for order in sim.shop.orders.values():
        order["updated_at"] = "2026-03-10T11:30:00Z"
    connector = make_connector(sim, page_limit=5)
    seen, _ = await _import_all(connector)
    assert Counter(seen) == Counter(list(sim.shop.orders))
    await connector.aclose()


async def test_mapping_ship_once_and_read_back() -> None:
    sim = simulator(order_count=3)
    connector = make_connector(sim)
    oid, body = next(iter(sim.shop.orders.items()))
    order = (await connector.get_order(oid)).item
    (line,) = order.lines
    assert line.channel_sku == body["product_information"]["sku"]
    assert line.variation_id == body["product_information"]["variation_id"]
    assert order.channel_state is ChannelOrderState.UNSHIPPED
    package = Package(
        tracking_number="YT2400000000001",
        carrier="yunexpress",
        lines=(PackageLine(sku=line.channel_sku or "", quantity=line.quantity, order_line_id=oid),),
    )
    push = FulfilmentPush(order_external_id=oid, packages=(package,), shipped_at=NOW)
    (result,) = await connector.push_fulfilment(push)
    assert result.accepted and not result.already_present
    (again,) = await connector.push_fulfilment(push)
    assert again.already_present
    assert sim.journal.count("PUT", f"/api/v3/orders/{oid}/tracking") == 1
    (read,) = await connector.get_fulfilments(oid)
    assert (read.tracking_number, read.carrier) == ("YT2400000000001", "YunExpress")
    assert (await connector.get_order(oid)).item.channel_state is ChannelOrderState.SHIPPED
    await connector.aclose()


async def test_listings_per_variation_and_stock_per_product() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim, page_limit=4)
    listings = [x async for page in connector.pull_listings() for x in page.items]
    variations = [v for p in sim.shop.products.values() for v in p["variations"]]
    assert sorted(x.variation_id or "" for x in listings) == sorted(v["id"] for v in variations)
    first, second = variations[0], variations[1]
    updates = [
        QuantityUpdate(
            ListingKey(channel="wish", account="acme-wish", listing_id=v["product_id"],
                       variation_id=v["id"]), q)
        for v, q in ((first, 9), (second, 0))
    ]  # fmt: skip
    results = await connector.push_quantities(updates)
    assert all(r.accepted for r in results)
    assert first["inventories"] == [{"warehouse_id": WAREHOUSE_ID, "inventory": 9}]
    assert sim.journal.count("PUT", "/api/v3/products/") == 1  # both variations, one product
    await connector.aclose()


async def test_a_revoked_refresh_token_is_a_clear_error() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim, refresh_token="revoked")
    with pytest.raises(ConnectorError, match="400"):
        await connector.get_order(next(iter(sim.shop.orders)))
    await connector.aclose()
