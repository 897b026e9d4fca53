"""Tracking pushed to the channel: one fulfilment per package, verified by reading it back;
unmapped carriers and refusals are listed with their reason and can be replayed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ServerError
from channelhub.connectors.results import (
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability, SalesChannel
from channelhub.core.models import Listing, Order, Package, PackageLine, Shipment
from channelhub.jobs.fulfilment.dispatch import dispatch_outbox
from channelhub.jobs.fulfilment.push import failed_pushes, push_tracking
from channelhub.jobs.fulfilment.shipments import apply_shipment
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.outbox import replay
from channelhub.store.tables.orders import OrderRow
from tests.jobs.dispatch_fakes import T0, WH, Crash, FakeWarehouse, outbound, seed_allocated

pytestmark = pytest.mark.anyio
T1 = T0 + timedelta(hours=1)
LATER = T0 + timedelta(hours=3)
CHANNEL = "shopify:shop-us"


@dataclass
class FakeChannel:
    """A channel that stores fulfilments; it can lose them, refuse, fail, or crash the caller."""

    platform: str = "shopify"
    account: str = "shop-us"
    read_back: bool = True
    refuse: str | None = None
    lose: bool = False  # says accepted, keeps nothing
    echo: bool = False  # answers with the stored fulfilment (``recorded``), as Shopify does
    reads: int = 0  # get_fulfilments calls
    before: list[BaseException] = field(default_factory=list)
    after: list[BaseException] = field(default_factory=list)
    held: dict[str, ChannelFulfilment] = field(default_factory=dict)
    pushes: list[tuple[str, str]] = field(default_factory=list)  # (tracking, carrier)
    parents: list[str | None] = field(default_factory=list)  # each push's parent order id

    capabilities: frozenset[Capability] = field(init=False)

    def __post_init__(self) -> None:
        extra = {Capability.READ_FULFILMENTS} if self.read_back else set()
        self.capabilities = frozenset({Capability.PUSH_FULFILMENT} | extra)

    async def aclose(self) -> None:
        return None

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        if self.before:
            raise self.before.pop(0)
        self.parents.append(push.parent_external_id)
        results = []
        for package in push.packages:
            self.pushes.append((package.tracking_number, package.carrier))
            if self.refuse:
                results.append(
                    PackagePushResult(package.tracking_number, False, reason=self.refuse)
                )
                continue
            fid = f"F-{len(self.pushes)}"
            if not self.lose:
                self.held[package.tracking_number] = ChannelFulfilment(
                    fid, package.tracking_number, package.carrier
                )
            results.append(
                PackagePushResult(package.tracking_number, True, fid, recorded=self.echo)
            )
        if self.after:
            raise self.after.pop(0)
        return results

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        self.reads += 1
        return list(self.held.values())

    def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        raise NotImplementedError

    async def get_order(self, external_id: str) -> Fetched[Order]:
        raise NotImplementedError

    def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        raise NotImplementedError

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        raise NotImplementedError

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        raise NotImplementedError


def shipment(sid: str, *packages: tuple[str, str]) -> Shipment:
    return Shipment(
        outbound_key=outbound().idempotency_key,
        warehouse=WH,
        shipment_id=sid,
        shipped_at=T1,
        packages=tuple(
            Package(
                tracking_number=number,
                carrier=carrier,
                lines=(PackageLine(sku="MUG", quantity=1, order_line_id="L1"),),
            )
            for number, carrier in packages
        ),
    )


@pytest.fixture
async def factory(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory() as session:
        seed_allocated(session)
    await dispatch_outbox(factory, warehouses={WH: FakeWarehouse()}, now=T0)
    return factory


def ship(factory: sessionmaker[Session], *shipments: Shipment) -> None:
    for item in shipments:
        with factory() as session, session.begin():
            apply_shipment(session, item, now=T1)


def test_fake_is_a_sales_channel() -> None:
    assert isinstance(FakeChannel(), SalesChannel)


async def test_one_fulfilment_per_package_under_duplicated_callbacks(
    factory: sessionmaker[Session],
) -> None:
    a = shipment("S-1", ("1Z-A", "UPS"))
    b = shipment("S-2", ("1Z-B", "dhl express"))
    ship(factory, b, a, b, a)
    channel = FakeChannel()
    summary = await push_tracking(factory, channels={CHANNEL: channel}, now=T1)
    again = await push_tracking(factory, channels={CHANNEL: channel}, now=LATER)
    assert sorted(summary.pushed) == ["1Z-A", "1Z-B"] and not summary.failures
    assert again.pushed == [] and len(channel.pushes) == 2
    assert sorted(channel.pushes) == [("1Z-A", "UPS"), ("1Z-B", "DHL Express")]  # Shopify names
    with factory() as session:
        order_id = session.scalars(select(OrderRow.id)).one()
        reasons = [d.reason for d in order_decisions(session, order_id)]
        assert sorted(r for r in reasons if "is on" in r) == [
            "tracking 1Z-A (UPS) is on shopify:shop-us",
            "tracking 1Z-B (DHL Express) is on shopify:shop-us",
        ]


async def test_an_answer_that_is_the_channels_record_is_not_read_back(
    factory: sessionmaker[Session],
) -> None:
    """A channel whose answer is its stored fulfilment (Shopify's ``fulfillmentCreate``) costs
    one call a package; one that only says yes is read back, once a package."""
    ship(factory, shipment("S-1", ("1Z-A", "UPS")), shipment("S-2", ("1Z-B", "UPS")))
    echoing = FakeChannel(echo=True)
    summary = await push_tracking(factory, channels={CHANNEL: echoing}, now=T1)
    assert sorted(summary.pushed) == ["1Z-A", "1Z-B"] and echoing.reads == 0


async def test_an_answer_that_only_says_yes_is_read_back(factory: sessionmaker[Session]) -> None:
    ship(factory, shipment("S-1", ("1Z-A", "UPS")), shipment("S-2", ("1Z-B", "UPS")))
    plain = FakeChannel()
    summary = await push_tracking(factory, channels={CHANNEL: plain}, now=T1)
    assert sorted(summary.pushed) == ["1Z-A", "1Z-B"] and plain.reads == 2


async def test_the_push_names_the_orders_parent_on_the_channel(
    factory: sessionmaker[Session],
) -> None:
    # Temu ships a child order through its parent: the push carries the stored parent id
    with factory() as session, session.begin():
        session.scalars(select(OrderRow)).one().parent_external_id = "PO-211-1"
    ship(factory, shipment("S-1", ("1Z-A", "UPS")))
    channel = FakeChannel()
    summary = await push_tracking(factory, channels={CHANNEL: channel}, now=T1)
    assert summary.pushed == ["1Z-A"] and channel.parents == ["PO-211-1"]


async def test_crash_after_the_channel_took_it_does_not_push_twice(
    factory: sessionmaker[Session],
) -> None:
    ship(factory, shipment("S-1", ("1Z-A", "UPS")))
    channel = FakeChannel(after=[Crash()])
    with pytest.raises(Crash):
        await push_tracking(factory, channels={CHANNEL: channel}, now=T1)
    summary = await push_tracking(
        factory, channels={CHANNEL: channel}, now=T1 + timedelta(minutes=6)
    )
    assert summary.pushed == ["1Z-A"] and len(channel.pushes) == 1


async def test_unmapped_carrier_is_a_listed_failure_then_replayed(
    factory: sessionmaker[Session],
) -> None:
    ship(factory, shipment("S-1", ("PP-1", "Pigeon Post")))
    channel = FakeChannel()
    summary = await push_tracking(factory, channels={CHANNEL: channel}, now=T1)
    assert channel.pushes == []
    [failure] = summary.failures
    assert failure.state == "dead" and failure.tracking_number == "PP-1"
    assert "'Pigeon Post' has no Shopify tracking company" in failure.reason
    with factory() as session:
        assert failed_pushes(session) == [failure]
        replay(session, failure.message_id, now=T1)
        session.commit()
    fixed = await push_tracking(
        factory,
        channels={CHANNEL: channel},
        now=T1,
        carrier_overrides={"shopify": {"pigeon post": "Pigeon Post Ltd"}},
    )
    assert fixed.pushed == ["PP-1"] and channel.pushes == [("PP-1", "Pigeon Post Ltd")]
    with factory() as session:
        assert failed_pushes(session) == []


async def test_refusal_and_lost_tracking_are_retried_with_the_channel_reason(
    factory: sessionmaker[Session],
) -> None:
    ship(factory, shipment("S-1", ("1Z-A", "UPS")))
    channel = FakeChannel(refuse="fulfillment order is closed")
    first = await push_tracking(factory, channels={CHANNEL: channel}, now=T1)
    assert first.failures[0].state == "failed"
    assert "refused 1Z-A: fulfillment order is closed" in first.failures[0].reason
    channel.refuse, channel.lose = None, True
    second = await push_tracking(factory, channels={CHANNEL: channel}, now=LATER)
    assert "not on order 5678901234567890123 when read back" in second.failures[0].reason
    channel.lose = False
    channel.before = [ServerError("503", status=503)]
    third = await push_tracking(
        factory, channels={CHANNEL: channel}, now=LATER + timedelta(hours=2)
    )
    assert third.failures[0].state == "failed" and "503" in third.failures[0].reason
    fourth = await push_tracking(
        factory, channels={CHANNEL: channel}, now=LATER + timedelta(hours=4)
    )
    assert fourth.pushed == ["1Z-A"] and not fourth.failures


async def test_a_lost_lease_stops_before_the_push_and_nothing_is_dead_lettered(
    factory: sessionmaker[Session],
) -> None:
    from channelhub.jobs.engine.fencing import LeaseLost

    def taken_over() -> None:
        raise LeaseLost("the lease passed to another runner")

    ship(factory, shipment("S-1", ("1Z-A", "UPS")))
    channel = FakeChannel()
    with pytest.raises(LeaseLost):
        await push_tracking(factory, channels={CHANNEL: channel}, now=T1, fence=taken_over)
    assert channel.pushes == []
    with factory() as session:
        assert failed_pushes(session) == []
    summary = await push_tracking(factory, channels={CHANNEL: channel}, now=LATER)
    assert summary.pushed == ["1Z-A"] and channel.pushes == [("1Z-A", "UPS")]
