"""The outbound job handlers through ``run_job``: push_stock, push_tracking, poll_shipments,
and pull_orders feeding the order pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ConnectFailure, ServerError
from channelhub.connectors.results import (
    ChannelFulfilment,
    FulfilmentPush,
    PackagePushResult,
    QuantityPushResult,
    QuantityUpdate,
    RawRecord,
)
from channelhub.connectors.roles import Capability
from channelhub.core.fulfilment import Package, Shipment, TrackingEvent, TrackingStatus
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import OrderKey
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobOptions, run_job, run_job_when_free
from channelhub.jobs.fulfilment.intercept import request_intercept
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.jobs.stock.push import turn_stock_sync_on
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.repos.jobs import RunCounts, list_dead_letters
from channelhub.store.repos.leases import acquire_lease, release_lease
from channelhub.store.tables.jobs import JobRun
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.jobs.conftest import Clock
from tests.jobs.dispatch_fakes import FakeWarehouse, outbound, seed_allocated
from tests.jobs.fakes import ACCOUNT, FakeChannel, Rec
from tests.stocksync.seed import add_catalog, add_listing, move

pytestmark = pytest.mark.anyio
OUT = outbound((("MUG", 2),))


@dataclass
class Shop(FakeChannel):
    """A channel that takes quantities and fulfilments (and refuses what it is told to)."""

    refuse: dict[str, tuple[str, bool]] = field(default_factory=dict)
    pushed: list[tuple[str, int]] = field(default_factory=list)
    fulfilled: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.capabilities = self.capabilities | {
            Capability.PUSH_QUANTITIES,
            Capability.PUSH_FULFILMENT,
            Capability.READ_FULFILMENTS,
        }

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        results = []
        for u in updates:
            self.pushed.append((u.listing.listing_id, u.quantity))
            refused = self.refuse.get(u.listing.listing_id)
            results.append(
                QuantityPushResult(u.listing, u.quantity, False, *refused)
                if refused
                else QuantityPushResult(u.listing, u.quantity, True)
            )
        return results

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        self.fulfilled.extend(p.tracking_number for p in push.packages)
        return [
            PackagePushResult(tracking_number=p.tracking_number, accepted=True)
            for p in push.packages
        ]

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        return [
            ChannelFulfilment(fulfilment_id=f"F-{n}", tracking_number=n, carrier="UPS")
            for n in self.fulfilled
        ]


async def test_push_stock_counts_and_dead_letters_a_final_rejection(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    with session_factory.begin() as session:
        add_catalog(session)
        add_listing(session, "fakeshop", ACCOUNT, "A-MUG", sku="MUG")
        add_listing(session, "fakeshop", ACCOUNT, "A-SET", sku="MUG-SET")
        move(session, "MUG", 10)
        turn_stock_sync_on(session, ACCOUNT, now=clock())
    shop = Shop(pages=[], refuse={"A-SET": ("listing suppressed", False)})
    result = await run_job(
        session_factory, ACCOUNT, JobKind.PUSH_STOCK, connector_factory=lambda _: shop, now=clock
    )
    assert result.outcome == "ok" and sorted(shop.pushed) == [("A-MUG", 10), ("A-SET", 0)]
    assert (result.counts.updated, result.counts.failed) == (1, 1)
    with session_factory() as session:
        (letter,) = list_dead_letters(session)
        assert letter.subject == "stock_push" and "listing suppressed" in letter.reason


async def test_push_stock_reads_the_rulebook_of_the_hub_home(
    session_factory: sessionmaker[Session], clock: Clock, tmp_path: object
) -> None:
    from pathlib import Path

    home = Path(str(tmp_path))
    (home / "rules.toml").write_text("[stock.default]\nbuffer = 4\n")
    with session_factory.begin() as session:
        add_catalog(session)
        add_listing(session, "fakeshop", ACCOUNT, "A-MUG", sku="MUG")
        move(session, "MUG", 10)
        turn_stock_sync_on(session, ACCOUNT, now=clock())
    shop = Shop(pages=[])
    await run_job(
        session_factory, ACCOUNT, JobKind.PUSH_STOCK, connector_factory=lambda _: shop,
        now=clock, options=JobOptions(home=home),
    )  # fmt: skip
    assert shop.pushed == [("A-MUG", 6)]


async def _shipped_through_the_runner(
    session_factory: sessionmaker[Session],
    vault: Vault,
    clock: Clock,
    shop_settings: dict[str, object] | None = None,
) -> None:
    """OUT allocated, dispatched to the fake warehouse through the runner, and shipped as
    package 1ZA: its tracking push to shop-us (with ``shop_settings``) is queued."""
    with session_factory() as session:
        seed_allocated(session, OUT)
    with session_factory.begin() as session:
        for platform, name in (("shopify", "shop-us"), ("ups", "ups-1"), ("fakewms", "US-EAST")):
            add_account(
                session, vault, platform=platform, name=name, now=clock(),
                credentials={"k": SecretStr("v")},
                settings=shop_settings if name == "shop-us" else None,
            )  # fmt: skip
    wms = FakeWarehouse()
    await run_job(
        session_factory, "US-EAST", JobKind.DISPATCH_OUTBOX, connector_factory=lambda _: wms,
        now=clock,
    )  # fmt: skip
    with session_factory.begin() as session:
        shipment = Shipment(
            outbound_key=OUT.idempotency_key, warehouse=OUT.warehouse, shipment_id="S1",
            shipped_at=clock(),
            packages=(Package(package_id="P1", tracking_number="1ZA", carrier="ups"),),
        )  # fmt: skip
        apply_shipment(session, shipment, now=clock())


async def test_push_tracking_and_poll_shipments_through_the_runner(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    await _shipped_through_the_runner(session_factory, vault, clock)
    shop = Shop(pages=[], account="shop-us", platform="shopify")
    pushed = await run_job(
        session_factory, "shop-us", JobKind.PUSH_TRACKING, connector_factory=lambda _: shop,
        now=clock,
    )  # fmt: skip
    assert pushed.counts.updated == 1 and shop.fulfilled == ["1ZA"]
    with session_factory() as session:
        assert session.scalars(select(OutboxMessage.state).where(
            OutboxMessage.kind == "fulfilment")).all() == ["sent"]  # fmt: skip

    class Ups:
        platform, account = "ups", "ups-1"
        capabilities = frozenset({Capability.TRACK})

        async def quote(self, request: object) -> list[object]:
            return []

        async def create_label(self, request: object) -> object:
            return None

        async def track(self, number: str) -> list[TrackingEvent]:
            return [
                TrackingEvent(
                    tracking_number=number, carrier="ups", status=TrackingStatus.DELIVERED,
                    raw_code="D", occurred_at=clock() + timedelta(days=2),
                )
            ]  # fmt: skip

        async def aclose(self) -> None:
            return None

    polled = await run_job(
        session_factory, "ups-1", JobKind.POLL_SHIPMENTS, connector_factory=lambda _: Ups(),
        now=clock,
    )  # fmt: skip
    assert (polled.counts.new, polled.counts.updated) == (1, 1)
    with session_factory() as session:
        assert session.scalars(select(OrderRow.hub_status)).one() == "delivered"


async def test_pulled_orders_go_through_the_pipeline_after_their_page(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    shop = FakeChannel(pages=[[Rec("1001", 1)], [Rec("1002", 1)]])
    result = await run_job(
        session_factory, ACCOUNT, JobKind.PULL_ORDERS, connector_factory=lambda _: shop, now=clock
    )
    assert result.counts.new == 2
    with session_factory() as session:
        # listing P1 is paired to nothing: the pipeline moved both to awaiting_pairing
        assert session.scalars(select(OrderRow.hub_status)).all() == ["awaiting_pairing"] * 2


async def test_a_caught_up_import_takes_up_orders_that_arrived_another_way(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """A webhook, backfill or reconciliation repair stores an order with no page to ride on:
    the next pull_orders run that catches up plans it (here: no pairing -> awaiting_pairing)."""
    from channelhub.jobs.orders.intake import intake_order
    from tests.jobs.fakes import make_order

    with session_factory.begin() as session:
        intake_order(session, make_order("2001", 1), now=clock())
        intake_order(session, make_order("9001", 1, account="other-shop"), now=clock())
    quiet = FakeChannel(pages=[])
    result = await run_job(
        session_factory, ACCOUNT, JobKind.PULL_ORDERS, connector_factory=lambda _: quiet, now=clock
    )
    assert result.counts.new == 0
    with session_factory() as session:
        statuses = dict(session.execute(select(OrderRow.external_id, OrderRow.hub_status)).all())
    # this account's waiting order was planned; another account's is left to its own job
    assert statuses == {"2001": "awaiting_pairing", "9001": "new"}


async def test_a_job_the_platform_cannot_do_is_skipped_with_a_note_not_failed(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """A channel without PUSH_QUANTITIES (declared missing, as Temu declares its fulfilment
    read-back): the run ends ok, says what it skipped, and files no dead letter."""
    with session_factory.begin() as session:
        add_catalog(session)
        add_listing(session, "fakeshop", ACCOUNT, "A-MUG", sku="MUG")
        move(session, "MUG", 10)
        turn_stock_sync_on(session, ACCOUNT, now=clock())
    unable = FakeChannel(pages=[])
    assert Capability.PUSH_QUANTITIES not in unable.capabilities
    result = await run_job(
        session_factory, ACCOUNT, JobKind.PUSH_STOCK, connector_factory=lambda _: unable, now=clock
    )
    assert result.outcome == "ok" and result.error is None
    assert result.note is not None and result.note.startswith("skipped: ")
    assert "push_quantities" in result.note
    with session_factory() as session:
        assert list_dead_letters(session) == []


async def test_a_run_asked_for_by_hand_waits_for_the_one_in_progress(
    session_factory: sessionmaker[Session], clock: Clock
) -> None:
    """`jobs run` beside `channelhub run`: the scheduler holds the job; the hand-started run
    waits for its lease, then runs; it gives up only when the wait runs out (injected time)."""
    with session_factory.begin() as session:
        assert acquire_lease(
            session, ACCOUNT, JobKind.PULL_ORDERS.value, holder="scheduler", now=clock(),
            ttl=timedelta(minutes=5),
        )  # fmt: skip
    waited: list[float] = []

    async def scheduler_finishes(seconds: float) -> None:
        waited.append(seconds)
        clock.advance(seconds=seconds)
        if len(waited) == 3:  # the scheduler's page is done: it gives the lease back
            with session_factory.begin() as session:
                release_lease(session, ACCOUNT, JobKind.PULL_ORDERS.value, holder="scheduler")

    shop = FakeChannel(pages=[])
    result = await run_job_when_free(
        session_factory, ACCOUNT, JobKind.PULL_ORDERS, wait=timedelta(seconds=60),
        clock=clock, sleep=scheduler_finishes, connector_factory=lambda _: shop, now=clock,
    )  # fmt: skip
    assert not result.skipped and result.outcome == "ok" and len(waited) == 3
    with session_factory.begin() as session:
        assert acquire_lease(
            session, ACCOUNT, JobKind.PULL_ORDERS.value, holder="scheduler", now=clock(),
            ttl=timedelta(minutes=5),
        )  # fmt: skip

    async def never(seconds: float) -> None:
        clock.advance(seconds=seconds)

    gave_up = await run_job_when_free(
        session_factory, ACCOUNT, JobKind.PULL_ORDERS, wait=timedelta(seconds=2),
        clock=clock, sleep=never, connector_factory=lambda _: shop, now=clock,
    )  # fmt: skip
    assert gave_up.skipped


async def test_a_dispatch_run_stops_its_catch_up_when_the_warehouse_gives_no_answer(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    with session_factory() as session:
        seed_allocated(session, *(outbound((("MUG", 1),), part=part) for part in (1, 2, 3)))
    with session_factory.begin() as session:
        add_account(
            session, vault, platform="fakewms", name="US-EAST", now=clock(),
            credentials={"k": SecretStr("v")},
        )  # fmt: skip
    wms = FakeWarehouse(before=[ConnectFailure("connection refused")])
    result = await run_job(
        session_factory, "US-EAST", JobKind.DISPATCH_OUTBOX, connector_factory=lambda _: wms,
        now=clock,
    )  # fmt: skip
    assert result.outcome == "ok" and not result.more  # no catch-up unit on a dead warehouse
    assert result.counts.failed == 3 and len(wms.calls) == 1
    assert result.note is not None and "2 message(s) handed back untried" in result.note


async def test_a_dispatch_run_counts_an_unanswered_cancel_as_failed(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock
) -> None:
    """A cancel the warehouse did not answer (503) is a failure in the run's counts, not an
    update; the one it answered next time is."""
    with session_factory() as session:
        seed_allocated(session)
    with session_factory.begin() as session:
        add_account(
            session, vault, platform="fakewms", name="US-EAST", now=clock(),
            credentials={"k": SecretStr("v")},
        )  # fmt: skip
    wms = FakeWarehouse(cancel_before=[ServerError("503", status=503)])

    async def dispatch() -> RunCounts:
        result = await run_job(
            session_factory, "US-EAST", JobKind.DISPATCH_OUTBOX,
            connector_factory=lambda _: wms, now=clock,
        )  # fmt: skip
        return result.counts

    assert (await dispatch()).updated == 1  # the order, created
    order = OrderKey(channel="shopify", account="shop-us", external_id="5678901234567890123")
    with session_factory.begin() as session:
        request_intercept(session, order, then=HubStatus.CANCELLED, reason="buyer", now=clock())
    unanswered = await dispatch()
    assert (unanswered.updated, unanswered.failed) == (0, 1)
    clock.advance(hours=1)
    answered = await dispatch()
    assert (answered.updated, answered.failed) == (1, 0)
    assert [key for key, _ in wms.cancels] == [outbound().idempotency_key]


@dataclass
class ReadsShop(Shop):
    """A channel whose order reads carry the orders' fulfilments (FULFILMENTS_IN_ORDERS)."""

    read_backs: int = 0

    def __post_init__(self) -> None:
        super().__post_init__()
        self.capabilities = self.capabilities | {Capability.FULFILMENTS_IN_ORDERS}

    def fulfilments_shown(self, raw: RawRecord) -> list[ChannelFulfilment] | None:
        return None

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        self.read_backs += 1
        return await super().get_fulfilments(order_external_id)


