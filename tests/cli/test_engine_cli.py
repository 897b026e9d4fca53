"""``channelhub worker`` and ``channelhub jobs state``: one clear line for a wrong setup, the
engine's state in either mode."""

from __future__ import annotations

import pytest

from tests.cli.hub import Hub


def test_worker_needs_the_procrastinate_engine_and_postgresql(
    ready_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = ready_hub("worker")
    assert code == 1 and "[engine] kind" in err and "Traceback" not in err
    code, _, err = ready_hub("worker", "--queues", "pull_orders,nonsense")
    assert code == 1 and "nonsense" in err and "Traceback" not in err
    monkeypatch.setenv("CHANNELHUB_ENGINE__KIND", "procrastinate")
    if ready_hub.home.joinpath("hub.db").exists():  # SQLite: the engine cannot run there
        code, _, err = ready_hub("worker")
        assert code == 1 and "needs PostgreSQL" in err and "Traceback" not in err


def test_jobs_state_reads_the_engine_in_either_mode(
    ready_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = ready_hub("jobs", "state")
    assert code == 0, err
    assert out.startswith("engine embedded: 0 running, 0 stalled, 0 failed")
    if not ready_hub.home.joinpath("hub.db").exists():  # PostgreSQL: the queue's state too
        monkeypatch.setenv("CHANNELHUB_ENGINE__KIND", "procrastinate")
        code, out, err = ready_hub("jobs", "state")
        assert code == 0, err
        assert out.startswith("engine procrastinate: 0 queued, 0 scheduled later, 0 live")


def test_jobs_run_defer_queues_for_the_workers_once(
    ready_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANNELHUB_CRED_CLIENT_ID", "ups-client")
    monkeypatch.setenv("CHANNELHUB_CRED_CLIENT_SECRET", "ups-secret")
    code, _, err = ready_hub("accounts", "add", "ups", "ups1")
    assert code == 0, err
    code, _, err = ready_hub("jobs", "run", "poll_shipments", "ups1", "--defer")
    assert code == 1 and 'kind = "embedded"' in err and "Traceback" not in err
    if ready_hub.home.joinpath("hub.db").exists():  # SQLite: no queue to defer to
        return
    monkeypatch.setenv("CHANNELHUB_ENGINE__KIND", "procrastinate")
    code, out, err = ready_hub("jobs", "run", "poll_shipments", "ups1", "--defer")
    assert code == 0, err
    assert out.startswith("poll_shipments of ups1: queued for the workers (job ")
    code, out, err = ready_hub("jobs", "run", "poll_shipments", "ups1", "--defer")
    assert code == 0 and "already queued" in out and "not queued twice" in out
    code, out, err = ready_hub("jobs", "state")
    assert out.startswith("engine procrastinate: 1 queued,"), err
