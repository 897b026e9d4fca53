"""``channelhub platforms``, ``accounts add|edit|list|check|reset-cursor`` as a seller uses
them: what each platform takes, refusals naming the fault, job switches, cursors, and a live
check against simulators served on loopback (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channelhub.settings import load_settings
from channelhub.simulators.amazon.app import DEFAULT_CREDENTIALS as AMAZON
from channelhub.simulators.amazon.app import create_app as amazon_app
from channelhub.simulators.amazon.catalog import MARKETPLACES
from channelhub.simulators.serve import serving
from channelhub.simulators.ups import create_simulator as ups_sim
from channelhub.store.crypto import load_vault
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.cursors import get_cursor, set_cursor
from tests.cli.hub import Hub

SECRET = "Atzr|never-print-me-0123456789"
MARKET = MARKETPLACES[0].marketplace_id
AMAZON_ADD = (
    "accounts", "add", "amazon", "amz",
    "-c", "client_id=amzn1.app", "-c", "client_secret=cs", "-c", f"refresh_token={SECRET}",
    "-s", "seller_id=A1SIMSELLER", "-s", f"marketplace_ids={MARKET}",
)  # fmt: skip


def test_platforms_lists_each_platform_and_what_an_account_takes(ready_hub: Hub) -> None:
    code, out, _ = ready_hub("platforms")
    assert code == 0
    for platform, role in (
        ("amazon", "sales_channel"),
        ("shipbob", "warehouse"),
        ("ups", "carrier"),
    ):
        assert any(platform in line and role in line for line in out.splitlines())
    code, out, _ = ready_hub("platforms", "amazon")
    assert code == 0
    assert "base URL: https://sellingpartnerapi-na.amazon.com (default" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if "│" in line}
    assert rows["refresh_token"][:5] == ["refresh_token", "│", "str", "│", "yes"]
    assert rows["marketplace_ids"][2:5] == ["list", "│", "yes"]
    assert rows["with_pii"][2:7] == ["bool", "│", "no", "│", "True"]
    assert "reconcile_repair" in rows and "jobs" in rows  # the jobs' settings, per role
    assert "push_stock (off until turned on)" in out
    assert "add one: channelhub accounts add amazon NAME -c client_id" in out
    code, out, _ = ready_hub("platforms", "outbound_protocol")
    assert "base URL: required" in out and "--base-url URL -c secret" in out
    code, _, err = ready_hub("platforms", "nope")
    assert code == 1 and "no connector for platform 'nope'" in err and "amazon" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("-s", "colour=red"), "amazon has no setting 'colour' (`channelhub platforms amazon`"),
        (("-c", "token=x"), "amazon has no credential 'token' (`channelhub platforms amazon`"),
        (("-s", "page_size=many"), "setting page_size: 'many' is not a whole number"),
        (("-s", "with_pii=perhaps"), "setting with_pii: 'perhaps' is not a true/false"),
        (("-s", "lwa_url=ftp://x"), "setting lwa_url: 'ftp://x' is not a http(s) URL"),
    ],
)
def test_add_refuses_what_the_platform_does_not_take(
    ready_hub: Hub, extra: tuple[str, ...], message: str
) -> None:
    code, out, err = ready_hub(*AMAZON_ADD, *extra)
    assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err and SECRET not in out + err


def test_add_refuses_unknown_platforms_and_missing_requirements(ready_hub: Hub) -> None:
    code, _, err = ready_hub("accounts", "add", "amazom", "x")
    assert code == 1 and "no connector for platform 'amazom'" in err
    assert "`channelhub platforms` lists them" in err
    code, _, err = ready_hub(*AMAZON_ADD[:-2])
    assert code == 1
    assert "amazon needs setting 'marketplace_ids' (-s marketplace_ids=...;" in err
    code, _, err = ready_hub("accounts", "add", "outbound_protocol", "wh", "-c", "secret=s")
    assert code == 1 and "outbound_protocol needs --base-url" in err
    code, _, err = ready_hub("accounts", "add", "temu", "t", "-s", "region=mars")
    assert code == 1 and "setting region: 'mars' is not one of us, eu, global" in err


def test_env_credentials_count_only_when_the_platform_declares_them(ready_hub: Hub) -> None:
    ready_hub.mp.setenv("CHANNELHUB_CRED_CLIENT_ID", "ups-client")
    ready_hub.mp.setenv("CHANNELHUB_CRED_CLIENT_SECRET", "ups-secret")
    ready_hub.mp.setenv("CHANNELHUB_CRED_PAT", "a ShipBob token for another account")
    code, out, err = ready_hub("accounts", "add", "ups", "ups1")
    assert code == 0, err
    assert "credentials stored encrypted: client_id, client_secret)" in out
    assert "jobs: poll_shipments" in out


def _stored(hub: Hub, name: str) -> tuple[dict[str, object], dict[str, str]]:
    settings = load_settings(hub.home)
    vault = load_vault(settings.secret_key, settings.secret_key_path)
    with hub.session() as session:
        row = get_account(session, name)
        creds = {k: v.get_secret_value() for k, v in vault.decrypt(row.credentials).items()}
        return dict(row.settings), creds


def test_edit_changes_settings_credentials_and_jobs_and_list_shows_them(ready_hub: Hub) -> None:
    assert ready_hub(*AMAZON_ADD)[0] == 0
    settings, _ = _stored(ready_hub, "amz")
    assert settings == {"seller_id": "A1SIMSELLER", "marketplace_ids": [MARKET]}  # typed
    code, out, _ = ready_hub("accounts", "list")
    jobs = "pull_orders, pull_listings, push_tracking, reconcile, pull_finance (off: push_stock)"
    assert jobs in out
    code, out, err = ready_hub(
        "accounts", "edit", "amz", "-s", "page_size=50", "-s", "reconcile_repair=yes",
        "-c", "refresh_token=Atzr|rotated-secret", "--enable", "push_stock",
        "--disable", "pull_listings",
    )  # fmt: skip
    assert code == 0, err
    assert "credential refresh_token (encrypted)" in out and "job push_stock on" in out
    assert "rotated-secret" not in out + err
    settings, creds = _stored(ready_hub, "amz")
    assert settings["page_size"] == 50 and settings["reconcile_repair"] is True
    assert settings["jobs"] == {"push_stock": True, "pull_listings": False}
    assert creds["refresh_token"] == "Atzr|rotated-secret" and creds["client_id"] == "amzn1.app"
    code, out, _ = ready_hub("accounts", "list")
    jobs = "pull_orders, push_stock, push_tracking, reconcile, pull_finance (off: pull_listings)"
    assert jobs in out
    assert "page_size=50" in out and SECRET not in out
    code, out, _ = ready_hub("jobs", "list")
    assert "push_stock" in out and "pull_listings" not in out
    code, out, err = ready_hub("accounts", "edit", "amz", "--unset", "page_size")
    assert code == 0 and "page_size" not in _stored(ready_hub, "amz")[0]


def test_edit_refuses_like_add(ready_hub: Hub) -> None:
    assert ready_hub(*AMAZON_ADD)[0] == 0
    code, _, err = ready_hub("accounts", "edit", "amz", "--unset", "seller_id")
    assert code == 1 and "amazon needs setting 'seller_id'" in err
    code, _, err = ready_hub("accounts", "edit", "amz", "--enable", "dispatch_outbox")
    assert code == 1 and "'dispatch_outbox' is not run for amazon accounts" in err
    code, _, err = ready_hub("accounts", "edit", "amz", "--enable", "pull_everything")
    assert code == 1 and "'pull_everything' is not one of pull_orders" in err
    code, _, err = ready_hub("accounts", "edit", "amz", "-s", "nope=1")
    assert code == 1 and "amazon has no setting 'nope'" in err
    code, _, err = ready_hub("accounts", "edit", "amz")
    assert code == 1 and "nothing to change" in err
    assert _stored(ready_hub, "amz")[0]["seller_id"] == "A1SIMSELLER"  # nothing half-done


def test_reset_cursor_forgets_or_moves_where_a_pull_resumes(ready_hub: Hub) -> None:
    assert ready_hub(*AMAZON_ADD)[0] == 0
    with ready_hub.session() as session:
        set_cursor(session, "amz", "pull_orders", {"cursor": "abc"}, now=datetime.now(UTC))
        session.commit()
    code, out, err = ready_hub(
        "accounts", "reset-cursor", "amz", "pull_orders", "--since", "2026-01-02"
    )
    assert code == 0, err
    assert "the next run starts from 2026-01-02T00:00:00+00:00" in out
    with ready_hub.session() as session:
        assert get_cursor(session, "amz", "pull_orders") == {
            "cursor": None,
            "since": "2026-01-02T00:00:00+00:00",
        }
    code, out, _ = ready_hub("accounts", "reset-cursor", "amz", "pull_orders")
    assert code == 0 and "as a first run" in out
    with ready_hub.session() as session:
        assert get_cursor(session, "amz", "pull_orders") is None
    code, _, err = ready_hub(
        "accounts", "reset-cursor", "amz", "pull_orders", "--since", "2999-01-01"
    )
    assert code == 1 and "--since: '2999-01-01T00:00:00+00:00' is in the future" in err
    code, _, err = ready_hub("accounts", "reset-cursor", "amz", "dispatch_outbox")
    assert code == 1 and "is not run for amazon accounts" in err
    code, _, err = ready_hub("accounts", "reset-cursor", "amz", "push_stock")
    assert code == 1 and "keeps no cursor" in err
    code, _, err = ready_hub(
        "accounts", "reset-cursor", "amz", "pull_listings", "--since", "2026-01-02"
    )
    assert code == 1 and "applies only to pull_orders" in err


def test_live_check_against_simulators_on_loopback(ready_hub: Hub) -> None:
    sim = amazon_app(rate_limits=False, order_count=3, listing_count=2)
    with serving(sim) as port:
        url = f"http://127.0.0.1:{port}"
        code, _, err = ready_hub(
            "accounts", "add", "amazon", "amz", "--base-url", url,
            *(f"-c{k}={v}" for k, v in AMAZON.items()),
            "-s", "seller_id=A1SIMSELLER", "-s", f"marketplace_ids={MARKET}",
        )  # fmt: skip
        assert code == 0, err
        code, out, err = ready_hub("accounts", "check", "amz")
        assert (code, err) == (0, ""), err
        assert f"ok: amz: LWA token ok ({url}/auth/o2/token)" in out
        assert f"orders readable in marketplaces {MARKET}" in out
        assert "ok: amazon account 'amz' works" in out
        code, out, err = ready_hub("accounts", "edit", "amz", "-c", "client_secret=wrong-one")
        assert code == 0, err
        code, out, err = ready_hub("accounts", "check", "amz")
        assert code == 1 and "problem: amz: amazon lwaToken: HTTP 400" in err
        assert "wrong-one" not in out + err
        assert ready_hub("accounts", "check", "amz", "--offline")[0] == 0  # local: complete


def test_live_check_reports_a_dead_url_and_a_wrong_secret(ready_hub: Hub) -> None:
    with serving(ups_sim()) as port:
        url = f"http://127.0.0.1:{port}"
        for name, secret in (("ups-ok", "ups-secret"), ("ups-bad", "nope")):
            code, _, err = ready_hub(
                "accounts", "add", "ups", name, "--base-url", url,
                "-c", "client_id=ups-client", "-c", f"client_secret={secret}",
            )  # fmt: skip
            assert code == 0, err
        code, out, _ = ready_hub("accounts", "check", "ups-ok")
        assert code == 0 and "ok: ups-ok: OAuth token ok" in out
        code, _, err = ready_hub("accounts", "check", "ups-bad")
        assert code == 1 and "problem: ups-bad: ups oauth_token: HTTP 401" in err
    code, _, err = ready_hub("accounts", "check", "ups-ok")  # the server is gone now
    assert code == 1 and "problem: ups-ok:" in err and "connect" in err.lower()
