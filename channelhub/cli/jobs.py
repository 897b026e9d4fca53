"""``channelhub jobs list|run|log|deadletters|replay``: see and drive the scheduled jobs."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from channelhub.cli import app
from channelhub.cli.home import open_session, settings_for
from channelhub.cli.output import err_console
from channelhub.cli.runtime import Runtime, console, open_runtime, summary_table, utc_now
from channelhub.core import strict
from channelhub.core.errors import ConfigError
from channelhub.jobs.engine.kinds import JobKind, parse_kind
from channelhub.store.repos import outbox
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.tables.jobs import DeadLetterState, RunOutcome
from channelhub.store.tables.outbox import OutboxState

if TYPE_CHECKING:  # `jobs state` only: the leases, the queue's tables, psutil
    from channelhub.jobs.desk.engine_state import EngineJob

jobs_app = typer.Typer(
    help="Scheduled jobs: what runs, the engine's state, their log, dead letters.",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")


def _kind(value: str) -> JobKind:
    return parse_kind(value)


def record_id(value: str, name: str) -> int:
    """A stored record's id as the user typed it: ASCII digits, within a 63-bit column."""
    return strict.whole(value, name, minimum=1, maximum=2**63 - 1)


def _when(value: datetime | None) -> str:
    return value.strftime("%m-%d %H:%M:%S") if value is not None else "-"


@jobs_app.command("list")
def jobs_list(ctx: typer.Context) -> None:
    """Every job `channelhub run` schedules, per account, with its interval and last run."""
    from channelhub.jobs.desk.schedule import job_schedule  # the accounts, the run log

    settings = settings_for(ctx)
    with open_session(settings) as session:
        plan = job_schedule(session, settings.jobs.every.model_dump())
    table = Table(show_edge=False)
    for column in ("account", "job", "every", "last run", "outcome"):
        table.add_column(column)
    for row in plan:
        table.add_row(
            row.job.account,
            row.job.kind.value,
            f"{int(row.job.every.total_seconds())}s",
            _when(row.last_started) if row.last_started else "never",
            row.last_outcome or "-",
        )
    console.print(table if plan else "no jobs: add an account (`channelhub accounts add`)")


def _job_table(title: str, jobs: list[EngineJob]) -> Table:
    table = Table(title=title, show_edge=False)
    for column in ("account", "job", "since UTC", "where", "note"):
        table.add_column(column)
    for job in jobs:
        table.add_row(job.account or "-", job.kind, _when(job.since), job.where or "-",
                      job.note or "")  # fmt: skip
    return table


@jobs_app.command("state")
def jobs_state(ctx: typer.Context) -> None:
    """What the engine is doing now: queued, running, stalled and failed jobs, locks held
    (`[engine] kind` embedded or procrastinate)."""
    from channelhub.jobs.desk.engine_state import engine_state

    settings = settings_for(ctx)
    engine = settings.engine
    with open_session(settings) as session:
        state = engine_state(
            session,
            engine=engine.kind,
            now=utc_now(),
            stalled_after=timedelta(seconds=engine.stalled_seconds),
        )
    queue = (
        f"{state.queued} queued, {state.scheduled} scheduled later, {state.workers} live "
        "worker(s); "
        if state.queued is not None
        else ""
    )
    console.print(
        f"engine {state.engine}: {queue}{len(state.running)} running, {len(state.stalled)} "
        f"stalled, {len(state.failed)} failed in the last day, {len(state.locks)} lock(s) held",
        markup=False,
    )
    for title, jobs in (("running", state.running), ("stalled", state.stalled),
                        ("failed", state.failed)):  # fmt: skip
        if jobs:
            console.print(_job_table(title, jobs))
    if state.locks:
        locks = Table(title="locks held", show_edge=False)
        for column in ("account:job", "holder", "until UTC"):
            locks.add_column(column)
        for lock in state.locks:
            locks.add_row(lock.key, lock.holder, _when(lock.until))
        console.print(locks)


@jobs_app.command("run")
def jobs_run(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="job kind, e.g. pull_orders"),
    account: str = typer.Argument(..., help="account name"),
    wait: float = typer.Option(
        60, "--wait", min=0, help="seconds to wait while the job runs elsewhere (0: don't)"
    ),
    defer: bool = typer.Option(
        False,
        "--defer",
        help="queue it for the procrastinate workers instead of running it here "
        "(a second request while it waits adds nothing)",
    ),
) -> None:
    """Run one bounded unit of a job now, in this process (the same lease and cursor the
    scheduler uses), or with --defer queue it for the procrastinate workers.

    Run here, it waits while a worker or ``channelhub run`` runs the same job, then runs, and
    prints how it ended; it spends the account's shared rate limits like a worker does."""
    from channelhub.jobs.engine.runner import run_job_when_free  # every job's code

    job = _kind(kind)
    with open_runtime(ctx) as runtime:
        if defer:
            _defer(runtime, account, job)
            return
        result = asyncio.run(
            run_job_when_free(
                runtime.session_factory,
                account,
                job,
                wait=timedelta(seconds=wait),
                clock=utc_now,
                connector_factory=runtime.connector_factory,
                now=utc_now,
                options=runtime.options,
            )
        )
    console.print(summary_table([result]))
    if result.note:
        console.print(result.note, markup=False)
    if result.skipped:
        err_console.print(
            f"error: {job.value} of {account!r} is still running elsewhere after {wait:g} s",
            markup=False,
        )
        raise typer.Exit(1)
    if result.outcome is RunOutcome.FAILED:
        err_console.print(f"error: {result.error}", markup=False)
        raise typer.Exit(1)
    if result.more:
        console.print("more work is waiting: the next run continues from here")