@pytest.mark.parametrize("imports_on", [True, False])
async def test_a_push_waits_for_the_accounts_import_only_when_it_imports(
    session_factory: sessionmaker[Session], vault: Vault, clock: Clock, imports_on: bool
) -> None:
    """The run leaves a push the channel's reads confirm to the account's next import, and
    says so; with the account's imports switched off, nothing would confirm it: read back."""
    shop_settings = {"jobs": {"pull_orders": imports_on}}
    await _shipped_through_the_runner(session_factory, vault, clock, shop_settings)
    shop = ReadsShop(pages=[], account="shop-us", platform="shopify")
    pushed = await run_job(
        session_factory, "shop-us", JobKind.PUSH_TRACKING, connector_factory=lambda _: shop,
        now=clock,
    )  # fmt: skip
    assert pushed.counts.updated == 1 and shop.fulfilled == ["1ZA"]
    with session_factory() as session:
        state = session.scalars(select(OutboxMessage.state).where(
            OutboxMessage.kind == "fulfilment")).one()  # fmt: skip
        note = session.scalars(select(JobRun.error).where(JobRun.id == pushed.run_id)).one()
    if imports_on:
        assert (state, shop.read_backs) == ("sending", 0)
        assert note == "1 accepted, to be confirmed by the next read of their order"
    else:
        assert (state, shop.read_backs) == ("sent", 1)
        assert note is None
