"""Home's token expiries and API budget, recorded by a real job run: the connector's HTTP
client and RefreshingToken report to the run's recorder (respx answers), the run writes
once at its end, Home reads the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import respx
from fastapi.testclient import TestClient

from channelhub.jobs.desk.overview import home_overview
from channelhub.store.repos.usage import tokens_of
from tests.console.conftest import Hub
from tests.console.homefakes import BASE, ok, run_pull
from tests.jobs.fakes import ACCOUNT

Login = Callable[[str], TestClient]
DAY = 86400


def grant(expires_in: int = 3600, refresh_days: int | None = None) -> httpx.Response:
    body: dict[str, object] = {"access_token": "acc-1", "expires_in": expires_in}
    if refresh_days is not None:
        body["refresh_token_expires_in"] = refresh_days * DAY
    return ok(body)


@respx.mock
def test_a_token_refresh_records_its_expiry_and_home_warns_under_7_days(
    hub: Hub, login: Login
) -> None:
    respx.post(f"{BASE}/token").mock(return_value=grant(refresh_days=5))
    respx.get(f"{BASE}/orders").mock(return_value=ok({}))
    result = run_pull(hub)
    assert result.outcome is not None and result.outcome.value == "ok"
    now = hub.clock()
    with hub.session_factory() as session:
        stored = {t.kind: t for t in tokens_of(session, ACCOUNT)}
        (home,) = home_overview(session, now=now).accounts
    assert stored["access"].expires_at == now + timedelta(hours=1)
    assert stored["access"].renews and not stored["refresh"].renews
    assert stored["refresh"].expires_at == now + timedelta(days=5)
    lines = {line.kind: line for line in home.tokens}
    assert "renews itself" in lines["access"].text and not lines["access"].warn
    assert lines["refresh"].text.startswith("expires in 5 days") and lines["refresh"].warn
    page = login("viewer").get("/").text
    assert "refresh: expires in 5 days" in page
    assert 'class="token-line warn" data-kind="refresh"' in page


@respx.mock
def test_a_long_lived_token_reads_valid_until(hub: Hub, login: Login) -> None:
    respx.post(f"{BASE}/token").mock(return_value=grant(refresh_days=300))
    respx.get(f"{BASE}/orders").mock(return_value=ok({}))
    run_pull(hub)
    until = (hub.clock() + timedelta(days=300)).strftime("%Y-%m-%d")
    page = login("viewer").get("/").text
    assert f"refresh: valid until {until}" in page
    assert 'class="token-line warn"' not in page


@respx.mock
def test_a_refused_token_is_shown_with_its_time_and_a_new_grant_clears_it(
    hub: Hub, login: Login
) -> None:
    respx.post(f"{BASE}/token").mock(return_value=grant())
    orders = respx.get(f"{BASE}/orders").mock(return_value=httpx.Response(401, json={}))
    failed = run_pull(hub)
    assert failed.outcome is not None and failed.outcome.value == "failed"
    stamp = hub.clock().strftime("%Y-%m-%d %H:%M UTC")
    page = login("viewer").get("/").text
    assert f"access: refused (401) at {stamp}" in page
    orders.mock(return_value=ok({}))
    hub.clock.advance(minutes=5)
    run_pull(hub)
    with hub.session_factory() as session:
        (home,) = home_overview(session, now=hub.clock()).accounts
    (line,) = home.tokens
    assert not line.warn and "refused" not in line.text


@respx.mock
def test_a_run_records_calls_429s_and_errors_per_operation_and_hour(hub: Hub, login: Login) -> None:
    respx.post(f"{BASE}/token").mock(return_value=grant())
    respx.get(f"{BASE}/orders").mock(
        side_effect=[httpx.Response(429, json={}), ok({}), httpx.Response(503, json={}), ok({})]
    )
    run_pull(hub)  # getOrders: 429 then ok (retried), 503 then ok (retried)
    with hub.session_factory() as session:
        (home,) = home_overview(session, now=hub.clock()).accounts
    usage = {u.operation: u for u in home.usage}
    assert (usage["getOrders"].calls, usage["getOrders"].throttled) == (4, 1)
    assert usage["getOrders"].errors == 1 and usage["getOrders"].rate == 2.0
    assert (usage["token"].calls, usage["token"].rate) == (1, 1.0)
    assert (home.calls_24h, home.throttled_calls_24h) == (5, 1)
    respx.get(f"{BASE}/orders").mock(return_value=ok({}))
    run_pull(hub)  # a second run in the same hour adds to the same row (no new token)
    tomorrow = hub.clock() + timedelta(hours=25)
    with hub.session_factory() as session:
        (again,) = home_overview(session, now=hub.clock()).accounts
        (later,) = home_overview(session, now=tomorrow).accounts
    assert {u.operation: u.calls for u in again.usage} == {"getOrders": 6, "token": 2}
    assert later.usage == [] and later.calls_24h == 0
    page = login("viewer").get("/").text
    row = "<td>getOrders</td><td>6</td><td>1</td><td>1</td><td>2/s</td>"
    assert f'<tr data-operation="getOrders">{row}</tr>' in page
