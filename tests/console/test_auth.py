"""The console's gate without a browser: sessions, CSRF, roles, the login rate limit."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from channelhub.core.roles import Action, Role, allowed
from channelhub.store.repos.console_users import token_hash
from channelhub.store.repos.jobs import get_dead_letter
from channelhub.store.tables.console import ConsoleSession
from tests.console.conftest import PASSWORD, Hub, csrf_of, post_login

Login = Callable[[str], TestClient]


def anonymous(hub: Hub) -> TestClient:
    return TestClient(hub.app, follow_redirects=False)


@pytest.mark.parametrize("path", ["/", "/jobs"])
def test_pages_redirect_to_login_without_a_session(hub: Hub, path: str) -> None:
    response = anonymous(hub).get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    htmx = anonymous(hub).get(path, headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert htmx.headers["HX-Redirect"] == "/login"


def test_an_action_without_a_session_is_401(hub: Hub) -> None:
    response = anonymous(hub).post(f"/jobs/deadletters/{hub.dead_letter_id}/replay")
    assert response.status_code == 401


def test_login_sets_a_safe_cookie_and_stores_only_its_hash(hub: Hub) -> None:
    response = post_login(anonymous(hub), "owner")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = response.cookies["channelhub_session"]
    with hub.session_factory() as session:
        stored = session.get(ConsoleSession, token_hash(token))
        assert stored is not None
        assert session.get(ConsoleSession, token) is None


def test_a_wrong_password_is_refused(hub: Hub) -> None:
    response = post_login(anonymous(hub), "owner", "nope")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.text
    assert "channelhub_session" not in response.cookies


def test_a_forged_session_cookie_is_refused(hub: Hub) -> None:
    client = anonymous(hub)
    client.cookies.set("channelhub_session", "forged-token")
    assert client.get("/").status_code == 303
    response = client.post(
        f"/jobs/deadletters/{hub.dead_letter_id}/replay", headers={"X-CSRF-Token": "x"}
    )
    assert response.status_code == 401


def test_an_expired_session_is_refused(hub: Hub, login: Login) -> None:
    client = login("owner")
    assert client.get("/").status_code == 200
    hub.clock.advance(hours=13)
    assert client.get("/").status_code == 303


def test_a_post_without_the_csrf_token_is_refused(hub: Hub, login: Login) -> None:
    client = login("operator")
    url = f"/jobs/deadletters/{hub.dead_letter_id}/replay"
    assert client.post(url).status_code == 403
    assert client.post(url, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "open"


def test_a_viewer_cannot_replay(hub: Hub, login: Login) -> None:
    client = login("viewer")
    page = client.get("/jobs")
    assert page.status_code == 200
    assert "Engine: embedded" in page.text  # the engine's state is read for every viewer
    assert "Replay</button>" not in page.text
    response = client.post(
        f"/jobs/deadletters/{hub.dead_letter_id}/replay",
        headers={"X-CSRF-Token": csrf_of(client)},
    )
    assert response.status_code == 403
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "open"


def test_an_operator_replays_a_dead_letter(hub: Hub, login: Login) -> None:
    client = login("operator")
    assert "Replay</button>" in client.get("/jobs").text
    response = client.post(
        f"/jobs/deadletters/{hub.dead_letter_id}/replay",
        headers={"X-CSRF-Token": csrf_of(client), "HX-Request": "true"},
    )
    assert response.status_code == 200
    assert f"dead letter {hub.dead_letter_id}:" in response.text
    with hub.session_factory() as session:
        assert get_dead_letter(session, hub.dead_letter_id).state == "resolved"


def test_logout_ends_the_session(hub: Hub, login: Login) -> None:
    client = login("viewer")
    token = client.cookies["channelhub_session"]
    response = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303
    again = anonymous(hub)
    again.cookies.set("channelhub_session", token)
    assert again.get("/").status_code == 303


def test_login_is_rate_limited_per_user_and_per_address(hub: Hub) -> None:
    client = anonymous(hub)
    for _ in range(5):
        post_login(client, "owner", "wrong")
    blocked = post_login(client, "owner", PASSWORD)
    assert blocked.status_code == 429
    hub.clock.advance(minutes=16)
    assert post_login(client, "owner", PASSWORD).status_code == 303
    client.cookies.clear()  # logged out again
    for name in ("a", "b", "c", "d", "e"):  # five names, one address
        post_login(client, name, "wrong")
    assert post_login(client, "viewer", PASSWORD).status_code == 429


def test_home_shows_the_open_exceptions_on_every_page(login: Login) -> None:
    client = login("viewer")
    for path in ("/", "/jobs"):
        assert "1 open exceptions" in client.get(path).text
    home = client.get("/").text
    assert "fake-shop" in home or "accounts" in home.lower()


def test_jobs_run_log_filters_and_pages(login: Login) -> None:
    client = login("viewer")
    failed = client.get("/jobs?outcome=failed", headers={"HX-Request": "true", "HX-Target": "runs"})
    assert failed.status_code == 200
    assert failed.text.lstrip().startswith('<div id="runs">')
    assert "outcome-failed" in failed.text
    ok = client.get("/jobs?outcome=ok").text
    assert "outcome-failed" not in ok


@pytest.mark.parametrize(
    ("role", "action", "expected"),
    [
        (Role.OWNER, Action.USERS, True),
        (Role.OPERATOR, Action.USERS, False),
        (Role.OPERATOR, Action.REPLAY_DEAD_LETTER, True),
        (Role.VIEWER, Action.REPLAY_DEAD_LETTER, False),
        (Role.VIEWER, Action.VIEW, True),
        ("admin", Action.VIEW, False),
    ],
)
def test_roles(role: Role | str, action: Action, expected: bool) -> None:
    assert allowed(role, action) is expected


def test_run_says_where_the_console_is_and_how_to_expose_it() -> None:
    from channelhub.cli.run import console_lines

    local = console_lines("127.0.0.1", 8080)
    assert local[0].startswith("console: http://127.0.0.1:8080/")
    assert "TLS proxy" in local[1] and "--host" in local[1]
    assert console_lines("0.0.0.0", 80) == [
        "console: http://0.0.0.0:80/ (log in as a user of `channelhub users add`)"
    ]


def test_secure_cookies_behind_tls(hub: Hub) -> None:
    from channelhub.api.app import create_app
    from channelhub.api.console import ConsoleConfig

    app = create_app(
        session_factory=hub.session_factory,
        connector_factory=lambda row: hub.channel,
        now=hub.clock,
        console=ConsoleConfig(secure_cookies=True),
    )
    client = TestClient(app, base_url="https://hub.test", follow_redirects=False)
    response = post_login(client, "owner", PASSWORD)
    assert "Secure" in response.headers["set-cookie"]


def test_a_login_post_without_the_form_token_is_refused(hub: Hub) -> None:
    client = anonymous(hub)
    response = client.post("/login", data={"username": "owner", "password": PASSWORD})
    assert response.status_code == 403
    assert "channelhub_session" not in response.cookies


def test_pages_forbid_framing_and_inline_scripts(hub: Hub, login: Login) -> None:
    for response in (anonymous(hub).get("/login"), login("viewer").get("/jobs")):
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" not in anonymous(hub).get("/health").headers
