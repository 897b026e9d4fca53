"""The embedded engine's state for ``channelhub jobs state`` and the Jobs screen: a run whose
lease is held is running, one whose lease lapsed is stalled; failures of the last day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from channelhub.jobs.desk.engine_state import engine_state
from channelhub.store.repos.jobs import finish_run, start_run
from channelhub.store.repos.leases import acquire_lease
from channelhub.store.tables.jobs import RunOutcome

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_embedded_state_tells_running_from_stalled_and_lists_locks(session: Session) -> None:
    for account, ttl in (("shop-a", timedelta(minutes=10)), ("shop-b", timedelta(minutes=1))):
        acquire_lease(session, account, "pull_orders", holder=f"h-{account}", now=NOW, ttl=ttl)
        start_run(session, account=account, job_kind="pull_orders", holder=f"h-{account}",
                  now=NOW)  # fmt: skip
    failed = start_run(session, account="shop-c", job_kind="push_stock", holder="h", now=NOW)
    finish_run(session, failed, outcome=RunOutcome.FAILED, now=NOW, error="channel said no")
    old = start_run(session, account="shop-c", job_kind="push_stock", holder="h",
                    now=NOW - timedelta(days=3))  # fmt: skip
    finish_run(session, old, outcome=RunOutcome.FAILED, now=NOW, error="long ago")
    session.commit()

    state = engine_state(session, engine="embedded", now=NOW + timedelta(minutes=5))

    assert (state.queued, state.scheduled, state.workers) == (None, None, None)
    assert [(job.account, job.kind) for job in state.running] == [("shop-a", "pull_orders")]
    assert [(job.account, job.where) for job in state.stalled] == [("shop-b", "h-shop-b")]
    assert [(job.account, job.note) for job in state.failed] == [("shop-c", "channel said no")]
    assert [(lock.key, lock.holder) for lock in state.locks] == [("shop-a:pull_orders", "h-shop-a")]
