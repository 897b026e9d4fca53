"""What the seller's "is everything flowing?" questions read: open exceptions, the job
schedule with each job's last run, and the per-account home figures.

The CLI (``channelhub jobs list``) and the console call these same functions, so the two
can never count differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.desk.schedule import ScheduleRow as ScheduleRow
from channelhub.jobs.desk.schedule import job_schedule as job_schedule
from channelhub.store.repos import reconcile as reconcile_repo
from channelhub.store.repos.accounts import list_accounts
from channelhub.store.repos.jobs import list_runs
from channelhub.store.repos.stock_sync import list_blocks
from channelhub.store.repos.usage import OperationUsage, tokens_of, usage_since
from channelhub.store.tables.jobs import DeadLetter, DeadLetterState, JobRun, RunOutcome
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.usage import AccountToken

if TYPE_CHECKING:  # the runner (every job's code) is not imported to read the schedule
    from channelhub.jobs.engine.runner import JobResult

#: A token that does not renew by itself and runs out sooner than this is a warning.
TOKEN_WARN = timedelta(days=7)
#: How many operations each account's API budget line shows (most calls first).
TOP_OPERATIONS = 5
#: How many days (today included) of reconciliation counts Home shows per account.
RECONCILE_DAYS = 7


@dataclass(frozen=True)
class OpenExceptions:
    """What waits for a person; ``total`` is the number every console page shows."""

    held_orders: int
    failed_dispatches: int  # orders in ``exception`` plus dead outbox messages
    dead_letters: int
    stock_push_blocks: int

    @property
    def total(self) -> int:
        return (
            self.held_orders + self.failed_dispatches + self.dead_letters + self.stock_push_blocks
        )


def open_exceptions(session: Session) -> OpenExceptions:
    """Held orders, failed dispatches, open dead letters and stock pushes the guard stopped."""

    def count(query: Any) -> int:
        return int(session.scalar(query) or 0)

    orders = select(func.count()).select_from(OrderRow)
    return OpenExceptions(
        held_orders=count(orders.where(OrderRow.hub_status == HubStatus.ON_HOLD.value)),
        failed_dispatches=count(orders.where(OrderRow.hub_status == HubStatus.EXCEPTION.value))
        + count(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state == OutboxState.DEAD.value)
        ),
        dead_letters=count(
            select(func.count())
            .select_from(DeadLetter)
            .where(DeadLetter.state == DeadLetterState.OPEN.value)
        ),
        stock_push_blocks=len(list_blocks(session)),
    )


@dataclass(frozen=True)
class TokenLine:
    """One token of an account as Home shows it: "valid until …", "expires in N days",
    "refused (401) at …"; ``warn`` when a person must act."""

    kind: str
    text: str
    warn: bool


def token_line(token: AccountToken, now: datetime) -> TokenLine:
    """What a stored token means now (a refusal outranks any expiry)."""
    if token.refused_at is not None:
        status = token.refused_status or 401
        return TokenLine(token.kind, f"refused ({status}) at {_stamp(token.refused_at)}", True)
    if token.expires_at is None:
        return TokenLine(
            token.kind, f"valid (no stated expiry), seen {_stamp(token.seen_at)}", False
        )
    left = token.expires_at - now
    if token.renews:  # the connector fetches a new one by itself: informative only
        if left.total_seconds() <= 0:
            return TokenLine(
                token.kind,
                f"renewed on the next call (last expired {_stamp(token.expires_at)})",
                False,
            )
        return TokenLine(
            token.kind, f"valid until {_stamp(token.expires_at)} (renews itself)", False
        )
    if left.total_seconds() <= 0:
        return TokenLine(token.kind, f"expired at {_stamp(token.expires_at)}", True)
    if left < TOKEN_WARN:
        days = left.days
        when = (
            f"{days} day{'s' if days != 1 else ''}"
            if days
            else f"{int(left.total_seconds() // 3600)} h"
        )
        return TokenLine(token.kind, f"expires in {when} ({_stamp(token.expires_at)})", True)
    return TokenLine(token.kind, f"valid until {_stamp(token.expires_at)}", False)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class DayReconcile:
    """One account's reconciliation on one UTC day: how many runs (and failed ones), and the
    newest finished run's channel-side and hub-side counts and discrepancies found."""

    day: date
    runs: int = 0
    failed: int = 0
    scope: str | None = None  # "orders" (channel orders vs hub orders) or "stock" (levels)
    channel: int | None = None  # orders the channel listed, or the warehouse's stock levels
    hub: int | None = None  # the hub's orders, or its ledger balances
    discrepancies: int | None = None

    @property
    def query(self) -> str:
        """The reconciliation page's filter for this day (``account=…&day=…`` minus account)."""
        return f"day={self.day.isoformat()}"