def _defer(runtime: Runtime, account: str, job: JobKind) -> None:
    """``jobs run --defer``: the console's Run now on procrastinate."""
    from channelhub.jobs.distributed.requests import request_run  # the runner's handlers

    if runtime.settings.engine.kind != "procrastinate":
        raise ConfigError(
            '--defer queues the job for procrastinate workers, but [engine] kind = "embedded": '
            "run it here without --defer (or let `channelhub run` schedule it)"
        )
    with runtime.session_factory.begin() as session:
        said = request_run(session, account, job).sentence()
    console.print(said, markup=False)


@jobs_app.command("log")
def jobs_log(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", help="only this account"),
    kind: str | None = typer.Option(None, "--job", help="only this job kind"),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """The newest job runs: when, how they ended, what they did."""
    job_kind = _kind(kind).value if kind else None
    with open_session(settings_for(ctx)) as session:  # reads only: no connectors
        runs = list_runs(session, account=account, job_kind=job_kind, limit=limit)
    table = Table(show_edge=False, caption="counts: new/updated/unchanged/failed")
    for column in ("id", "account", "job", "started UTC", "outcome", "pages"):
        table.add_column(column, no_wrap=True)
    table.add_column("counts", no_wrap=True)
    table.add_column("error")
    for run in runs:
        table.add_row(
            str(run.id),
            run.account,
            run.job_kind,
            _when(run.started_at),
            run.outcome,
            str(run.pages),
            f"{run.new}/{run.updated}/{run.unchanged}/{run.failed}",
            run.error or "",
        )
    console.print(table if runs else "no job runs yet")


@jobs_app.command("deadletters")
def jobs_deadletters(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", help="only this account"),
    show_all: bool = typer.Option(False, "--all", help="resolved ones too"),
) -> None:
    """Failed records and runs kept for replay, and outbox messages that went dead."""
    states = None if show_all else [DeadLetterState.OPEN]
    with open_session(settings_for(ctx)) as session:  # reads only: no connectors
        letters = list_dead_letters(session, account=account, states=states)
        dead_messages = outbox.list_messages(session, states=[OutboxState.DEAD])
    table = Table(show_edge=False)
    for column in ("id", "account", "job", "subject", "external id", "state", "tries", "reason"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            str(letter.id),
            letter.account,
            letter.job_kind,
            letter.subject,
            letter.external_id or "-",
            letter.state,
            str(letter.attempts),
            letter.reason,
        )
    console.print(table if letters else "no dead letters")
    if dead_messages:
        outbox_table = Table(title="dead outbox messages (replay with --outbox)", show_edge=False)
        for column in ("id", "target", "kind", "key", "tries", "last error"):
            outbox_table.add_column(column)
        for message in dead_messages:
            outbox_table.add_row(
                str(message.id),
                message.target,
                message.kind,
                message.idempotency_key,
                str(message.attempts),
                message.last_error or "",
            )
        console.print(outbox_table)


@jobs_app.command("replay")
def jobs_replay(
    ctx: typer.Context,
    letter: str = typer.Argument(..., metavar="ID", help="dead letter id (see `jobs deadletters`)"),
    from_outbox: bool = typer.Option(False, "--outbox", help="ID is a dead outbox message"),
) -> None:
    """Replay a dead letter now, or put a dead outbox message back in the queue."""
    from channelhub.jobs.engine.replay import replay_dead_letter  # every job's code

    letter_id = record_id(letter, "ID")
    with open_runtime(ctx) as runtime:
        if from_outbox:
            with runtime.session_factory.begin() as session:
                outbox.replay(session, letter_id, now=utc_now())
            console.print(f"outbox message {letter_id} is queued again")
            return
        said = asyncio.run(
            replay_dead_letter(
                runtime.session_factory,
                letter_id,
                connector_factory=runtime.connector_factory,
                now=utc_now,
                options=runtime.options,
            )
        )
    console.print(f"dead letter {letter_id}: {said}", markup=False)
