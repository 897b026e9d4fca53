"""The procrastinate app of the hub: its tasks, their retries, and the periodic ones.

One app per process, built from the database URL and the ``[engine]`` settings. Workers run
it (:mod:`.worker`); deferring needs no app (:mod:`.defer` uses the caller's connection).
Periodic tasks are deferred by the workers themselves, once per tick across all of them (the
database refuses a second deferral of the same tick), so there is no scheduler process.
"""

from __future__ import annotations

from procrastinate import App, PsycopgConnector, RetryStrategy
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from channelhub.core.errors import ConfigError
from channelhub.jobs.distributed import tasks
from channelhub.jobs.distributed.defer import (
    EVENTS_QUEUE,
    HUB_QUEUE,
    INTAKE_TASK,
    RETRY_STALLED_TASK,
    SCHEDULE_TASK,
    STOCK_WAKE_TASK,
    UNIT_TASK,
)

#: A unit whose lease is held elsewhere, or that met a database blip, is tried again after
#: 2, 4, 8 ... s (12 tries reach past the default 10-minute lease of a runner that died on
#: another host); any other failure is in the run log and dead letters, not retried here.
UNIT_RETRY = RetryStrategy(
    max_attempts=12, exponential_wait=2, retry_exceptions={tasks.LeaseBusy, OperationalError}
)
HOUSEKEEPING_RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)


def conninfo(database_url: str) -> str:
    """The libpq URL of a SQLAlchemy ``postgresql+psycopg://`` URL (query options kept)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            '[engine] kind = "procrastinate" needs PostgreSQL: set database_url to '
            "postgresql+psycopg://... (SQLite runs the embedded engine only)"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def cron_every(seconds: int) -> str:
    """A cron line firing every ``seconds`` (a divisor of 60 s or of 60 min works exactly;
    others round to the next one that does)."""
    if seconds < 60:
        step = next(n for n in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if n >= seconds)
        return "* * * * *" if step == 60 else f"* * * * * */{step}"
    minutes = next(n for n in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60) if n >= seconds // 60)
    return "0 * * * *" if minutes == 60 else f"*/{minutes} * * * *"


def build_app(
    database_url: str, *, schedule_seconds: int = 10, stalled_check_seconds: int = 30
) -> App:
    """The hub's app on ``database_url``, its periodic tasks at these periods."""
    app = App(
        connector=PsycopgConnector(conninfo=conninfo(database_url), min_size=1, max_size=4),
        periodic_defaults={"max_delay": 60},
    )
    app.task(name=UNIT_TASK, pass_context=True, retry=UNIT_RETRY)(tasks.run_unit)
    app.task(name=INTAKE_TASK, pass_context=True, queue=EVENTS_QUEUE, retry=HOUSEKEEPING_RETRY)(
        tasks.webhook_intake
    )
    app.task(name=STOCK_WAKE_TASK, pass_context=True, queue=EVENTS_QUEUE, retry=HOUSEKEEPING_RETRY)(
        tasks.stock_wake
    )
    schedule = app.task(
        name=SCHEDULE_TASK, pass_context=True, queue=HUB_QUEUE, queueing_lock=SCHEDULE_TASK
    )(tasks.schedule)
    app.periodic(cron=cron_every(schedule_seconds))(schedule)
    retry_stalled = app.task(
        name=RETRY_STALLED_TASK,
        pass_context=True,
        queue=HUB_QUEUE,
        queueing_lock=RETRY_STALLED_TASK,
    )(tasks.retry_stalled)
    app.periodic(cron=cron_every(stalled_check_seconds))(retry_stalled)
    return app