def reconcile_days(
    session: Session, account: str, *, now: datetime, days: int = RECONCILE_DAYS
) -> list[DayReconcile]:
    """The last ``days`` UTC days of ``account``'s reconciliation, newest first (a day without
    a run is there with zero runs)."""
    today = _day_start(now)
    first = today - timedelta(days=days - 1)
    runs = reconcile_repo.runs_since(session, account=account, since=first)
    newest_ok: dict[date, Any] = {}
    tally: dict[date, list[int]] = {}
    for run in runs:  # oldest first: the last finished one of a day wins
        day = run.started_at.astimezone(UTC).date()
        counts = tally.setdefault(day, [0, 0])
        counts[0] += 1
        if run.status == "failed":
            counts[1] += 1
        elif run.status == "finished":
            newest_ok[day] = run
    found = reconcile_repo.discrepancy_counts(session, (run.id for run in newest_ok.values()))
    result = []
    for offset in range(days):
        day = (today - timedelta(days=offset)).date()
        runs_of_day, failed = tally.get(day, [0, 0])
        newest = newest_ok.get(day)
        if newest is None:
            result.append(DayReconcile(day, runs_of_day, failed))
            continue
        compared = dict((newest.counts or {}).get("compared") or {})
        stock = "warehouse_levels" in compared
        result.append(
            DayReconcile(
                day,
                runs_of_day,
                failed,
                scope="stock" if stock else "orders",
                channel=_int(compared.get("warehouse_levels" if stock else "channel_orders")),
                hub=_int(compared.get("ledger_balances" if stock else "hub_orders")),
                discrepancies=found.get(newest.id, 0),
            )
        )
    return result


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class AccountHome:
    """One account's line on the home page."""

    name: str
    platform: str
    last_ok: dict[str, datetime | None] = field(default_factory=dict)  # job kind -> time
    failed_runs_24h: int = 0
    throttled_runs_24h: int = 0  # failed runs whose error names HTTP 429 / throttling
    orders_today: int = 0
    token_state: str = "not used yet"  # accepted | refused (the newest run got a 401/403)
    reconcile: dict[str, Any] | None = None  # the newest reconciliation run's counts
    tokens: list[TokenLine] = field(default_factory=list)  # stored expiries and refusals
    usage: list[OperationUsage] = field(default_factory=list)  # top operations, last 24 h
    calls_24h: int = 0
    reconcile_days: list[DayReconcile] = field(default_factory=list)  # newest day first
    throttled_calls_24h: int = 0  # 429 answers (each attempt), not runs

    @property
    def token_warning(self) -> bool:
        return any(line.warn for line in self.tokens)


@dataclass(frozen=True)
class HomeOverview:
    """Everything the home page shows, read in one session."""

    accounts: list[AccountHome]
    exceptions: OpenExceptions
    since: datetime


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def home_overview(session: Session, *, now: datetime) -> HomeOverview:
    """Per account: last successful run of each job, failed and throttled runs in the last
    24 h, orders placed today (UTC), the newest reconciliation; plus the open exceptions."""
    since = now - timedelta(hours=24)
    homes = []
    for account in list_accounts(session):
        home = AccountHome(name=account.name, platform=account.platform)
        for kind, ok in session.execute(
            select(JobRun.job_kind, func.max(JobRun.finished_at))
            .where(JobRun.account == account.name, JobRun.outcome == RunOutcome.OK.value)
            .group_by(JobRun.job_kind)
        ):
            home.last_ok[kind] = ok
        failed = list(
            session.scalars(
                select(JobRun.error).where(
                    JobRun.account == account.name,
                    JobRun.outcome == RunOutcome.FAILED.value,
                    JobRun.started_at >= since,
                )
            )
        )
        home.failed_runs_24h = len(failed)
        home.throttled_runs_24h = sum(1 for error in failed if _throttled(error))
        home.orders_today = int(
            session.scalar(
                select(func.count())
                .select_from(OrderRow)
                .where(OrderRow.account == account.name, OrderRow.placed_at >= _day_start(now))
            )
            or 0
        )
        home.token_state = _token_state(list_runs(session, account=account.name, limit=1))
        home.tokens = [token_line(token, now) for token in tokens_of(session, account.name)]
        usage = usage_since(session, account.name, since.replace(minute=0, second=0, microsecond=0))
        home.usage = usage[:TOP_OPERATIONS]
        home.calls_24h = sum(u.calls for u in usage)
        home.throttled_calls_24h = sum(u.throttled for u in usage)
        home.reconcile_days = reconcile_days(session, account.name, now=now)
        runs = reconcile_repo.latest_runs(session, account=account.name, limit=1)
        home.reconcile = dict(runs[0].counts or {}) if runs else None
        homes.append(home)
    return HomeOverview(accounts=homes, exceptions=open_exceptions(session), since=since)


def _token_state(newest: list[JobRun]) -> str:
    """What the newest run says of the account's credentials (the stored expiries and
    refusals, :attr:`AccountHome.tokens`, say more where a connector reported them)."""
    if not newest:
        return "not used yet"
    run = newest[0]
    text = (run.error or "").lower()
    if run.outcome == RunOutcome.FAILED.value and any(
        word in text for word in ("401", "403", "unauthor", "forbidden", "revoked", "expired")
    ):
        return "refused"
    return "accepted"


def _throttled(error: str | None) -> bool:
    text = (error or "").lower()
    return "429" in text or "throttl" in text


def run_sentence(result: JobResult) -> str:
    """One line saying how a run a person asked for ended (the console's "Run now")."""
    head = f"{result.kind.value} of {result.account}"
    if result.skipped:
        return f"{head}: running elsewhere right now; it was not started again"
    counts = result.counts
    said = (
        f"{head}: {result.outcome.value if result.outcome else 'not run'}"
        f" ({counts.new} new, {counts.updated} updated, {counts.unchanged} unchanged,"
        f" {counts.failed} failed)"
    )
    if result.error:
        said += f": {result.error}"
    if result.note:
        said += f"; {result.note}"
    if result.more:
        said += "; more work is waiting: the next run continues from here"
    return said
