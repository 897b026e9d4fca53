"""Shopify bulk operations: the simulator's rules and file, the connector's run / poll /
stream / resume, against the simulator in process on one fake clock."""

from __future__ import annotations

import hmac
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from graphql import parse

from channelhub.connectors.errors import ConnectorError
from channelhub.core.models import Order
from channelhub.mappings.shopify import bulk as b
from channelhub.mappings.shopify.queries import LINES_READ_WITH_ORDER
from channelhub.mappings.shopify.webhooks import sign_webhook
from channelhub.simulators.shopify.bulk import bulk_problems
from channelhub.simulators.shopify.schema import load_admin_schema
from tests.shopify.conftest import SECRET, TOKEN, assert_requests_valid

pytestmark = pytest.mark.anyio
BULK = {"bulk_after_days": 7, "bulk_page_orders": 10}
SINCE = datetime(2000, 1, 1, tzinfo=UTC)


async def _pull(connector: Any, cursor: str | None = None) -> tuple[list[Order], list[str]]:
    orders: list[Order] = []
    cursors: list[str] = []
    async for page in connector.pull_orders(cursor, since=None if cursor else SINCE):
        assert not page.failures, page.failures
        orders += page.items
        cursors.append(page.cursor)
    return orders, cursors


def _requests(rig: Any) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in rig.sim.journal.entries]


# --- the simulator ----------------------------------------------------------------------


def test_the_connectors_bulk_query_passes_shopifys_bulk_rules() -> None:
    schema = load_admin_schema()
    query = b.bulk_orders_query(SINCE, datetime(2026, 1, 1, tzinfo=UTC))
    assert bulk_problems(schema, parse(query)) == []
    assert "first:" not in query  # whole connections, lines included


@pytest.mark.parametrize(
    ("query", "why"),
    [
        ("{ shop { name } }", "at least one connection"),
        ('{ node(id: "gid://shopify/Order/1") { id } }', "node"),
        ("{ orders { edges { node { id } } } shop { name } }", "exactly one top-level"),
        (
            "{ orders { edges { node { id fulfillmentOrders { edges { node { id "
            "lineItems { edges { node { id } } } } } } } } } }",
            "nested more than 2",
        ),
        ("{ orders { edges { node { lineItems { edges { node { id } } } } } } }", "`id`"),
        ("{ orders { edges { node { nope } } } }", "nope"),
    ],
)
async def test_simulator_refuses_what_shopify_refuses(make_rig: Any, query: str, why: str) -> None:
    rig = make_rig(orders=3)
    status, answer = rig.shop.handle("2025-01", TOKEN, b.bulk_run_request(query))
    assert status == 200
    errors = answer["data"]["bulkOperationRunQuery"]["userErrors"]
    assert errors and errors[0]["code"] == "INVALID" and why in errors[0]["message"]
    assert rig.shop.bulk.operations == {}


async def test_one_bulk_query_at_a_time_and_state_follows_the_clock(make_rig: Any) -> None:
    rig = make_rig(orders=12, bulk_seconds=60)
    query = b.bulk_orders_query(SINCE, None)
    _, first = rig.shop.handle("2025-01", TOKEN, b.bulk_run_request(query))
    started = b.bulk_run_result(first)
    assert started.status == "CREATED" and started.url is None
    _, polled = rig.shop.handle("2025-01", TOKEN, b.current_bulk_request())
    running = b.current_bulk_operation(polled)
    assert running is not None and (running.id, running.status) == (started.id, "RUNNING")
    assert running.url is None and running.object_count > 0  # objects counted as it runs
    _, second = rig.shop.handle("2025-01", TOKEN, b.bulk_run_request(query))
    with pytest.raises(b.BulkRefused) as refused:
        b.bulk_run_result(second)
    assert refused.value.code == "OPERATION_IN_PROGRESS"
    rig.time.t += 60
    _, polled = rig.shop.handle("2025-01", TOKEN, b.current_bulk_request())
    done = b.current_bulk_operation(polled)
    assert done is not None and done.id == started.id and done.status == "COMPLETED"
    assert done.root_object_count == 12 and done.object_count > 12  # orders and their lines
    rig.time.t += 8 * 86400
    _, later = rig.shop.handle("2025-01", TOKEN, b.bulk_operation_request(started.id))
    expired = b.bulk_operation_node(later)
    assert expired is not None and expired.status == "EXPIRED" and expired.url is None


