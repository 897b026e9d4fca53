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
