"""pull_listings, backfill by id, replaying dead letters, and building connectors."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import NotFoundError, Unauthorized
from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin
from channelhub.connectors.registry import ConnectorRegistry
from channelhub.connectors.roles import Role
from channelhub.core.errors import InvalidInput
from channelhub.core.models import Listing, OrderKey
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.replay import ReplayFailed, replay_dead_letter
from channelhub.jobs.engine.runner import JobOptions, run_job
from channelhub.jobs.orders.backfill import backfill_order
from channelhub.store.crypto import Vault
from channelhub.store.repos._upsert import UpsertOutcome
from channelhub.store.repos.accounts import get_account
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.repos.jobs import get_dead_letter, list_dead_letters
from channelhub.store.repos.listings import list_listings
from channelhub.store.repos.orders import get_order
from channelhub.store.tables.jobs import RunOutcome
from tests.jobs.conftest import Clock
from tests.jobs.fakes import ACCOUNT, PLATFORM, FakeChannel, Rec, make_order

pytestmark = pytest.mark.anyio


def listing(listing_id: str, qty: int) -> Listing:
    return Listing(channel=PLATFORM, account=ACCOUNT, listing_id=listing_id, quantity=qty)


async def test_pull_listings_resumes_a_cut_pass_and_restarts_a_finished_one(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(
        pages=[], listings=[[listing("L1", 1), listing("L2", 2)], [listing("L3", 3)]]
    )

    async def run(max_pages: int) -> Any:
        return await run_job(
            session_factory,
            ACCOUNT,
            JobKind.PULL_LISTINGS,
            connector_factory=lambda row: channel,
            now=clock,
            options=JobOptions(max_pages=max_pages),
        )

    first = await run(1)
    assert first.more and first.counts.new == 2
    second = await run(1)
    assert not second.more and second.counts.new == 1
    with session_factory() as session:
        assert get_cursor(session, ACCOUNT, "pull_listings") == {"cursor": None, "done": True}
        stored = list_listings(session, channel=PLATFORM, account=ACCOUNT)
        assert [item.quantity for item in stored] == [1, 2, 3]
    third = await run(5)  # a finished pass starts over: every listing seen again ...
    # ... and, being the same snapshot, counted unchanged rather than updated
    assert (third.counts.new, third.counts.updated, third.counts.unchanged) == (0, 0, 3)


async def test_backfill_stores_the_order_through_the_guarded_upsert(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=[[Rec("A", 1)], [Rec("A", 4)]])
    first = await backfill_order(
        session_factory, ACCOUNT, "A", connector_factory=lambda row: channel, now=clock
    )
    again = await backfill_order(
        session_factory, ACCOUNT, "A", connector_factory=lambda row: channel, now=clock
    )
    assert (first.outcome, again.outcome) == (UpsertOutcome.INSERTED, UpsertOutcome.STALE)
    assert channel.closed == 2
    with session_factory() as session:
        key = OrderKey(channel=PLATFORM, account=ACCOUNT, external_id="A")
        assert get_order(session, key).channel_status == "v4"
    with pytest.raises(NotFoundError):
        await backfill_order(
            session_factory, ACCOUNT, "nope", connector_factory=lambda row: channel, now=clock
        )


async def test_replaying_a_refused_record_maps_its_archived_body_again(
    session_factory: sessionmaker[Session], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = FakeChannel(pages=[[Rec("X", 2, bad=True)]])
    await run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
    )
    with session_factory() as session:
        (letter,) = list_dead_letters(session)

    def still_broken(platform: str, kind: str) -> Any:
        def normalize(payload: Any, *, account: str) -> list[Any]:
            raise InvalidInput.field("order.total", payload["total"], "is not a decimal amount")

        return normalize

    import channelhub.jobs.engine.replay as replay

    monkeypatch.setattr(replay, "normalizer", still_broken)
    with pytest.raises(InvalidInput):
        await replay_dead_letter(
            session_factory, letter.id, connector_factory=lambda row: channel, now=clock
        )
    with session_factory() as session:
        assert get_dead_letter(session, letter.id).attempts == 2

    def fixed(platform: str, kind: str) -> Any:
        assert (platform, kind) == (PLATFORM, "order")

        def normalize(payload: Any, *, account: str) -> list[Any]:
            return [make_order(payload["id"], payload["version"], account=account)]

        return normalize

    monkeypatch.setattr(replay, "normalizer", fixed)
    said = await replay_dead_letter(
        session_factory, letter.id, connector_factory=lambda row: channel, now=clock
    )
    assert "inserted" in said
    with session_factory() as session:
        assert get_dead_letter(session, letter.id).state == "resolved"
        key = OrderKey(channel=PLATFORM, account=ACCOUNT, external_id="X")
        assert get_order(session, key).channel_status == "v2"
    with pytest.raises(InvalidInput):  # a resolved letter is not replayed twice
        await replay_dead_letter(
            session_factory, letter.id, connector_factory=lambda row: channel, now=clock
        )


async def test_replaying_a_failed_run_runs_the_job_again(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    channel = FakeChannel(pages=[[Rec("A", 1)]], fail_with=Unauthorized("revoked", status=401))

    async def replay(letter_id: int) -> str:
        return await replay_dead_letter(
            session_factory, letter_id, connector_factory=lambda row: channel, now=clock
        )

    failed = await run_job(
        session_factory,
        ACCOUNT,
        JobKind.PULL_ORDERS,
        connector_factory=lambda row: channel,
        now=clock,
    )
    assert failed.outcome is RunOutcome.FAILED
    with session_factory() as session:
        (letter,) = list_dead_letters(session)
    with pytest.raises(ReplayFailed):
        await replay(letter.id)
    channel.fail_with = None  # credentials renewed
    assert "ok" in await replay(letter.id)
    with session_factory() as session:
        assert list_dead_letters(session) == []


class ContextEcho:
    """A connector that only remembers the context it was built with."""

    def __init__(self, context: ConnectorContext) -> None:
        self.context = context


ECHO_PLUGIN = ConnectorPlugin(
    platform=PLATFORM, roles=frozenset({Role.SALES_CHANNEL}), create=ContextEcho
)


async def test_connector_factory_builds_from_the_account_row(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    registry = ConnectorRegistry(
        builtins={PLATFORM: f"{__name__}:ECHO_PLUGIN"}, discover=lambda: []
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    factory = ConnectorFactory(vault, registry=registry, transport=lambda row: transport)
    with session_factory() as session:
        row = get_account(session, ACCOUNT)
    built = factory(row)
    context = built.context
    assert (context.platform, context.account) == (PLATFORM, ACCOUNT)
    assert context.base_url == "http://fakeshop.test"
    assert context.credential("token") == SecretStr("tok-123")
    assert "tok-123" not in repr(context) and "tok-123" not in repr(factory)
    assert context.settings == {"marketplace": "US"}
    assert context.transport is transport
    assert json.dumps(dict(context.settings))  # settings are plain data
