"""The Shopify simulator answers like the Admin API: auth, validation, cost, pages, mutations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from channelhub.mappings import shopify as m
from channelhub.simulators.shopify import WebhookSender, create_app, render_rest_order
from channelhub.simulators.shopify.app import ShopSimulator

TOKEN = "shpat_simulator"
SINCE = datetime(2025, 1, 1, tzinfo=UTC)


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _shop(**knobs: Any) -> ShopSimulator:
    shop: ShopSimulator = create_app(**knobs).shop  # type: ignore[attr-defined]
    return shop


def _ask(shop: ShopSimulator, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = shop.handle("2025-01", TOKEN, body)
    assert status == 200
    return answer  # type: ignore[no-any-return]


@pytest.mark.anyio
async def test_http_endpoint_auth_and_version() -> None:
    app = create_app(seed=3, orders=5)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://sim.myshopify.com") as c:
        body = m.locations_request()
        url = "/admin/api/2025-01/graphql.json"
        denied = await c.post(url, json=body, headers={"X-Shopify-Access-Token": "wrong"})
        assert denied.status_code == 401 and "Invalid API key" in denied.json()["errors"]
        wrong_version = await c.post(
            "/admin/api/2019-04/graphql.json", json=body, headers={"X-Shopify-Access-Token": TOKEN}
        )
        assert wrong_version.status_code == 404
        ok = await c.post(url, json=body, headers={"X-Shopify-Access-Token": TOKEN})
        assert ok.status_code == 200 and len(m.normalize_locations(ok.json())) == 2
        assert ok.json()["extensions"]["cost"]["throttleStatus"]["restoreRate"] == 100.0


def test_invalid_documents_are_refused_with_schema_errors() -> None:
    shop = _shop(orders=3)
    answer = _ask(shop, {"query": "{ orders(first: 1) { nodes { id totalPriceCents } } }"})
    assert "data" not in answer and "totalPriceCents" in answer["errors"][0]["message"]
    assert shop.journal[-1].outcome == "invalid"
    bad_variables = _ask(shop, {"query": m.queries.ORDER_QUERY, "variables": {"id": 5.5}})
    assert bad_variables["errors"]


def test_pages_cover_every_order_once_and_respect_the_window() -> None:
    shop = _shop(seed=1, orders=23)
    seen: list[str] = []
    after = None
    while True:
        answer = _ask(shop, m.orders_request(updated_since=SINCE, after=after))
        seen += [o.external_id for o in m.normalize_orders(answer, account="a")]
        more, after = m.page_info(answer["data"]["orders"], "orders")
        if not more:
            break
    assert sorted(seen) == sorted(shop.data.orders) and len(seen) == len(set(seen))
    latest = max(o["updatedAt"] for o in shop.data.orders.values())
    since = datetime.fromisoformat(latest.replace("Z", "+00:00"))
    answer = _ask(shop, m.orders_request(updated_since=since))
    assert [o.updated_at for o in m.normalize_orders(answer, account="a")] == [since]


def test_cost_is_charged_and_an_empty_bucket_answers_throttled() -> None:
    clock = FakeClock()
    shop = _shop(orders=10, bucket_size=1000, restore_rate=50, clock=clock)
    first = _ask(shop, m.orders_request(updated_since=SINCE))
    cost = m.query_cost(first)
    assert cost is not None and cost.requested == 983 and cost.actual is not None  # 20 orders
    assert cost.throttle is not None and cost.throttle.currently_available == 1000 - cost.actual
    shop.bucket.drain()
    throttled = _ask(shop, m.orders_request(updated_since=SINCE))
    assert m.is_throttled(throttled) and "data" not in throttled
    assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
    wait = m.refill_wait(m.query_cost(throttled))  # type: ignore[arg-type]
    clock.t += wait
    assert not m.is_throttled(_ask(shop, m.orders_request(updated_since=SINCE)))
    too_big = _ask(shop, m.orders_request(updated_since=SINCE, first=50))
    assert too_big["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"


def test_inventory_set_quantities_is_compare_and_set_and_atomic() -> None:
    shop = _shop(seed=2, orders=1)
    (item, location), current = next(iter(shop.data.levels.items()))
    (other, other_loc), other_current = list(shop.data.levels.items())[1]
    good = m.QuantityChange(item, location, current + 5, current)
    stale = m.QuantityChange(other, other_loc, 1, other_current + 1)
    answer = _ask(shop, m.inventory_set_quantities_request([good, stale]))
    results = m.inventory_set_results([good, stale], answer)
    assert [r.status for r in results] == ["not_applied", "stale"]
    assert results[1].code == "COMPARE_QUANTITY_STALE"
    assert shop.data.levels[(item, location)] == current  # nothing applied
    answer = _ask(shop, m.inventory_set_quantities_request([good]))
    assert [r.status for r in m.inventory_set_results([good], answer)] == ["accepted"]
    assert shop.data.levels[(item, location)] == current + 5
    levels = m.inventory_levels(_ask(shop, m.inventory_levels_request([item])))
    assert levels[(item, location)] == current + 5
    unknown = m.QuantityChange("1", location, 1, 0)
    answer = _ask(shop, m.inventory_set_quantities_request([unknown]))
    assert m.inventory_set_results([unknown], answer)[0].code == "INVALID_INVENTORY_ITEM"


def test_partial_fulfilment_over_two_packages() -> None:
    shop = _shop(seed=4, orders=30)
    order_id = next(
        k
        for k, o in shop.data.orders.items()
        if o["displayFulfillmentStatus"] == "UNFULFILLED"
        and not o["cancelledAt"]
        and sum(ln["currentQuantity"] for ln in o["lineItems"]) >= 2
    )
    (order,) = m.normalize_orders(_ask(shop, m.order_request(order_id)), account="a")
    lines = {order.lines[0].line_id: 1}
    fos = m.parse_fulfillment_orders(_ask(shop, m.fulfillment_state_request(order_id)))
    plan = m.plan_fulfillment(fos, lines)
    body = m.fulfillment_create_request(
        plan, company="DHL Express", number="JD0001", url="https://dhl.example/JD0001"
    )
    created, errors = m.parse_fulfillment_create(_ask(shop, body))
    assert errors == [] and created is not None
    assert created.tracking[0].number == "JD0001" and created.lines == (next(iter(lines.items())),)
    assert shop.data.orders[order_id]["displayFulfillmentStatus"] == "PARTIALLY_FULFILLED"
    # the second package takes what remains, the order is then fulfilled
    rest = m.parse_fulfillment_orders(_ask(shop, m.fulfillment_state_request(order_id)))
    remaining = {ln.order_line_id: ln.remaining_quantity for fo in rest for ln in fo.lines}
    second = m.fulfillment_create_request(
        m.plan_fulfillment(rest, remaining), company="DHL Express", number="JD0002"
    )
    assert m.parse_fulfillment_create(_ask(shop, second))[1] == []
    assert shop.data.orders[order_id]["displayFulfillmentStatus"] == "FULFILLED"
    read_back = m.parse_order_fulfillments(_ask(shop, m.order_fulfillments_request(order_id)))
    assert [f.tracking[0].number for f in read_back] == ["JD0001", "JD0002"]
    # fulfilling beyond what remains is a user error, not a silent success
    again = _ask(shop, body)
    assert m.parse_fulfillment_create(again)[0] is None and m.parse_fulfillment_create(again)[1]


def test_webhook_rest_body_maps_to_the_same_order_as_graphql() -> None:
    shop = _shop(seed=5, orders=40, bucket_size=1e9)
    answer = _ask(shop, m.orders_request(updated_since=SINCE, first=5))
    for order in m.normalize_orders(answer, account="a"):
        rest = render_rest_order(shop.data.orders[order.external_id])
        assert m.normalize_orders({"order": rest}, account="a") == [order]
    # and across every seeded story (cancelled, refunded, edited, fulfilled, COD)
    for order_id, node in shop.data.orders.items():
        graph = _ask(shop, m.order_request(order_id))
        assert m.normalize_orders(graph, account="a") == m.normalize_orders(
            render_rest_order(node), account="a"
        )


def test_seed_covers_currencies_cod_cancellations_refunds_and_edits() -> None:
    shop = _shop(seed=0, orders=60, bucket_size=1e9)
    orders = [
        m.normalize_orders(_ask(shop, m.order_request(i)), account="a")[0] for i in shop.data.orders
    ]
    assert {o.currency for o in orders} >= {"USD", "EUR", "GBP", "SAR", "AED", "JPY"}
    assert any(o.payment.cash_on_delivery for o in orders)
    assert any(o.channel_state.value == "cancelled" for o in orders)
    assert any(o.totals.refunded is not None for o in orders)
    assert any(node["edited"] for node in shop.data.orders.values())
    assert any(len(o.lines) > 1 for o in orders)
    assert all(int(o.external_id) > 2**53 for o in orders)


def test_webhook_sender_signs_and_duplicates() -> None:
    shop = _shop(seed=6, orders=3)
    sender = WebhookSender(shop.data, "secret", duplicate_rate=1.0)
    order_id = next(iter(shop.data.orders))
    first, second = sender.deliveries("orders/updated", order_id)
    assert first.webhook_id == second.webhook_id
    assert m.verify_webhook_hmac(first.body, first.headers["X-Shopify-Hmac-Sha256"], "secret")
    assert str(order_id) in first.body.decode()
