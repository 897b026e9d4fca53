"""Journeys in a real browser (Debian's Chromium through Playwright), on SQLite and
PostgreSQL: log in, logged-out pages redirect, a viewer cannot act, the CSRF token and the
session cookie are checked, the login rate limit, replaying a dead letter."""

from __future__ import annotations

import os
from typing import Any

import pytest

from channelhub.store.repos.jobs import get_dead_letter
from tests.console.conftest import Hub, log_in, screenshot


def test_log_in_and_see_home(page: Any, live_url: str) -> None:
    log_in(page, live_url, "owner")
    assert page.url == f"{live_url}/"
    assert page.locator("h1").inner_text() == "Is everything flowing?"
    assert page.locator("#open-exceptions").inner_text() == "1 open exceptions"


def test_logged_out_pages_redirect_to_login(page: Any, live_url: str) -> None:
    page.goto(f"{live_url}/jobs")
    assert page.url == f"{live_url}/login"
    log_in(page, live_url, "viewer")
    page.click("text=Log out")
    page.goto(f"{live_url}/")
    assert page.url == f"{live_url}/login"


def test_a_wrong_password_then_the_rate_limit(page: Any, live_url: str) -> None:
    for _ in range(5):
        log_in(page, live_url, "owner", password="wrong password")
        assert "Wrong user name or password" in page.locator(".error").inner_text()
    log_in(page, live_url, "owner")
    assert "Too many failed logins" in page.locator(".error").inner_text()


def test_a_viewer_has_no_replay_button_and_is_refused(page: Any, live_url: str, hub: Hub) -> None:
    log_in(page, live_url, "viewer")
    page.goto(f"{live_url}/jobs")
    assert page.locator(f"#deadletter-{hub.dead_letter_id}").count() == 1
    assert page.locator("button", has_text="Replay").count() == 0
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = page.request.post(
        f"{live_url}/jobs/deadletters/{hub.dead_letter_id}/replay",
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 403


def test_a_post_without_csrf_token_is_refused(page: Any, live_url: str, hub: Hub) -> None:
    log_in(page, live_url, "operator")
    response = page.request.post(f"{live_url}/jobs/deadletters/{hub.dead_letter_id}/replay")
    assert response.status == 403
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "open"


def test_a_forged_session_cookie_is_refused(page: Any, live_url: str) -> None:
    page.context.add_cookies([{"name": "channelhub_session", "value": "forged", "url": live_url}])
    page.goto(f"{live_url}/")
    assert page.url == f"{live_url}/login"


def test_an_operator_replays_a_dead_letter_from_the_jobs_page(
    page: Any, live_url: str, hub: Hub
) -> None:
    log_in(page, live_url, "operator")
    page.goto(f"{live_url}/jobs")
    page.click(f"#deadletter-{hub.dead_letter_id} button")
    page.locator(".notice").wait_for()
    assert f"dead letter {hub.dead_letter_id}:" in page.locator(".notice").inner_text()
    assert page.locator(f"#deadletter-{hub.dead_letter_id}").count() == 0
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "resolved"


def test_the_run_log_filter_swaps_only_the_list(page: Any, live_url: str) -> None:
    log_in(page, live_url, "viewer")
    page.goto(f"{live_url}/jobs")
    page.evaluate("document.querySelector('h1').dataset.kept = 'yes'")  # gone on a reload
    page.select_option("select[name=outcome]", "ok")
    page.click("form.filters button")
    page.wait_for_url(f"{live_url}/jobs?*outcome=ok*")
    assert page.locator("#runs").inner_text().startswith("No runs match.")
    assert page.locator("h1").get_attribute("data-kept") == "yes"  # htmx swapped #runs only


def test_pages_fit_a_phone(browser: Any, live_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    try:
        log_in(phone, live_url, "owner")
        for path in ("/", "/jobs"):
            phone.goto(f"{live_url}{path}")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{path} is {width} px wide on a 390 px phone"
    finally:
        context.close()


@pytest.mark.skipif(
    not os.environ.get("CHANNELHUB_SCREENSHOTS"), reason="set CHANNELHUB_SCREENSHOTS=1"
)
def test_screenshots_for_the_docs(page: Any, live_url: str, engine: Any) -> None:
    """Refresh docs/screenshots/ (run on demand, on SQLite only)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("one set of screenshots is enough")
    log_in(page, live_url, "owner")
    for path, name in (("/", "console-home"), ("/jobs", "console-jobs")):
        page.goto(f"{live_url}{path}")
        assert screenshot(page, name).stat().st_size > 0
