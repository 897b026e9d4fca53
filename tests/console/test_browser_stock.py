"""Browser journeys of the Stock, Warehouses, Reconciliation and Accounts screens (Debian's
Chromium through Playwright, SQLite and PostgreSQL): set stock and see the explain page
change; add an account through the form and check it against the Shopify simulator on
loopback; a viewer sees no action button and is refused."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from channelhub.simulators.shopify.app import create_app as shopify_app
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.stock import stock_balances
from tests.console.conftest import Hub, log_in
from tests.console.loopback import serve_on_loopback
from tests.console.stock_seed import MUG_URL, seed_stock
from tests.jobs.fakes import ACCOUNT


@pytest.fixture
def stocked(hub: Hub) -> Hub:
    seed_stock(hub.session_factory)
    return hub


@pytest.fixture
def shopify_url() -> Iterator[str]:
    with serve_on_loopback(shopify_app(orders=3, products=2)) as url:
        yield url


def test_set_stock_and_see_the_explain_page_change(page: Any, live_url: str, stocked: Hub) -> None:
    log_in(page, live_url, "operator")
    page.goto(f"{live_url}/stock")
    page.click(f"text={'fakeshop'}:{ACCOUNT}:A-MUG2")  # the 2-pack: 12 mugs -> 6
    assert page.locator("#sellable").inner_text() == "6"
    page.goto(f"{live_url}{MUG_URL}")
    assert page.locator("#sellable").inner_text() == "12"
    row = page.locator("#balances tr", has_text="US-EAST")
    row.locator("input[name=quantity]").fill("5")
    row.locator("button", has_text="Set").click()
    page.locator(".notice").wait_for()
    assert "US-EAST MUG: on hand 5 (adjusted -7)" in page.locator(".notice").inner_text()
    assert page.locator("#sellable").inner_text() == "5"  # the explain block, computed again
    page.reload()
    assert page.locator("#sellable").inner_text() == "5"
    with stocked.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 5


def test_add_an_account_through_the_form_and_check_it(
    page: Any, live_url: str, hub: Hub, shopify_url: str
) -> None:
    log_in(page, live_url, "owner")
    page.goto(f"{live_url}/accounts")
    page.select_option("select[name=platform]", "shopify")
    page.click("text=Next: its settings")
    page.fill("input[name=name]", "shop-us")
    page.fill("input[name=base_url]", shopify_url)
    page.fill("input[name=credential__access_token]", "shpat_simulator")
    page.click("text=Add the account")
    page.wait_for_url(f"{live_url}/accounts/shop-us?added=1")
    assert "added account shop-us" in page.locator(".notice").inner_text()
    page.click("text=Check shop-us")
    page.locator("#check [role=status]").wait_for()
    assert page.locator("#check [role=status]").inner_text() == "the account works"
    assert "shpat_simulator" not in page.content()
    with hub.session_factory() as session:
        assert get_account(session, "shop-us").base_url == shopify_url


def test_a_viewer_sees_no_action_and_is_refused(page: Any, live_url: str, stocked: Hub) -> None:
    log_in(page, live_url, "viewer")
    for path in ("/stock", MUG_URL, f"/stock/push/{ACCOUNT}", "/warehouses", "/reconcile",
                 "/accounts", f"/accounts/{ACCOUNT}"):  # fmt: skip
        page.goto(f"{live_url}{path}")
        assert page.locator("main [hx-post]").count() == 0, path  # no htmx action
        assert page.locator("main form[method=post]").count() == 0, path  # no form action
        assert page.locator("main form:not([method=get]) button").count() == 0, path
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    for path, form in (
        ("/stock/set", {"warehouse": "US-EAST", "sku": "MUG", "quantity": "0"}),
        (f"/stock/push/{ACCOUNT}", {"confirm": "yes"}),
        ("/warehouses/CN-SZ/remove", {}),
        (f"/reconcile/{ACCOUNT}/repair", {}),
        (f"/accounts/{ACCOUNT}/check", {}),
    ):
        response = page.request.post(
            f"{live_url}{path}", form=form, headers={"X-CSRF-Token": token}
        )
        assert response.status == 403, path
    with stocked.session_factory() as session:
        assert stock_balances(session, skus=["MUG"])[("US-EAST", "MUG")].on_hand == 12


def test_the_new_pages_fit_a_phone(browser: Any, live_url: str, stocked: Hub) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        log_in(phone, live_url, "owner")
        for path in ("/stock", MUG_URL, f"/stock/push/{ACCOUNT}", "/warehouses",
                     "/warehouses/US-EAST", "/reconcile", "/accounts",
                     f"/accounts/{ACCOUNT}"):  # fmt: skip
            phone.goto(f"{live_url}{path}")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    finally:
        context.close()
