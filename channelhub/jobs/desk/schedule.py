"""The job schedule with each job's last run (``channelhub jobs list``, the console's Jobs
page): the plan from the config's intervals and the platforms' manifests, then one look at
the run log per job. Apart from the rest of the desk so listing jobs imports no more than
the accounts and the run log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.connectors.registry import ConnectorRegistry
from channelhub.jobs.engine.plan import (
    ScheduledJob,
    capabilities_from_registry,
    intervals_from_seconds,
    plan_jobs,
    roles_from_registry,
)
from channelhub.store.repos.accounts import list_accounts
from channelhub.store.repos.jobs import list_runs
from channelhub.store.tables.jobs import JobRun, RunOutcome


@dataclass(frozen=True)
class ScheduleRow:
    """One scheduled job and how its last run ended."""

    job: ScheduledJob
    last_started: datetime | None
    last_outcome: str | None
    last_ok: datetime | None


def job_schedule(session: Session, every_seconds: Mapping[str, int]) -> list[ScheduleRow]:
    """Every job ``channelhub run`` schedules (from the config's intervals), with its last run
    and its last successful run."""
    registry = ConnectorRegistry()
    plan = plan_jobs(
        list_accounts(session),
        intervals_from_seconds(every_seconds),
        roles_of=roles_from_registry(registry),
        capabilities_of=capabilities_from_registry(registry),
    )
    rows = []
    for job in plan:
        last = list_runs(session, account=job.account, job_kind=job.kind.value, limit=1)
        rows.append(
            ScheduleRow(
                job=job,
                last_started=last[0].started_at if last else None,
                last_outcome=last[0].outcome if last else None,
                last_ok=_last_ok(session, job.account, job.kind.value),
            )
        )
    return rows


def _last_ok(session: Session, account: str, kind: str) -> datetime | None:
    return session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.account == account,
            JobRun.job_kind == kind,
            JobRun.outcome == RunOutcome.OK.value,
        )
    )
