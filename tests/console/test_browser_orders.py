"""Orders, Pairing and Exceptions journeys in a real browser (Debian's Chromium through
Playwright), on SQLite and PostgreSQL: bind an unpaired listing and see its waiting order
move; hold and release an order; retry a failed dispatch from the inbox; a viewer sees no
action button and is refused when posting. Screenshots for the docs on demand."""

from __future__ import annotations

import os
from typing import Any

import pytest

from channelhub.jobs.orders.actions import parse_order_key
from channelhub.store.repos.orders import get_order_row
from channelhub.store.tables.outbox import OutboxMessage
from tests.console.conftest import Hub, log_in, screenshot
from tests.console.orderflow import Seeded, seed_orders


@pytest.fixture
def seeded(hub: Hub) -> Seeded:
    return seed_orders(hub.session_factory, hub.clock())


def status_of(hub: Hub, key: str) -> str:
    with hub.session_factory() as session:
        return get_order_row(session, parse_order_key(key)).hub_status


def test_bind_an_unpaired_listing_and_see_its_waiting_order_move(
    page: Any, live_url: str, hub: Hub, seeded: Seeded
) -> None:
    log_in(page, live_url, "operator")
    page.click("nav >> text=Pairing")
    row = page.locator(f'tr[data-listing="{seeded.listing}"]')
    row.locator("a").first.click()  # the listing: its waiting orders
    assert seeded.unpaired in page.locator("#waiting").inner_text()
    assert "awaiting_pairing" in page.locator("#waiting").inner_text()
    page.select_option("select[name=sku]", "MUG-BLK")
    page.fill("input[name=multiplier]", "2")
    page.click("button:has-text('Bind')")
    notice = page.locator(".notice").inner_text()
    assert f"{seeded.unpaired} is now allocated" in notice
    assert "None waiting." in page.locator("#waiting").inner_text()
    page.click("text=‹ Pairing queue")
    assert page.locator(f'tr[data-listing="{seeded.listing}"]').count() == 0
    page.goto(f"{live_url}/orders?status=allocated")
    assert page.locator(f'tr[data-key="{seeded.unpaired}"]').count() == 1
    assert status_of(hub, seeded.unpaired) == "allocated"


def test_hold_and_release_an_order(page: Any, live_url: str, hub: Hub, seeded: Seeded) -> None:
    log_in(page, live_url, "operator")
    page.goto(f"{live_url}/orders")
    page.click(f'tr[data-key="{seeded.allocated}"] a >> nth=0')
    page.fill("input[name=reason]", "buyer phoned: wrong colour")
    page.click("button:has-text('Hold')")
    assert page.locator("#hub-status").inner_text() == "on_hold"
    assert "held by operator: buyer phoned: wrong colour" in page.locator("#timeline").inner_text()
    page.click("button:has-text('Release')")
    assert "released by operator" in page.locator(".notice").inner_text()
    assert page.locator("#hub-status").inner_text() == "allocated"
    assert status_of(hub, seeded.allocated) == "allocated"


def test_cancel_asks_first(page: Any, live_url: str, hub: Hub, seeded: Seeded) -> None:
    log_in(page, live_url, "operator")
    page.goto(f"{live_url}/orders/{seeded.allocated}")
    page.click("text=Cancel…")
    assert "cancelled before they leave" in page.locator("#what-happens").inner_text()
    page.click("text=No, go back")
    assert status_of(hub, seeded.allocated) == "allocated"
    page.click("text=Cancel…")
    page.fill("input[name=reason]", "out of stock at the supplier")
    page.click("button:has-text('Yes, cancel it')")
    assert page.locator("#hub-status").inner_text() == "cancelled"


def test_retry_a_failed_dispatch_from_the_inbox(
    page: Any, live_url: str, hub: Hub, seeded: Seeded
) -> None:
    log_in(page, live_url, "operator")
    page.click("#open-exceptions")
    assert page.url == f"{live_url}/exceptions"
    page.click("#count-failed_dispatch")
    row = page.locator(f'tr[data-id="{seeded.refused_message}"]')
    assert "HTTP 422" in row.inner_text()
    row.locator("button:has-text('Retry')").click()
    assert "is queued again" in page.locator(".notice").inner_text()
    assert page.locator(f'tr[data-id="{seeded.refused_message}"]').count() == 0
    with hub.session_factory() as session:
        assert session.get_one(OutboxMessage, seeded.refused_message).state == "pending"


def test_a_viewer_sees_no_action_and_is_refused(
    page: Any, live_url: str, hub: Hub, seeded: Seeded
) -> None:
    log_in(page, live_url, "viewer")
    page.goto(f"{live_url}/orders/{seeded.held}")
    assert page.locator("#actions").count() == 0
    page.goto(f"{live_url}/pairing")
    assert page.locator("button").filter(has_text="Bind").count() == 0
    page.goto(f"{live_url}/exceptions")
    assert page.locator("button").filter(has_text="Retry").count() == 0
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    for path in (
        f"/orders/{seeded.held}/release",
        f"/exceptions/outbox/{seeded.refused_message}/retry",
    ):
        response = page.request.post(f"{live_url}{path}", headers={"X-CSRF-Token": token})
        assert response.status == 403
    assert status_of(hub, seeded.held) == "on_hold"


@pytest.mark.skipif(
    not os.environ.get("CHANNELHUB_SCREENSHOTS"), reason="set CHANNELHUB_SCREENSHOTS=1"
)
def test_screenshots_of_orders_pairing_exceptions(
    page: Any, live_url: str, engine: Any, hub: Hub
) -> None:
    """Refresh docs/screenshots/ (run on demand, on SQLite only)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one set of screenshots is enough")
    seeded = seed_orders(hub.session_factory, hub.clock(), extra=12)
    log_in(page, live_url, "operator")
    for path, name in (
        ("/orders", "console-orders"),
        (f"/orders/{seeded.refused}", "console-order"),
        ("/orders/fakeshop:shop1:1005", "console-order-shipped"),
        (f"/orders/{seeded.allocated}/cancel", "console-order-cancel"),
        ("/pairing", "console-pairing"),
        (f"/pairing/listing?listing={seeded.listing}", "console-pairing-listing"),
        ("/exceptions", "console-exceptions"),
    ):
        page.goto(f"{live_url}{path}")
        assert screenshot(page, name).stat().st_size > 0