async def test_file_is_jsonl_at_an_absolute_url_with_parent_ids(make_rig: Any) -> None:
    rig = make_rig(orders=8)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rig.sim), base_url="https://shop.example"
    ) as client:
        body = b.bulk_run_request(b.bulk_orders_query(SINCE, None))
        answer = await client.post(
            "/admin/api/2025-01/graphql.json", json=body, headers={"X-Shopify-Access-Token": TOKEN}
        )
        assert answer.json()["data"]["bulkOperationRunQuery"]["bulkOperation"]["url"] is None
        polled = await client.post(
            "/admin/api/2025-01/graphql.json",
            json=b.current_bulk_request(),
            headers={"X-Shopify-Access-Token": TOKEN},
        )
        url = polled.json()["data"]["currentBulkOperation"]["url"]
        assert url.startswith("https://shop.example/storage/bulk/")  # absolute, as served
        rows = [json.loads(line) for line in (await client.get(url)).text.splitlines()]
    orders = [r for r in rows if "__parentId" not in r]
    lines = [r for r in rows if "__parentId" in r]
    assert len(orders) == 8 and lines
    order_ids = {o["id"] for o in orders}
    assert {line["__parentId"] for line in lines} <= order_ids
    assert all("lineItems" not in o for o in orders)  # nested connections are rows of their own


async def test_finish_webhook_goes_to_subscribers(make_rig: Any) -> None:
    received: list[httpx.Request] = []

    def hub(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    rig = make_rig(
        orders=4, bulk_seconds=30, webhook_secret=SECRET, webhook_transport=httpx.MockTransport(hub)
    )
    rig.shop.webhooks.subscriptions.append(
        {"topic": "BULK_OPERATIONS_FINISH", "callbackUrl": "https://hub.example/webhooks/s"}
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=rig.sim), base_url="https://shop.example"
    ) as client:
        await client.post(
            "/admin/api/2025-01/graphql.json",
            json=b.bulk_run_request(b.bulk_orders_query(SINCE, None)),
            headers={"X-Shopify-Access-Token": TOKEN},
        )
        assert received == []  # still running
        rig.time.t += 30
        assert (await client.post("/_sim/bulk/tick")).json()["finished"]
        await client.post("/_sim/bulk/tick")  # announced once
    (delivery,) = received
    assert delivery.headers["X-Shopify-Topic"] == "bulk_operations/finish"
    signature = sign_webhook(delivery.content, SECRET)
    assert hmac.compare_digest(delivery.headers["X-Shopify-Hmac-Sha256"], signature)
    payload = json.loads(delivery.content)
    assert payload["status"] == "completed" and payload["admin_graphql_api_id"].startswith(
        "gid://shopify/BulkOperation/"
    )


# --- the connector ----------------------------------------------------------------------


async def test_bulk_import_builds_the_same_orders_as_the_paged_import(make_rig: Any) -> None:
    paged = make_rig(seed=23, orders=80)
    bulk = make_rig(seed=23, orders=80, settings=BULK)
    for rig in (paged, bulk):  # two orders with more lines than a page reads with an order
        for order_id in list(rig.shop.data.orders)[:2]:
            order = rig.shop.data.orders[order_id]
            template = order["lineItems"][0]
            order["lineItems"] = [
                {**template, "id": f"gid://shopify/LineItem/{n}{order_id}", "sku": f"S{n}"}
                for n in range(7)
            ]
    by_pages, _ = await _pull(paged.connector)
    by_bulk, cursors = await _pull(bulk.connector)
    assert Counter(o.external_id for o in by_bulk) == Counter(list(bulk.shop.data.orders))
    assert sorted(by_bulk, key=lambda o: o.external_id) == sorted(
        by_pages, key=lambda o: o.external_id
    )
    assert any(len(o.lines) > LINES_READ_WITH_ORDER for o in by_bulk)  # every line, one read
    assert len(cursors) == 9  # pages of 10 orders, then the (empty) last one
    assert bulk.shop.calls("orders") == 0
    assert_requests_valid(bulk)
    for rig in (paged, bulk):
        await rig.connector.aclose()


