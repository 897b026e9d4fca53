"""The push_stock job through ``run_job``: off until the seller turns it on, and a mass drop
stopped before any call, shown in the job log, ``stock explain`` and ``/metrics``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from channelhub.api.app import create_app
from channelhub.core.listing import ListingKey
from channelhub.core.sellable import StockRules
from channelhub.core.stock import MovementKind
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.jobs.stock.push import PushSafety, push_status, push_stock, turn_stock_sync_on
from channelhub.store.repos.accounts import update_account
from channelhub.store.repos.jobs import list_runs
from channelhub.store.repos.listings import get_listing
from channelhub.store.repos.stock_sync import get_block
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, PLATFORM
from tests.jobs.test_handlers import Shop
from tests.stocksync.seed import add_catalog, add_listing, move

pytestmark = pytest.mark.anyio
OFF_NOTE = f"stock sync is off for {ACCOUNT}: preview it with `channelhub stock push {ACCOUNT}`"


def _seed(factory: sessionmaker[Session]) -> None:
    with factory.begin() as session:
        add_catalog(session)
        for listing_id, sku, multiplier in (
            ("A-MUG", "MUG", 1), ("A-MUG2", "MUG", 2), ("A-SET", "MUG-SET", 1),
            ("A-BOX", "GIFT-BOX", 1),
        ):  # fmt: skip
            add_listing(session, PLATFORM, ACCOUNT, listing_id, sku=sku, multiplier=multiplier)
        move(session, "MUG", 12)
        move(session, "LID", 4)
        move(session, "GIFT-BOX", 5)


async def _run(factory: sessionmaker[Session], shop: Shop, clock: Clock):  # type: ignore[no-untyped-def]
    return await run_job(
        factory, ACCOUNT, JobKind.PUSH_STOCK, connector_factory=lambda _: shop, now=clock
    )


@pytest.fixture
async def metrics(
    session_factory: sessionmaker[Session], clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        session_factory=session_factory,
        connector_factory=lambda row: None,
        now=clock,
        status=lambda: {"jobs_running": 0},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as client:
        yield client


async def test_the_push_job_does_nothing_until_the_seller_turns_stock_sync_on(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    _seed(session_factory)
    shop = Shop(pages=[])
    result = await _run(session_factory, shop, clock)
    assert result.outcome == "ok" and shop.pushed == [] and result.note == OFF_NOTE
    with session_factory() as session:
        (run,) = list_runs(session, account=ACCOUNT, job_kind="push_stock")
        assert run.error == OFF_NOTE  # the job log says why the run did nothing
        turn_stock_sync_on(session, ACCOUNT, now=clock())
        session.commit()
    clock.advance(minutes=1)
    result = await _run(session_factory, shop, clock)
    assert result.outcome == "ok" and result.note is None
    assert sorted(shop.pushed) == [("A-BOX", 5), ("A-MUG", 12), ("A-MUG2", 6), ("A-SET", 4)]


async def test_a_mass_drop_stops_before_any_call_and_shows_in_log_explain_and_metrics(
    session_factory: sessionmaker[Session], clock: Clock, metrics: httpx.AsyncClient
) -> None:
    _seed(session_factory)
    with session_factory.begin() as session:
        turn_stock_sync_on(session, ACCOUNT, now=clock())
    shop = Shop(pages=[])
    assert (await _run(session_factory, shop, clock)).outcome == "ok"
    assert len(shop.pushed) == 4
    gauge = f'channelhub_stock_push_blocked{{account="{ACCOUNT}",channel="{PLATFORM}"}}'
    assert f"{gauge} 0" in (await metrics.get("/metrics")).text.splitlines()
    with session_factory.begin() as session:  # every mug promised at once: 3 listings to 0
        move(session, "MUG", 12, kind=MovementKind.RESERVE)
    clock.advance(minutes=2)
    result = await _run(session_factory, shop, clock)
    assert result.outcome == "failed" and len(shop.pushed) == 4  # nothing was sent
    reason = "stock push stopped: it would cut 3 of 4 listings (all to 0)"
    assert result.error is not None and result.error.startswith(reason)
    assert f"channelhub stock push {ACCOUNT} --confirm" in result.error
    with session_factory() as session:
        assert list_runs(session, account=ACCOUNT, limit=1)[0].error == result.error  # jobs log
        mug = get_listing(
            session, ListingKey(channel=PLATFORM, account=ACCOUNT, listing_id="A-MUG")
        )
        (line,) = push_status(session, mug, rules=StockRules(), allowed_warehouses=None)
    assert line.startswith("push STOPPED at ") and reason in line
    assert "this listing would go from 12 to 0" in line
    assert f"{gauge} 1" in (await metrics.get("/metrics")).text.splitlines()
    clock.advance(minutes=5)  # the next scheduled run stops again: nothing is sent
    assert (await _run(session_factory, shop, clock)).outcome == "failed"
    assert len(shop.pushed) == 4
    # the seller's `stock push ACCOUNT --confirm`
    summary = await push_stock(
        session_factory,
        account=ACCOUNT,
        connector=shop,
        rules=StockRules(),
        now=clock(),
        safety=PushSafety(confirm_drops=True),
    )
    assert sorted(shop.pushed[4:]) == [("A-MUG", 0), ("A-MUG2", 0), ("A-SET", 0)]
    assert [d.listing for d in summary.confirmed_drops] == [
        f"{PLATFORM}:{ACCOUNT}:{listing}" for listing in ("A-MUG", "A-MUG2", "A-SET")
    ]
    assert f"{gauge} 0" in (await metrics.get("/metrics")).text.splitlines()
    with session_factory() as session:
        assert get_block(session, channel=PLATFORM, account=ACCOUNT) is None
        assert push_status(session, mug, rules=StockRules(), allowed_warehouses=None) == []
    clock.advance(minutes=5)
    assert (await _run(session_factory, shop, clock)).outcome == "ok"


async def test_an_account_may_set_its_own_share_and_a_bad_one_fails_the_run_clearly(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    _seed(session_factory)
    with session_factory.begin() as session:
        turn_stock_sync_on(session, ACCOUNT, now=clock())
    shop = Shop(pages=[])
    await _run(session_factory, shop, clock)
    with session_factory.begin() as session:
        move(session, "MUG", 12, kind=MovementKind.RESERVE)
        update_account(session, ACCOUNT, now=clock(), settings={"stock_mass_drop_share": "2"})
    clock.advance(minutes=2)
    result = await _run(session_factory, shop, clock)
    assert result.outcome == "failed" and result.error is not None
    assert "stock_mass_drop_share: '2' is not a share between 0 and 1" in result.error
    with session_factory.begin() as session:  # this seller accepts any drop
        update_account(session, ACCOUNT, now=clock(), settings={"stock_mass_drop_share": 1})
    clock.advance(minutes=2)
    result = await _run(session_factory, shop, clock)
    assert result.outcome == "ok" and ("A-MUG", 0) in shop.pushed
