"""The Jobs page's "Run now": `channelhub jobs run KIND ACCOUNT` from the console, with the
scheduler's lease and cursor; operators may, viewers may not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from channelhub.api.console.screens import jobs as jobs_screen
from channelhub.jobs.desk.overview import ScheduleRow
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.scheduler import ScheduledJob
from channelhub.store.repos.jobs import list_runs
from tests.console.conftest import Hub, csrf_of
from tests.jobs.fakes import ACCOUNT

Login = Callable[[str], TestClient]


@pytest.fixture(autouse=True)
def scheduled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake platform has no registered plugin, so the real schedule is empty: show the
    one job the page would list for a registered one."""
    row = ScheduleRow(
        job=ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(minutes=5)),
        last_started=None,
        last_outcome=None,
        last_ok=None,
    )
    monkeypatch.setattr(jobs_screen, "job_schedule", lambda session, every: [row])


def test_an_operator_runs_a_job_now_and_sees_how_it_ended(hub: Hub, login: Login) -> None:
    client = login("operator")
    page = client.get("/jobs").text
    assert f'hx-post="/jobs/run/pull_orders/{ACCOUNT}"' in page
    with hub.session_factory() as session:
        before = len(list_runs(session, account=ACCOUNT))
    response = client.post(
        f"/jobs/run/pull_orders/{ACCOUNT}", headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert response.status_code == 200
    assert f"pull_orders of {ACCOUNT}: ok (1 new" in response.text
    with hub.session_factory() as session:
        runs = list_runs(session, account=ACCOUNT)
    assert len(runs) == before + 1
    assert hub.channel.calls  # the real unit ran against the account's connector


def test_an_unknown_job_is_one_sentence_not_an_error_page(hub: Hub, login: Login) -> None:
    client = login("operator")
    response = client.post(
        f"/jobs/run/pull_everything/{ACCOUNT}", headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert response.status_code == 200
    assert "is not one of pull_orders" in response.text


def test_a_viewer_has_no_run_button_and_is_refused(hub: Hub, login: Login) -> None:
    client = login("viewer")
    assert "/jobs/run/" not in client.get("/jobs").text
    response = client.post(
        f"/jobs/run/pull_orders/{ACCOUNT}", headers={"X-CSRF-Token": csrf_of(client)}
    )
    assert response.status_code == 403
    with hub.session_factory() as session:
        assert all(run.outcome != "ok" for run in list_runs(session, account=ACCOUNT))