@pytest.mark.parametrize("orders", [20, 400])
async def test_requests_do_not_grow_with_the_orders(make_rig: Any, orders: int) -> None:
    rig = make_rig(seed=3, orders=orders, bulk_seconds=90, settings=BULK)
    found, _ = await _pull(rig.connector)
    assert len(found) == orders
    requests = _requests(rig)
    # run, polls on the injected clock (immediately, then 1, 2, 4, ... s), one download
    assert len(requests) <= 10
    assert requests[-1][0] == "GET" and requests.count(requests[-1]) == 1
    assert rig.time.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]  # same for any N
    await rig.connector.aclose()


async def test_an_operation_done_at_once_takes_three_requests(make_rig: Any) -> None:
    rig = make_rig(seed=3, orders=50, settings=BULK)
    found, _ = await _pull(rig.connector)
    assert len(found) == 50
    assert len(_requests(rig)) == 3 and rig.time.sleeps == []
    await rig.connector.aclose()


async def test_resumed_half_read_file_hands_each_order_on_once(make_rig: Any) -> None:
    rig = make_rig(seed=9, orders=45, settings=BULK)
    handed: list[str] = []
    pages = rig.connector.pull_orders(None, since=SINCE)
    for _ in range(2):  # two pages committed, then the process dies mid-file
        page = await anext(pages)
        handed += [o.external_id for o in page.items]
        committed = page.cursor
    await pages.aclose()
    rest, _ = await _pull(rig.connector, committed)
    handed += [o.external_id for o in rest]
    assert Counter(handed) == Counter({k: 1 for k in rig.shop.data.orders})
    runs = rig.shop.calls("bulkOperationRunQuery")
    assert runs == 1  # the resumed run downloaded the same operation's file again
    await rig.connector.aclose()


async def test_resumed_after_the_file_expired_starts_a_new_operation(make_rig: Any) -> None:
    rig = make_rig(seed=9, orders=25, settings=BULK)
    pages = rig.connector.pull_orders(None, since=SINCE)
    page = await anext(pages)
    first = {o.external_id for o in page.items}
    await pages.aclose()
    rig.time.t += 8 * 86400  # a week later the file is gone
    rest, _ = await _pull(rig.connector, page.cursor)
    assert first | {o.external_id for o in rest} == set(rig.shop.data.orders)
    assert rig.shop.calls("bulkOperationRunQuery") == 2
    await rig.connector.aclose()


async def test_a_failed_operation_is_a_clear_error(make_rig: Any) -> None:
    rig = make_rig(seed=2, orders=15, settings=BULK)
    rig.shop.bulk.fail_next.append("failed")
    with pytest.raises(ConnectorError, match="FAILED \\(INTERNAL_SERVER_ERROR\\)"):
        await _pull(rig.connector)
    await rig.connector.aclose()


async def test_a_short_window_stays_paged(make_rig: Any) -> None:
    rig = make_rig(seed=2, orders=15, settings=BULK)
    since = rig.time.now() - timedelta(days=2)
    async for _page in rig.connector.pull_orders(None, since=since):
        pass
    assert rig.shop.calls("bulkOperationRunQuery") == 0 and rig.shop.calls("orders") >= 1
    await rig.connector.aclose()


async def test_a_bad_bulk_setting_is_one_clear_error(make_rig: Any) -> None:
    from channelhub.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="bulk_after_days"):
        make_rig(orders=1, settings={"bulk_after_days": "soon"})
    with pytest.raises(InvalidInput, match="bulk_after_days"):
        make_rig(orders=1, settings={"bulk_after_days": -3})


def test_bulk_is_on_for_a_week_by_default_and_0_turns_it_off() -> None:
    from channelhub.connectors.shopify.bulk import BulkSettings

    assert BulkSettings.of("shop", {}).after_days == 7
    for off in (0, 0.0, "0", "off"):
        assert BulkSettings.of("shop", {"bulk_after_days": off}).after_days is None
    assert BulkSettings.of("shop", {"bulk_after_days": 30}).after_days == 30
