"""Jobs deferred in the transaction that causes them: a rollback leaves no job, a commit
leaves one (PostgreSQL: the distributed engine's queue lives in the hub's database)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs.desk.engine_state import engine_state
from channelhub.jobs.distributed import events
from channelhub.jobs.distributed.app import build_app
from channelhub.jobs.distributed.defer import defer_unit
from channelhub.jobs.distributed.events import (
    defer_looked_changes,
    defer_looked_messages,
    install_event_defers,
    look_for_messages,
    look_for_stock_changes,
)
from channelhub.jobs.distributed.requests import request_replay
from channelhub.jobs.distributed.stalled import retry_stalled_jobs
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.unit_wake import OutboxLook, UnitWakeTiming, came_due_reader
from channelhub.jobs.stock.pull import STOCK_SUBJECT
from channelhub.jobs.stock.push import StockSyncTiming
from channelhub.jobs.stock.wake import MarkLook, marks_reader
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.repos import outbox
from channelhub.store.repos.jobs import record_dead_letter, record_pending_deliveries
from channelhub.store.repos.stock_sync import mark_dirty, record_sweep
from channelhub.store.tables.accounts import Account
from tests.conftest import _empty_all_tables

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TIMING = StockSyncTiming(debounce=timedelta(seconds=2), max_wait=timedelta(seconds=30))


pytestmark = pytest.mark.postgres


@pytest.fixture
def sessions(_migrated_postgres_url: str) -> Iterator[sessionmaker[Session]]:
    """The session's migrated PostgreSQL schema, emptied after the test (jobs included)."""
    engine = make_engine(_migrated_postgres_url)
    try:
        yield make_session_factory(engine)
    finally:
        _empty_all_tables(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM procrastinate_jobs")
            connection.exec_driver_sql("DELETE FROM procrastinate_workers")
        engine.dispose()


def _jobs(factory: sessionmaker[Session]) -> list[tuple[str, dict[str, object], datetime]]:
    with factory() as session:
        rows = session.execute(text(
            "SELECT task_name, args, scheduled_at FROM procrastinate_jobs ORDER BY id"
        ))  # fmt: skip
        return [(name, args, at) for name, args, at in rows]


def test_rollback_leaves_no_job_and_commit_leaves_one(sessions: sessionmaker[Session]) -> None:
    with sessions() as session, session.begin():
        assert defer_unit(session, "shop-1", JobKind.PULL_ORDERS) is not None
        session.rollback()
    assert _jobs(sessions) == []
    with sessions.begin() as session:
        defer_unit(session, "shop-1", JobKind.PULL_ORDERS)
    assert [args for _, args, _ in _jobs(sessions)] == [
        {"account": "shop-1", "kind": "pull_orders"}
    ]
    # the same job again: already waiting, and the caller's transaction is unharmed by it
    with sessions.begin() as session:
        assert defer_unit(session, "shop-1", JobKind.PULL_ORDERS) is None
        session.add(Account(platform="shopify", name="shop-1", settings={}, credentials=b"",
                            created_at=NOW, updated_at=NOW))  # fmt: skip
    assert len(_jobs(sessions)) == 1
    with sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM accounts")) == 1


def test_an_outbox_message_and_a_webhook_defer_their_jobs_with_the_commit(
    sessions: sessionmaker[Session],
) -> None:
    uninstall = install_event_defers(sessions, now=lambda: NOW, timing=TIMING)
    try:
        with sessions.begin() as session:
            session.add(Account(platform="outbound_protocol", name="wms-east",
                                settings={"warehouse": "US-EAST"}, credentials=b"",
                                created_at=NOW, updated_at=NOW))  # fmt: skip
        for commit in (False, True):
            with sessions() as session, session.begin():
                for n, target in enumerate(("warehouse:US-EAST", "channel:shopify:shop-1")):
                    outbox.enqueue(session, idempotency_key=f"k{n}", target=target,
                                   kind="x", payload={}, now=NOW)  # fmt: skip
                record_pending_deliveries(session, [{
                    "account": "shop-1", "event_id": "e1", "topic": "orders/create",
                    "received_at": NOW, "raw_payload_id": None, "platform": "shopify",
                }, {  # a finished bulk query: the order import that reads it, at once
                    "account": "shop-1", "event_id": "e2", "topic": "bulk_operations/finish",
                    "received_at": NOW, "raw_payload_id": None, "platform": "shopify",
                }])  # fmt: skip
                if not commit:
                    session.rollback()
            if not commit:
                assert _jobs(sessions) == []
    finally:
        uninstall()
    jobs = sorted((name, sorted(args.items())) for name, args, _ in _jobs(sessions))
    assert jobs == [
        ("channelhub.unit", [("account", "shop-1"), ("kind", "pull_orders")]),
        ("channelhub.unit", [("account", "shop-1"), ("kind", "push_tracking")]),
        ("channelhub.unit", [("account", "wms-east"), ("kind", "dispatch_outbox")]),
        ("channelhub.webhook_intake", []),
    ]


def test_ledger_changes_defer_one_debounced_stock_wake(sessions: sessionmaker[Session]) -> None:
    clock = [NOW]
    uninstall = install_event_defers(sessions, now=lambda: clock[0], timing=TIMING)
    try:
        with sessions() as session, session.begin():
            mark_dirty(session, ["MUG"], now=clock[0])
            session.rollback()
        assert _jobs(sessions) == []
        for step, sku in enumerate(("MUG", "TEE", "MUG", "CAP")):
            clock[0] = NOW + timedelta(seconds=10 * step)
            with sessions.begin() as session:
                mark_dirty(session, [sku], now=clock[0])
    finally:
        uninstall()
    [(name, args, at)] = _jobs(sessions)
    assert name == "channelhub.stock_wake"
    assert args["skus"] == ["CAP", "MUG", "TEE"]  # one wake takes the burst's SKUs
    # put off by each change (debounce 2 s) but never past 30 s after the first
    assert at == NOW + TIMING.max_wait


def _cli_marks(sessions: sessionmaker[Session], skus: list[str], at: datetime) -> None:
    """Stock changes a CLI command commits: its own sessions, no hook queues their wake."""
    cli = make_session_factory(sessions.kw["bind"])
    with cli.begin() as session:
        record_sweep(session, channel="shopify", account="shop-1", now=NOW)  # pushes stock
        mark_dirty(session, skus, now=at)


def _look(sessions: sessionmaker[Session]) -> MarkLook:
    return MarkLook(marks_reader(sessions))


def test_the_look_queues_the_wake_of_a_change_no_hook_saw(sessions: sessionmaker[Session]) -> None:
    uninstall = install_event_defers(sessions, now=lambda: NOW, timing=TIMING)
    try:
        _cli_marks(sessions, ["MUG"], NOW)
        assert _jobs(sessions) == []  # the CLI's commit queued nothing
        look = _look(sessions)
        assert (
            defer_looked_changes(sessions, look, now=NOW + timedelta(seconds=4), timing=TIMING) == 1
        )
        [(name, args, at)] = _jobs(sessions)
        assert (name, args["skus"]) == ("channelhub.stock_wake", ["MUG"])
        assert at == NOW + TIMING.debounce  # counted from the change, not from the look
        assert (
            defer_looked_changes(sessions, look, now=NOW + timedelta(seconds=9), timing=TIMING) == 0
        )
        _cli_marks(sessions, ["MUG", "TEE"], NOW + timedelta(seconds=10))  # changed again
        assert (
            defer_looked_changes(sessions, look, now=NOW + timedelta(seconds=11), timing=TIMING)
            == 2
        )
    finally:
        uninstall()
    [(_, args, at)] = _jobs(sessions)  # the waiting wake took them in
    assert args["skus"] == ["MUG", "TEE"]
    assert at == NOW + timedelta(seconds=10) + TIMING.debounce


def test_a_look_whose_wake_was_not_queued_finds_the_change_again(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    _cli_marks(sessions, ["CAP"], NOW)
    look = _look(sessions)

    def refused(*_: object, **__: object) -> None:
        raise OperationalError("INSERT", {}, Exception("the database went away"))

    monkeypatch.setattr(events, "defer_stock_wake", refused)
    with pytest.raises(OperationalError):
        defer_looked_changes(sessions, look, now=NOW, timing=TIMING)
    monkeypatch.undo()
    assert defer_looked_changes(sessions, look, now=NOW, timing=TIMING) == 1
    assert [args["skus"] for _, args, _ in _jobs(sessions)] == [["CAP"]]


@pytest.mark.anyio
async def test_channelhub_runs_look_every_watch_until_cancelled(
    sessions: sessionmaker[Session],
) -> None:
    _cli_marks(sessions, ["LID"], NOW)
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await look_for_stock_changes(sessions, now=lambda: NOW, timing=TIMING, sleep=sleep)
    assert pauses == [5.0, 5.0]  # [stock] watch_seconds' default
    assert [args["skus"] for _, args, _ in _jobs(sessions)] == [["LID"]]  # queued once
    off = StockSyncTiming(watch=None)
    await look_for_stock_changes(sessions, now=lambda: NOW, timing=off, sleep=sleep)
    assert len(pauses) == 2  # no look at all


def _cli_messages(sessions: sessionmaker[Session], *keys: str, at: datetime = NOW) -> None:
    """Outbox messages a CLI command commits (a ``sync orders`` allocating): no hook queues
    their dispatch."""
    cli = make_session_factory(sessions.kw["bind"])
    with cli.begin() as session:
        if session.get(Account, 1) is None:
            session.add(Account(id=1, platform="outbound_protocol", name="wms-east",
                                settings={"warehouse": "US-EAST"}, credentials=b"",
                                created_at=NOW, updated_at=NOW))  # fmt: skip
        for key in keys:
            outbox.enqueue(session, idempotency_key=key, target="warehouse:US-EAST",
                           kind="x", payload={}, now=at)  # fmt: skip


def _dispatches(sessions: sessionmaker[Session]) -> list[dict[str, object]]:
    return [args for name, args, _ in _jobs(sessions) if args.get("kind") == "dispatch_outbox"]


def test_the_outbox_look_queues_the_dispatch_of_messages_no_hook_saw(
    sessions: sessionmaker[Session],
) -> None:
    look = OutboxLook(came_due_reader(sessions))
    assert defer_looked_messages(sessions, look, now=NOW) == 0  # learns what is due already
    _cli_messages(sessions, "k1", at=NOW + timedelta(seconds=1))
    assert _jobs(sessions) == []  # the CLI's commit queued nothing
    assert defer_looked_messages(sessions, look, now=NOW + timedelta(seconds=5)) == 1
    assert _dispatches(sessions) == [{"account": "wms-east", "kind": "dispatch_outbox"}]
    assert defer_looked_messages(sessions, look, now=NOW + timedelta(seconds=10)) == 0
    _cli_messages(sessions, "k2", at=NOW + timedelta(seconds=11))
    assert defer_looked_messages(sessions, look, now=NOW + timedelta(seconds=15)) == 1
    assert len(_dispatches(sessions)) == 1  # the unit still waiting took it


def test_an_outbox_look_whose_units_were_not_queued_finds_them_again(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    look = OutboxLook(came_due_reader(sessions))
    defer_looked_messages(sessions, look, now=NOW)
    _cli_messages(sessions, "k1", at=NOW + timedelta(seconds=1))

    def refused(*_: object, **__: object) -> None:
        raise OperationalError("INSERT", {}, Exception("the database went away"))

    monkeypatch.setattr(events, "defer_unit", refused)
    with pytest.raises(OperationalError):
        defer_looked_messages(sessions, look, now=NOW + timedelta(seconds=5))
    monkeypatch.undo()
    assert defer_looked_messages(sessions, look, now=NOW + timedelta(seconds=10)) == 1
    assert len(_dispatches(sessions)) == 1


@pytest.mark.anyio
async def test_channelhub_runs_outbox_look_every_watch_until_cancelled(
    sessions: sessionmaker[Session],
) -> None:
    clock = [NOW]
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 1:  # between the first look and the second, a CLI commits
            _cli_messages(sessions, "k1", at=NOW + timedelta(seconds=1))
        clock[0] += timedelta(seconds=seconds)
        if len(pauses) == 3:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await look_for_messages(
            sessions, now=lambda: clock[0], timing=UnitWakeTiming(), sleep=sleep
        )
    assert pauses == [5.0, 5.0, 5.0]  # [jobs] watch_seconds' default
    assert len(_dispatches(sessions)) == 1  # queued once
    await look_for_messages(
        sessions, now=lambda: NOW, timing=UnitWakeTiming(watch=None), sleep=sleep
    )
    assert len(pauses) == 3  # no look at all


def _worker(session: Session, heartbeat: datetime) -> int:
    return int(session.scalar(text(
        "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (:at) RETURNING id"
    ), {"at": heartbeat}))  # fmt: skip


def _doing(session: Session, job_id: int | None, worker: int) -> None:
    session.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                         "WHERE id = :id"), {"w": worker, "id": job_id})  # fmt: skip


def test_queue_state_and_stalled_retry_free_the_lock_of_a_dead_worker(
    sessions: sessionmaker[Session],
) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        live, dead = (
            _worker(session, now),
            _worker(session, now - timedelta(minutes=5)),
        )
        _doing(session, defer_unit(session, "shop-1", JobKind.PULL_ORDERS), live)
        _doing(session, defer_unit(session, "shop-2", JobKind.PULL_ORDERS), dead)
        _doing(session, defer_unit(session, "shop-3", JobKind.PULL_ORDERS), dead)
        # a twin of shop-3's unit already waits (the scheduler queued it meanwhile)
        defer_unit(session, "shop-3", JobKind.PULL_ORDERS)
        defer_unit(session, "shop-4", JobKind.PUSH_STOCK, at=now + timedelta(hours=1))
    with sessions() as session:
        state = engine_state(session, engine="procrastinate", now=now,
                             stalled_after=timedelta(seconds=60))  # fmt: skip
    assert (state.queued, state.scheduled, state.workers) == (1, 1, 1)
    assert [(job.account, job.where) for job in state.running] == [("shop-1", f"worker {live}")]
    assert sorted(job.account or "" for job in state.stalled) == ["shop-2", "shop-3"]
    assert [lock.key for lock in state.locks] == ["shop-1:pull_orders"]

    async def retry() -> list[int]:
        app = build_app(sessions.kw["bind"].url.render_as_string(hide_password=False))
        async with app.open_async():
            return await retry_stalled_jobs(app.job_manager, 60)

    assert len(asyncio.run(retry())) == 2
    with sessions() as session:
        rows = session.execute(text(
            "SELECT args->>'account', status::text FROM procrastinate_jobs ORDER BY id"
        )).all()  # fmt: skip
    # shop-2 is queued again; shop-3's stalled job gives way to its waiting twin (aborted:
    # its lock is free), so nothing of the dead worker holds an account any more
    assert [tuple(row) for row in rows] == [
        ("shop-1", "doing"),
        ("shop-2", "todo"),
        ("shop-3", "aborted"),
        ("shop-3", "todo"),
        ("shop-4", "todo"),
    ]


def test_a_stock_row_letter_queues_the_account_pull_which_resolves_it_itself(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        session.add(Account(platform="winit", name="wms", settings={}, credentials=b"",
                            created_at=NOW, updated_at=NOW))  # fmt: skip
        session.flush()
        letter = record_dead_letter(
            session,
            account="wms",
            platform="winit",
            job_kind="pull_stock",
            subject=STOCK_SUBJECT,
            reason="WINIT: data.list[1].inStockQty: -3 must be at least 0",
            now=NOW,
        )
    with sessions.begin() as session:
        queued = request_replay(session, letter)
    assert queued is not None and queued.kind is JobKind.PULL_STOCK and queued.added
    # no letter attached: the pull resolves the account's stock letters when their rows read
    # and reopens one it still cannot read (tests/overseas/test_stock_rows.py)
    assert [args for _, args, _ in _jobs(sessions)] == [{"account": "wms", "kind": "pull_stock"}]
