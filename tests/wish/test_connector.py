"""The Wish connector against its simulator (contract unverified: both follow the same guesses,
the field and path names are checked against the SDK in test_sdk_names)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from channelhub.connectors.errors import ConnectorError
from channelhub.connectors.results import FulfilmentPush
from channelhub.core.models import ChannelOrderState, Package, PackageLine
from tests.wish.harness import NOW, SINCE, make_connector, simulator

pytestmark = pytest.mark.anyio


async def _import_all(connector, cursor=None):  # type: ignore[no-untyped-def]
    seen, last = [], None
    async for page in connector.pull_orders(cursor, since=SINCE):
        assert not page.failures, [f.reason for f in page.failures]
        seen.extend(o.external_id for o in page.items)
        last = page
    return seen, last


async def test_orders_sharing_one_update_time_are_neither_lost_nor_doubled() -> None:
    sim = simulator(order_count=12)
    for order in sim.shop.orders.values():
        order["updated_at"] = "2026-03-10T11:30:00Z"
    connector = make_connector(sim, page_limit=5)
    seen, _ = await _import_all(connector)
    assert Counter(seen) == Counter(list(sim.shop.orders))
    await connector.aclose()


async def test_an_order_refunded_after_the_import_is_read_again_as_cancelled() -> None:
    """The pull lists every state: an order Wish refunds after the hub took it comes back
    with the refund (it was read only while APPROVED, so the hub never saw it cancelled)."""
    sim = simulator(order_count=3)
    connector = make_connector(sim)
    seen, last = await _import_all(connector)
    assert last is not None and len(seen) == 3
    oid = seen[0]
    await connector.aclose()
    sim.shop.orders[oid].update(state="REFUNDED", updated_at="2026-03-10T12:30:00Z")
    connector = make_connector(sim, now=NOW + timedelta(hours=1))  # the next run
    pages = [page async for page in connector.pull_orders(last.cursor)]
    (order,) = [o for page in pages for o in page.items]
    assert (order.external_id, order.channel_status) == (oid, "REFUNDED")
    assert order.channel_state is ChannelOrderState.CANCELLED
    assert order.lines[0].cancelled_quantity == order.lines[0].quantity
    calls = [e for e in sim.journal.entries if e.path == "/api/v3/orders"]
    assert calls and all("states=" not in e.query for e in calls)
    await connector.aclose()


async def test_an_order_in_a_state_the_mapping_does_not_know_is_set_aside() -> None:
    """Listing every state means a state the table does not know may come: that order is set
    aside with its body (never planned as one to ship); the others go through."""
    sim = simulator(order_count=3)
    oid = next(iter(sim.shop.orders))
    sim.shop.orders[oid]["state"] = "ON_HOLD_FOR_SOMETHING_NEW"
    connector = make_connector(sim)
    pages = [page async for page in connector.pull_orders(None, since=SINCE)]
    assert sorted(o.external_id for p in pages for o in p.items) == sorted(
        set(sim.shop.orders) - {oid}
    )
    (failure,) = [f for p in pages for f in p.failures]
    assert failure.raw.external_id == oid and "ON_HOLD_FOR_SOMETHING_NEW" in failure.reason
    assert "REQUIRE_REVIEW" in failure.reason  # the states it knows, named
    await connector.aclose()


async def test_mapping_and_one_tracking_number_per_order() -> None:
    sim = simulator(order_count=3)
    connector = make_connector(sim)
    oid, body = next(iter(sim.shop.orders.items()))
    order = (await connector.get_order(oid)).item
    (line,) = order.lines
    assert line.channel_sku == body["product_information"]["sku"]
    assert line.variation_id == body["product_information"]["variation_id"]
    assert order.channel_state is ChannelOrderState.UNSHIPPED
    # Wish takes one tracking number per order: a second package is refused with the reason
    # (the suite's fulfilment check pushes one and its read-back)
    packages = tuple(
        Package(
            tracking_number=number,
            carrier="yunexpress",
            lines=(PackageLine(sku=line.channel_sku or "", quantity=1, order_line_id=oid),),
        )
        for number in ("YT2400000000001", "YT2400000000002")
    )
    push = FulfilmentPush(order_external_id=oid, packages=packages, shipped_at=NOW)
    shipped, refused = await connector.push_fulfilment(push)
    assert shipped.accepted and not refused.accepted
    assert refused.reason == "Wish takes one tracking number per order"
    (read,) = await connector.get_fulfilments(oid)
    assert (read.tracking_number, read.carrier) == ("YT2400000000001", "YunExpress")
    assert (await connector.get_order(oid)).item.channel_state is ChannelOrderState.SHIPPED
    await connector.aclose()


async def test_listings_per_variation() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim, page_limit=4)
    listings = [x async for page in connector.pull_listings() for x in page.items]
    variations = [v for p in sim.shop.products.values() for v in p["variations"]]
    assert sorted(x.variation_id or "" for x in listings) == sorted(v["id"] for v in variations)
    await connector.aclose()  # stock per product: the suite's quantities_in_batches


async def test_a_revoked_refresh_token_is_a_clear_error() -> None:
    sim = simulator(order_count=1)
    connector = make_connector(sim, refresh_token="revoked")
    with pytest.raises(ConnectorError, match="400"):
        await connector.get_order(next(iter(sim.shop.orders)))
    await connector.aclose()
