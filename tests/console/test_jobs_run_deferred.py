"""Run now on the procrastinate engine: the click queues the unit for the workers (the
scheduler's locks), runs nothing in the HTTP process, and a second click adds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from channelhub.api.app import create_app
from channelhub.api.console import ConsoleConfig
from channelhub.api.console.screens import jobs as jobs_screen
from channelhub.jobs.desk.overview import ScheduleRow
from channelhub.jobs.distributed.tasks import WorkerRuntime, context_value, run_unit
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobOptions
from channelhub.jobs.engine.scheduler import ScheduledJob
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.tables.jobs import DeadLetterState
from tests.console.conftest import Hub, csrf_of, post_login
from tests.jobs.fakes import ACCOUNT

pytestmark = pytest.mark.postgres
OPEN = DeadLetterState.OPEN
RUN_NOW = f"/jobs/run/pull_orders/{ACCOUNT}"


@pytest.fixture(autouse=True)
def scheduled(monkeypatch: pytest.MonkeyPatch) -> None:
    row = ScheduleRow(
        job=ScheduledJob(ACCOUNT, JobKind.PULL_ORDERS, timedelta(minutes=5)),
        last_started=None,
        last_outcome=None,
        last_ok=None,
    )
    monkeypatch.setattr(jobs_screen, "job_schedule", lambda session, every: [row])


@pytest.fixture
def operator(hub: Hub) -> Iterator[TestClient]:
    """An operator logged in to the console of a hub whose jobs run on procrastinate."""
    app = create_app(
        session_factory=hub.session_factory,
        connector_factory=lambda row: hub.channel,
        now=hub.clock,
        console=ConsoleConfig(job_every={"pull_orders": 300}, engine="procrastinate"),
    )
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    assert post_login(client, "operator").status_code == 303
    yield client
    with hub.session_factory.begin() as session:
        session.execute(text("DELETE FROM procrastinate_jobs"))


def _jobs(hub: Hub) -> list[tuple[int, str, dict[str, str]]]:
    with hub.session_factory() as session:
        rows = session.execute(
            text("SELECT id, status::text, args FROM procrastinate_jobs ORDER BY id")
        )
        return [(job_id, status, args) for job_id, status, args in rows]


def _click(client: TestClient) -> str:
    response = client.post(RUN_NOW, headers={"X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 200
    return response.text


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_run_now_queues_one_job_and_runs_nothing_here(hub: Hub, operator: TestClient) -> None:
    unknown = operator.post(
        "/jobs/run/pull_orders/nobody", headers={"X-CSRF-Token": csrf_of(operator)}
    )
    assert "account &#39;nobody&#39; does not exist" in unknown.text  # one sentence, no job
    assert _jobs(hub) == []
    calls = len(hub.channel.calls)
    with hub.session_factory() as session:
        runs = len(list_runs(session, account=ACCOUNT))
    page = _click(operator)
    ((job_id, status, args),) = _jobs(hub)
    assert (status, args) == ("todo", {"account": ACCOUNT, "kind": "pull_orders"})
    assert f"pull_orders of {ACCOUNT}: queued for the workers (job {job_id})" in page
    assert '<td class="queue-state">queued</td>' in page
    # nothing ran in the HTTP process: no platform call, no run in the log
    assert len(hub.channel.calls) == calls
    with hub.session_factory() as session:
        assert len(list_runs(session, account=ACCOUNT)) == runs
    # a second click while it waits: the same job, not a second one
    again = _click(operator)
    assert f"already queued (job {job_id}); not queued twice" in again
    assert len(_jobs(hub)) == 1
    assert '<td class="queue-state">queued</td>' in operator.get("/jobs").text


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_a_click_while_it_runs_queues_one_run_after_it(hub: Hub, operator: TestClient) -> None:
    _click(operator)
    ((running, _, _),) = _jobs(hub)
    with hub.session_factory.begin() as session:  # a worker took it
        session.execute(
            text(f"UPDATE procrastinate_jobs SET status = 'doing' WHERE id = {running}")
        )
    page = _click(operator)
    waiting = _jobs(hub)[1][0]
    assert f"running on a worker now (job {running}); queued once more" in page
    assert f"(job {waiting})" in page
    assert '<td class="queue-state">running, 1 queued after it</td>' in page
    assert "already queued" in _click(operator)
    assert [status for _, status, _ in _jobs(hub)] == ["doing", "todo"]


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_replaying_a_failed_run_queues_it_and_the_run_resolves_the_letter(
    hub: Hub, operator: TestClient
) -> None:
    calls = len(hub.channel.calls)
    replay = f"/jobs/deadletters/{hub.dead_letter_id}/replay"
    page = operator.post(replay, headers={"X-CSRF-Token": csrf_of(operator)}).text
    ((job_id, _, args),) = _jobs(hub)
    assert args == {"account": ACCOUNT, "kind": "pull_orders", "letter": hub.dead_letter_id}
    assert f"queued for the workers (job {job_id}); the letter is resolved when" in page
    again = operator.post(replay, headers={"X-CSRF-Token": csrf_of(operator)}).text
    assert f"already queued (job {job_id})" in again and len(_jobs(hub)) == 1
    assert len(hub.channel.calls) == calls  # nothing ran in the HTTP process
    with hub.session_factory() as session:
        assert [letter.id for letter in list_dead_letters(session, states=[OPEN])] == [
            hub.dead_letter_id
        ]
    # a worker runs the unit (the channel is healthy again): the letter is resolved
    runtime = WorkerRuntime(
        session_factory=hub.session_factory,
        connector_factory=lambda row: hub.channel,
        now=hub.clock,
        options=JobOptions(),
        intervals={},
        roles_of=lambda platform: frozenset(),
    )
    task = SimpleNamespace(additional_context=context_value(runtime))
    assert asyncio.run(run_unit(task, **args)) == "ok"  # type: ignore[arg-type]
    with hub.session_factory() as session:
        assert list_dead_letters(session, states=[OPEN]) == []


@pytest.mark.parametrize("engine", ["postgres"], indirect=True)
def test_retrying_a_failed_run_from_exceptions_queues_it_too(
    hub: Hub, operator: TestClient
) -> None:
    """The Exceptions page's retry is the same replay as the Jobs page's: with workers, a
    failed run is queued for them and nothing runs in the HTTP process."""
    calls = len(hub.channel.calls)
    retry = f"/exceptions/deadletters/{hub.dead_letter_id}/retry"
    page = operator.post(retry, headers={"X-CSRF-Token": csrf_of(operator)}).text
    ((job_id, _, args),) = _jobs(hub)
    assert args == {"account": ACCOUNT, "kind": "pull_orders", "letter": hub.dead_letter_id}
    assert f"queued for the workers (job {job_id})" in page
    assert len(hub.channel.calls) == calls
