"""pull_orders: pages committed with their cursor; a kill mid-import loses and doubles nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ServerError, Unauthorized
from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobOptions, StopToken, run_job
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.repos.leases import acquire_lease, read_lease
from channelhub.store.tables.jobs import RunOutcome
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.sync import JobLease, RawPayload, SyncCursor
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, FakeChannel, Killed, Rec

pytestmark = pytest.mark.anyio

# Order A changes 3 times; page 2 repeats B (duplicate) and page 3 carries A's older v1
# (out of order); X is a record the mapping refused.
PAGES = [
    [Rec("A", 1), Rec("B", 1)],
    [Rec("B", 1), Rec("C", 1), Rec("A", 2)],
    [Rec("X", 1, bad=True), Rec("A", 1), Rec("D", 1)],
    [Rec("A", 3), Rec("E", 1)],
]
EXPECTED = {"A": "v3", "B": "v1", "C": "v1", "D": "v1", "E": "v1"}


def orders(factory: sessionmaker[Session]) -> dict[str, str]:
    with factory() as session:
        rows = session.execute(select(OrderRow.external_id, OrderRow.channel_status))
        return {external_id: status for external_id, status in sorted(rows)}


def count_rows(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


async def run(factory: sessionmaker[Session], channel: FakeChannel, clock: Clock, **kw: object):
    return await run_job(
        factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
        **kw,  # type: ignore[arg-type]
    )


async def test_import_counts_every_record_once(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=list(PAGES))
    result = await run(session_factory, channel, clock)

    assert result.outcome is RunOutcome.OK and not result.more
    assert result.pages == 4
    assert (result.counts.new, result.counts.updated) == (5, 2)  # A v2, A v3
    assert (result.counts.unchanged, result.counts.failed) == (2, 1)  # B again, A v1; X
    assert orders(session_factory) == EXPECTED
    assert channel.calls[0][0] is None and channel.calls[0][1] is not None  # lookback window
    assert channel.closed == 1
    with session_factory() as session:
        assert get_cursor(session, ACCOUNT, "pull_orders") == {"cursor": "4", "done": True}
        (run_row,) = list_runs(session)
        assert (run_row.new, run_row.updated, run_row.unchanged, run_row.failed) == (5, 2, 2, 1)
        assert run_row.outcome == "ok" and run_row.finished_at == clock()
        (letter,) = list_dead_letters(session)
        assert letter.subject == "order" and letter.external_id == "X"
        assert "twelve" in letter.reason
        body = session.get(RawPayload, letter.raw_payload_id).body  # type: ignore[union-attr]
        assert json.loads(body)["total"] == "twelve"  # the refused record's body is kept
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]


async def test_next_run_resumes_from_the_watermark(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=list(PAGES))
    await run(session_factory, channel, clock)
    channel.pages.append([Rec("F", 1), Rec("B", 2)])
    result = await run(session_factory, channel, clock)
    assert channel.calls[-1] == ("4", None)
    assert (result.counts.new, result.counts.updated) == (1, 1)
    assert orders(session_factory) == {**EXPECTED, "B": "v2", "F": "v1"}


@pytest.mark.parametrize("killed_before", [1, 2, 3])
async def test_killed_between_pages_and_restarted_loses_and_doubles_nothing(
    session_factory: sessionmaker[Session], clock: Clock, killed_before: int
) -> None:
    channel = FakeChannel(pages=list(PAGES), kill_before_page=killed_before)
    with pytest.raises(Killed):
        await run(session_factory, channel, clock)
    with session_factory() as session:
        assert get_cursor(session, ACCOUNT, "pull_orders") == {
            "cursor": str(killed_before),
            "done": False,
        }
    channel.kill_before_page = None
    result = await run(session_factory, channel, clock)
    assert result.outcome is RunOutcome.OK
    with session_factory() as session:  # the killed run is closed in the log, not "running"
        assert [r.outcome for r in list_runs(session)] == ["ok", "abandoned"]
    assert channel.calls[-1][0] == str(killed_before)
    assert orders(session_factory) == EXPECTED
    assert count_rows(session_factory, OrderRow) == 5
    assert count_rows(session_factory, RawPayload) == 8  # distinct bodies: A1 A2 A3 B C D E X


async def test_killed_inside_a_page_commits_none_of_it(
    session_factory: sessionmaker[Session], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channelhub.jobs.orders.pulls as pulls

    real_set_cursor = pulls.set_cursor
    writes = []

    def dying_set_cursor(session: Session, *args: object, **kwargs: object) -> None:
        writes.append(args)
        if len(writes) == 2:  # page 2's orders are written, the process dies before commit
            raise Killed("killed inside page 2")
        real_set_cursor(session, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pulls, "set_cursor", dying_set_cursor)
    channel = FakeChannel(pages=list(PAGES))
    with pytest.raises(Killed):
        await run(session_factory, channel, clock)
    assert orders(session_factory) == {"A": "v1", "B": "v1"}  # page 1 only, C never half-in
    monkeypatch.setattr(pulls, "set_cursor", real_set_cursor)
    await run(session_factory, channel, clock)
    assert orders(session_factory) == EXPECTED
    assert count_rows(session_factory, RawPayload) == 8


async def test_a_run_is_bounded_and_the_next_one_continues(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=list(PAGES))
    first = await run(session_factory, channel, clock, options=JobOptions(max_pages=3))
    assert first.more and first.pages == 3 and first.outcome is RunOutcome.OK
    second = await run(session_factory, channel, clock, options=JobOptions(max_pages=3))
    assert not second.more and second.pages == 1
    assert orders(session_factory) == EXPECTED


async def test_a_stop_request_finishes_the_page_and_releases_the_lease(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    stop = StopToken()
    channel = FakeChannel(pages=list(PAGES))
    result = await run(session_factory, channel, clock, stop=stop, on_page=lambda c: stop.request())
    assert result.outcome is RunOutcome.INTERRUPTED and result.more and result.pages == 1
    with session_factory() as session:
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]
        assert get_cursor(session, ACCOUNT, "pull_orders") == {"cursor": "1", "done": False}


async def test_a_held_lease_skips_the_run(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    from datetime import timedelta

    with session_factory.begin() as session:
        acquire_lease(
            session, ACCOUNT, "pull_orders", holder="other", now=clock(), ttl=timedelta(minutes=5)
        )
    channel = FakeChannel(pages=list(PAGES))
    result = await run(session_factory, channel, clock)
    assert result.skipped and channel.calls == []
    with session_factory() as session:
        assert list_runs(session) == []
        assert session.get(JobLease, (ACCOUNT, "pull_orders")).holder == "other"  # type: ignore[union-attr]
    clock.advance(minutes=6)  # the other holder died: its lease lapses
    assert (await run(session_factory, channel, clock)).outcome is RunOutcome.OK


async def test_a_lost_lease_rolls_the_page_back(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    from datetime import timedelta

    def steal(_counts: object) -> None:
        clock.advance(minutes=11)  # our lease (10 min) lapsed during the page...
        with session_factory.begin() as session:  # ...and another runner took it over
            assert acquire_lease(
                session, ACCOUNT, "pull_orders", holder="other", now=clock(), ttl=timedelta(1)
            )

    channel = FakeChannel(pages=list(PAGES))
    result = await run(session_factory, channel, clock, on_page=steal)
    assert result.outcome is RunOutcome.INTERRUPTED and "lease" in (result.error or "")
    assert orders(session_factory) == {"A": "v1", "B": "v1"}  # page 2 rolled back
    with session_factory() as session:
        assert get_cursor(session, ACCOUNT, "pull_orders") == {"cursor": "1", "done": False}


async def test_retryable_errors_fail_the_run_fatal_ones_dead_letter_it(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=list(PAGES), fail_with=ServerError("boom", status=503))
    result = await run(session_factory, channel, clock)
    assert result.outcome is RunOutcome.FAILED and "503" in (result.error or "")
    with session_factory() as session:
        assert list_dead_letters(session) == []
    channel.fail_with = Unauthorized("token revoked", status=401)
    await run(session_factory, channel, clock)
    await run(session_factory, channel, clock)
    with session_factory() as session:
        (letter,) = list_dead_letters(session)  # one letter, reopened on each failure
        assert letter.subject == "run" and letter.attempts == 2
        assert letter.payload["error_type"] == "Unauthorized"
        assert [r.outcome for r in list_runs(session)] == ["failed"] * 3


async def test_a_bug_is_recorded_then_raised(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=list(PAGES), fail_with=KeyError("oops"))
    with pytest.raises(KeyError):
        await run(session_factory, channel, clock)
    with session_factory() as session:
        assert list_runs(session)[0].outcome == "failed"
        assert "KeyError" in list_dead_letters(session)[0].reason
        assert not read_lease(session, ACCOUNT, "pull_orders").held  # type: ignore[union-attr]


async def test_an_account_setting_sets_the_first_import_window(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    from datetime import timedelta

    from channelhub.store.repos.accounts import update_account

    with session_factory.begin() as session:
        update_account(session, ACCOUNT, now=clock(), settings={"initial_lookback_days": "400"})
    channel = FakeChannel(pages=list(PAGES))
    await run(session_factory, channel, clock)
    assert channel.calls[0] == (None, clock() - timedelta(days=400))

    with session_factory.begin() as session:
        update_account(session, ACCOUNT, now=clock(), settings={"initial_lookback_days": "lots"})
        session.execute(delete(SyncCursor))
    result = await run(session_factory, channel, clock)
    assert result.outcome is RunOutcome.FAILED
    assert "initial_lookback_days: 'lots' is not a number" in (result.error or "")


async def test_two_runners_at_once_one_runs_one_skips(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    import asyncio

    first_in_page = asyncio.Event()
    release = asyncio.Event()

    async def before_page(index: int) -> None:
        if index == 0:
            first_in_page.set()
            await release.wait()

    channel = FakeChannel(pages=list(PAGES), before_page=before_page)
    first = asyncio.create_task(run(session_factory, channel, clock, holder="runner-1"))
    await first_in_page.wait()  # runner 1 holds the lease, mid-page
    second = await run(session_factory, channel, clock, holder="runner-2")
    assert second.skipped
    release.set()
    assert (await first).outcome is RunOutcome.OK
    assert orders(session_factory) == EXPECTED
