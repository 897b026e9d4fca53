"""The Accounts screen (SQLite and PostgreSQL): add an account through the form its platform
declares and check it with the real call against the Shopify simulator on loopback; edit,
switch jobs; secrets never appear in any page; only the owner may act."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from channelhub.simulators.shopify.app import create_app as shopify_app
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import AccountInfo, get_account
from tests.console.conftest import Hub, csrf_of
from tests.console.loopback import serve_on_loopback
from tests.jobs.fakes import ACCOUNT

Login = Callable[[str], TestClient]
TOKEN = "shpat_simulator"  # the simulator's token: a secret no page may show
STORED = "tok-123"  # the seeded account's token


@pytest.fixture
def shopify_url() -> Iterator[str]:
    with serve_on_loopback(shopify_app(orders=3, products=2)) as url:
        yield url


def _add(client: TestClient, url: str, name: str = "shop-us", token: str = TOKEN) -> object:
    form = {
        "platform": "shopify", "name": name, "base_url": url, "credential__access_token": token,
        "csrf_token": csrf_of(client),
    }  # fmt: skip
    return client.post("/accounts", data=form)


def _no_secret(client: TestClient, *urls: str) -> None:
    for url in urls:
        text = client.get(url).text
        assert TOKEN not in text and STORED not in text and "new-secret" not in text, url


def test_the_owner_adds_an_account_and_checks_it_live(
    hub: Hub, login: Login, shopify_url: str, vault: Vault
) -> None:
    owner = login("owner")
    form = owner.get("/accounts/new", params={"platform": "shopify"}).text
    assert 'name="credential__access_token"' in form and 'type="password"' in form
    response = _add(owner, shopify_url)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/accounts/shop-us?added=1"  # type: ignore[attr-defined]
    with hub.session_factory() as session:
        row = get_account(session, "shop-us")
        assert row.base_url == shopify_url
        assert vault.decrypt(row.credentials)["access_token"].get_secret_value() == TOKEN
    checked = owner.post("/accounts/shop-us/check", headers={"X-CSRF-Token": csrf_of(owner)})
    assert "the account works" in checked.text and "problem:" not in checked.text
    assert TOKEN not in checked.text
    _no_secret(owner, "/accounts", "/accounts/shop-us", f"/accounts/{ACCOUNT}", "/")
    assert "access_token: set" in owner.get("/accounts").text


def test_a_wrong_token_is_a_problem_and_is_not_echoed(
    hub: Hub, login: Login, shopify_url: str
) -> None:
    owner = login("owner")
    _add(owner, shopify_url, token="wrong-" + TOKEN)
    checked = owner.post("/accounts/shop-us/check", headers={"X-CSRF-Token": csrf_of(owner)})
    assert "problem:" in checked.text and "does not work yet" in checked.text
    assert "wrong-" not in checked.text


def test_a_bad_form_comes_back_with_the_reason_and_without_the_secret(
    hub: Hub, login: Login
) -> None:
    owner = login("owner")
    bad = _add(owner, "ftp://nowhere", name="shop-x")
    assert bad.status_code == 422 and "is not an http(s) URL" in bad.text  # type: ignore[attr-defined]
    assert TOKEN not in bad.text and 'value="shop-x"' in bad.text  # type: ignore[attr-defined]
    missing = owner.post(
        "/accounts",
        data={"platform": "shopify", "name": "shop-y", "csrf_token": csrf_of(owner)},
    )
    assert missing.status_code == 422 and "access_token" in missing.text
    taken = _add(owner, "http://127.0.0.1:9", name=ACCOUNT)
    assert "is already taken" in taken.text  # type: ignore[attr-defined]


def test_edit_replaces_a_secret_and_switches_stock_sync(
    hub: Hub, login: Login, shopify_url: str, vault: Vault
) -> None:
    owner = login("owner")
    _add(owner, shopify_url)
    headers = {"X-CSRF-Token": csrf_of(owner)}
    page = owner.get("/accounts/shop-us").text
    assert "set: type to replace" in page and "push_stock (stock sync)</td><td>off" in page
    kept = owner.post(
        "/accounts/shop-us", data={"setting__reconcile_tolerance": "4"}, headers=headers
    )
    assert "updated: setting reconcile_tolerance" in kept.text
    replaced = owner.post(
        "/accounts/shop-us", data={"credential__access_token": "new-secret"}, headers=headers
    )
    assert (
        "credential access_token (encrypted)" in replaced.text and "new-secret" not in replaced.text
    )
    on = owner.post("/accounts/shop-us/jobs/push_stock/on", headers=headers)
    assert "job push_stock on" in on.text
    with hub.session_factory() as session:
        row = get_account(session, "shop-us")
        assert vault.decrypt(row.credentials)["access_token"].get_secret_value() == "new-secret"
        assert AccountInfo.of(row).settings["jobs"] == {"push_stock": True}
        assert AccountInfo.of(row).settings["reconcile_tolerance"] == 4
    nonsense = owner.post("/accounts/shop-us/jobs/poll_shipments/on", headers=headers)
    assert "is not run for shopify accounts" in nonsense.text
    _no_secret(owner, "/accounts", "/accounts/shop-us")


def test_only_the_owner_may_act_on_accounts(hub: Hub, login: Login, vault: Vault) -> None:
    for name in ("operator", "viewer"):
        client = login(name)
        page = client.get(f"/accounts/{ACCOUNT}").text
        assert "Check" not in page and "Add an account" not in client.get("/accounts").text
        headers = {"X-CSRF-Token": csrf_of(client)}
        for url in (
            "/accounts", f"/accounts/{ACCOUNT}", f"/accounts/{ACCOUNT}/check",
            f"/accounts/{ACCOUNT}/jobs/push_stock/on",
        ):  # fmt: skip
            assert client.post(url, headers=headers).status_code == 403, (name, url)
    assert login("owner").post(f"/accounts/{ACCOUNT}/jobs/push_stock/on").status_code == 403
    with hub.session_factory() as session:
        assert "jobs" not in AccountInfo.of(get_account(session, ACCOUNT)).settings
    assert TestClient(hub.app, follow_redirects=False).get("/accounts").status_code == 303
