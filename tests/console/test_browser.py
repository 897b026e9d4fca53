"""Journeys in a real browser (Debian's Chromium through Playwright), on SQLite and
PostgreSQL: log in, logged-out pages redirect, a viewer cannot act, the CSRF token and the
session cookie are checked, the login rate limit, replaying a dead letter."""

from __future__ import annotations

from typing import Any

from channelhub.store.repos.jobs import get_dead_letter
from tests.console.conftest import Hub, log_in


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
