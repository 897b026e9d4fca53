"""Home's reconciliation counts per account and day (channel vs hub, discrepancies), from
runs stored as the reconcile job stores them; every number links to the day's rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from channelhub.core.discrepancy import Discrepancy, DiscrepancyClass, Repair, RepairKind
from channelhub.jobs.desk.overview import home_overview
from channelhub.store.repos.reconcile import add_discrepancies, finish_run, start_run
from tests.console.conftest import Hub
from tests.jobs.fakes import ACCOUNT, PLATFORM

Login = Callable[[str], TestClient]


def missing(order: str) -> Discrepancy:
    return Discrepancy(
        DiscrepancyClass.ORDER_MISSING_IN_HUB,
        {"order": order},
        None,
        "unshipped",
        "missing",
        Repair(RepairKind.BACKFILL_ORDER, True, {"external_id": order}),
    )


def seed_run(
    session: Session,
    at: datetime,
    *,
    channel: int,
    hub: int,
    found: int = 0,
    error: str | None = None,
) -> None:
    run = start_run(
        session, account=ACCOUNT, platform=PLATFORM, scope="orders,listings",
        since=None, repair=False, now=at,
    )  # fmt: skip
    by_class = add_discrepancies(session, run, [missing(str(i)) for i in range(found)])
    counts: dict[str, Any] = {
        "compared": {"channel_orders": channel, "hub_orders": hub},
        "discrepancies": dict(by_class),
    }
    finish_run(session, run, counts={} if error else counts, now=at, error=error)


def test_home_counts_each_day_from_its_newest_finished_run(hub: Hub, login: Login) -> None:
    now = hub.clock()
    today, yesterday = now.date(), (now - timedelta(days=1)).date()
    with hub.session_factory.begin() as session:
        seed_run(session, now - timedelta(days=1, minutes=30), channel=10, hub=9, found=1)
        seed_run(session, now - timedelta(days=1), channel=12, hub=10, found=2)  # newest wins
        seed_run(session, now - timedelta(minutes=5), channel=0, hub=0, error="boom")
        seed_run(session, now - timedelta(days=8), channel=99, hub=99, found=9)  # too old
    with hub.session_factory() as session:
        (home,) = home_overview(session, now=now).accounts
    days = {d.day: d for d in home.reconcile_days}
    assert len(home.reconcile_days) == 7 and home.reconcile_days[0].day == today
    y = days[yesterday]
    assert (y.runs, y.failed, y.channel, y.hub, y.discrepancies) == (2, 0, 12, 10, 2)
    t = days[today]
    assert (t.runs, t.failed, t.channel, t.discrepancies) == (1, 1, None, None)
    assert all(d.runs == 0 for d in home.reconcile_days[2:])
    page = login("viewer").get("/").text
    href = f"/reconcile?account={ACCOUNT}&amp;day={yesterday.isoformat()}"
    assert f'<a class="channel" href="{href}" title="channel orders">12</a>' in page
    assert f'<a class="hub" href="{href}" title="hub orders">10</a>' in page
    assert f'<a class="discrepancies warn" href="{href}">2 discrepancies</a>' in page
    failed = f"/reconcile?account={ACCOUNT}&amp;day={today.isoformat()}"
    assert f'<a class="failed" href="{failed}">1 failed</a>' in page
