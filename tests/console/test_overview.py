"""The figures Home and every page's header show (jobs.overview), counted from the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.desk.overview import home_overview, open_exceptions
from channelhub.store.repos.jobs import finish_run, start_run
from channelhub.store.repos.orders import transition_order, upsert_order
from channelhub.store.repos.stock_sync import record_block
from channelhub.store.tables.jobs import RunOutcome
from tests.console.conftest import Hub
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, PLATFORM, make_order

Login = Callable[[str], TestClient]


def test_open_exceptions_count_each_kind(hub: Hub) -> None:
    factory: sessionmaker[Session] = hub.session_factory
    now = hub.clock()
    with factory.begin() as session:
        held = upsert_order(session, make_order("H1", 1), now=now)
        transition_order(session, held.id, HubStatus.ON_HOLD, reason="review", at=now)
        record_block(
            session, channel=PLATFORM, account=ACCOUNT, reason="mass drop", drops=[], now=now
        )
    with factory() as session:
        found = open_exceptions(session)
    assert (found.held_orders, found.failed_dispatches) == (1, 0)
    assert (found.dead_letters, found.stock_push_blocks) == (1, 1)
    assert found.total == 3


def test_home_counts_failed_and_throttled_runs_of_the_last_day(hub: Hub) -> None:
    clock: Clock = hub.clock
    with hub.session_factory.begin() as session:
        for error in ("HTTP 429 Too Many Requests", "boom"):
            run = start_run(
                session, account=ACCOUNT, job_kind="pull_orders", holder="t", now=clock()
            )
            finish_run(session, run, outcome=RunOutcome.FAILED, now=clock(), error=error)
    with hub.session_factory() as session:
        (account,) = home_overview(session, now=clock()).accounts
        later = home_overview(session, now=clock() + timedelta(days=2)).accounts[0]
    assert account.name == ACCOUNT
    assert (account.failed_runs_24h, account.throttled_runs_24h) == (3, 1)  # + the seeded one
    assert later.failed_runs_24h == 0
    assert account.token_state == "accepted"  # the newest run failed, but not with a 401


def test_home_says_when_the_platform_refused_the_credentials(login: Login) -> None:
    page = login("viewer").get("/").text
    assert '<td class="token-refused">refused</td>' in page  # the seeded run got a 401


def test_the_run_log_pages_by_50(hub: Hub, login: Login) -> None:
    with hub.session_factory.begin() as session:
        for _ in range(60):
            run = start_run(
                session, account=ACCOUNT, job_kind="pull_orders", holder="t", now=hub.clock()
            )
            finish_run(session, run, outcome=RunOutcome.OK, now=hub.clock())
    client = login("viewer")
    first = client.get("/jobs?outcome=ok").text
    assert first.count('class="outcome-ok"') == 50
    assert 'href="?outcome=ok&amp;page=2"' in first
    second = client.get("/jobs?outcome=ok&page=2").text
    assert second.count('class="outcome-ok"') == 10
    assert "page=3" not in second and 'rel="prev"' in second
