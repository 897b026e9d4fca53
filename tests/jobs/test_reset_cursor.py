"""``accounts reset-cursor``'s effect on pull_orders: a forgotten cursor re-imports from the
first-run lookback, a cursor reset ``--since`` re-imports from that date (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.jobs import JobKind
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.store.repos.cursors import get_cursor, reset_cursor, since_of
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, FakeChannel, Rec

pytestmark = pytest.mark.anyio


async def test_a_reset_cursor_restarts_the_import_where_it_says(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    options = JobOptions(initial_lookback=timedelta(days=5))

    async def run(channel: FakeChannel) -> None:
        await run_job(
            session_factory,
            ACCOUNT,
            JobKind.PULL_ORDERS,
            connector_factory=lambda row: channel,
            now=clock,
            options=options,
        )

    first = FakeChannel(pages=[[Rec("A", 1)]])
    await run(first)
    with session_factory() as session:
        assert get_cursor(session, ACCOUNT, "pull_orders") is not None
    since = datetime(2025, 12, 1, tzinfo=UTC)
    with session_factory.begin() as session:
        assert reset_cursor(session, ACCOUNT, "pull_orders", now=clock(), since=since) is True
        assert since_of(get_cursor(session, ACCOUNT, "pull_orders")) == since
    again = FakeChannel(pages=[[Rec("A", 1)]])
    await run(again)
    assert again.calls[0] == (None, since)
    with session_factory.begin() as session:
        assert reset_cursor(session, ACCOUNT, "pull_orders", now=clock()) is True
        assert get_cursor(session, ACCOUNT, "pull_orders") is None
        assert reset_cursor(session, ACCOUNT, "pull_orders", now=clock()) is False
    fresh = FakeChannel(pages=[[Rec("A", 1)]])
    await run(fresh)
    assert fresh.calls[0] == (None, clock() - timedelta(days=5))
