"""Amazon tracking pushes confirmed by the next read of the order, not by a read-back of their
own (channelhub/jobs/fulfilment/confirmations.py), against the Amazon simulator."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.cli.runtime import job_options
from channelhub.connectors.amazon import AmazonConnector
from channelhub.core.models import Order
from channelhub.jobs.fulfilment.confirmations import (
    CONFIRM_WITHIN,
    confirm_from_reads,
    confirm_window,
)
from channelhub.jobs.fulfilment.push import push_tracking
from channelhub.jobs.orders.pulls import store_order_page
from channelhub.jobs.reconciliation.run import reconcile_sales_channel
from channelhub.settings import Settings
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from tests.amazon.harness import Rig
from tests.amazon.harness import make_rig as amazon_rig
from tests.jobs.test_channel_units_e2e import hub_ships

pytestmark = pytest.mark.anyio
NUMBER = "1ZCONFIRM01"


async def _shipped(engine: Engine) -> tuple[Rig, AmazonConnector, Order, sessionmaker[Session]]:
    """An unshipped Amazon order imported, planned, dispatched and shipped by the warehouse:
    its tracking push is queued."""
    rig = amazon_rig(seed=2, order_count=60)
    connector = rig.connector()
    wire = rig.unshipped_order(lambda n: n == 1)
    order = (await connector.get_order(wire["orderId"])).item
    (line,) = order.lines
    factory = make_session_factory(engine)
    packages = [(NUMBER, [("TEE-M", line.quantity)])]
    await hub_ships(factory, order, sku="TEE-M", multiplier=1, packages=packages, at=rig.time.now)
    return rig, connector, order, factory


def _calls(rig: Rig) -> Counter[str]:
    """SP-API calls by path kind, from the simulator's journal."""
    counts: Counter[str] = Counter()
    for request in rig.sp_api_requests():
        if request.path.endswith("/shipmentConfirmation"):
            counts["confirmShipment"] += 1
        elif "/orders/2026-01-01/orders/" in request.path:
            counts["getOrder"] += 1
        elif "/orders/2026-01-01/orders" in request.path:
            counts["searchOrders"] += 1
    return counts


def _message(factory: sessionmaker[Session]) -> OutboxMessage:
    with factory() as session:
        return session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "fulfilment")
        ).one()


def _pushed_decisions(factory: sessionmaker[Session], order: Order) -> list[Any]:
    with factory() as session:
        decisions = order_decisions(session, get_order_row(session, order.key).id)
    return [d for d in decisions if d.kind == "tracking_pushed"]


async def _push(factory: sessionmaker[Session], connector: AmazonConnector, now: Any) -> Any:
    return await push_tracking(
        factory, channels={f"amazon:{connector.account}": connector}, now=now
    )


async def test_an_accepted_push_waits_for_the_next_read_without_a_read_back(engine: Engine) -> None:
    rig, connector, order, factory = await _shipped(engine)
    before = _calls(rig)
    at = rig.time.now
    summary = await _push(factory, connector, at)
    assert summary.awaiting == [NUMBER] and summary.pushed == [] and not summary.failures
    # the packages read before (confirmShipment has no idempotency key), the push: no read-back
    spent = _calls(rig) - before
    assert spent == Counter({"getOrder": 1, "confirmShipment": 1}), spent
    message = _message(factory)
    assert message.state == OutboxState.SENDING.value and message.last_error is None
    assert message.next_attempt_at == at + CONFIRM_WITHIN  # no run takes it before
    assert _pushed_decisions(factory, order) == []
    with factory() as session:  # the order says what was sent and what confirms it
        decisions = order_decisions(session, get_order_row(session, order.key).id)
    (sent,) = [d for d in decisions if d.kind == "tracking_sent"]
    assert sent.detail == {
        "tracking_number": NUMBER,
        "confirm_by": (at + CONFIRM_WITHIN).isoformat(),
    }
    assert "the next read of the order confirms it" in sent.reason
    # a push run meanwhile leaves it alone
    again = await _push(factory, connector, at + CONFIRM_WITHIN - timedelta(seconds=1))
    assert again.pushed == again.awaiting == [] and _calls(rig) - before == spent
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


async def test_the_next_import_page_confirms_it_at_no_extra_call(engine: Engine) -> None:
    rig, connector, order, factory = await _shipped(engine)
    await _push(factory, connector, rig.time.now)
    rig.time.now += timedelta(minutes=3)  # searchOrders' window ends 2 minutes before now
    before = _calls(rig)
    stored = 0
    async for page in connector.pull_orders(since=rig.time.now - timedelta(hours=1)):
        with factory() as session, session.begin():
            store_order_page(
                session,
                page,
                platform="amazon",
                account=connector.account,
                job_kind="pull_orders",
                now=rig.time.now,
                channel=connector,
            )
        stored += len(page.items)
    assert stored and (_calls(rig) - before)["getOrder"] == 0
    assert _message(factory).state == OutboxState.SENT.value
    (decision,) = _pushed_decisions(factory, order)
    assert decision.detail["tracking_number"] == NUMBER
    assert decision.reason.startswith(f"tracking {NUMBER} ") and "amazon:" in decision.reason
    # the next push run has nothing left to do
    after = await _push(factory, connector, rig.time.now + CONFIRM_WITHIN)
    assert after.pushed == after.awaiting == [] and not after.failures
    await connector.aclose()


async def test_a_read_back_by_id_confirms_it_and_another_order_does_not(engine: Engine) -> None:
    rig, connector, order, factory = await _shipped(engine)
    await _push(factory, connector, rig.time.now)
    other = next(o for o in rig.sim.state.orders if o != order.external_id)
    with factory() as session, session.begin():
        unrelated = (await connector.get_order(other)).raw
        confirmed = confirm_from_reads(
            session, connector, [unrelated], platform="amazon", account=connector.account,
            now=rig.time.now,
        )  # fmt: skip
    assert confirmed == [] and _message(factory).state == OutboxState.SENDING.value
    with factory() as session, session.begin():
        fetched = await connector.get_order(order.external_id)  # as the SQS consumer reads it
        confirmed = confirm_from_reads(
            session, connector, [fetched.raw], platform="amazon", account=connector.account,
            now=rig.time.now,
        )  # fmt: skip
    assert confirmed == [NUMBER] and _message(factory).state == OutboxState.SENT.value
    await connector.aclose()


async def test_unconfirmed_in_time_it_is_read_back_once_and_never_pushed_twice(
    engine: Engine,
) -> None:
    rig, connector, order, factory = await _shipped(engine)
    at = rig.time.now
    await _push(factory, connector, at)
    before = _calls(rig)
    lapsed = await _push(factory, connector, at + CONFIRM_WITHIN)
    assert lapsed.pushed == [NUMBER] and not lapsed.failures
    assert _calls(rig) - before == Counter({"getOrder": 1})  # read back, found: not pushed
    assert _message(factory).state == OutboxState.SENT.value
    assert len(_pushed_decisions(factory, order)) == 1
    packages = rig.sim.state.packages[order.external_id].values()
    assert [p["trackingNumber"] for p in packages] == [NUMBER]
    await connector.aclose()


async def test_unconfirmed_and_not_on_the_channel_it_is_pushed_again(engine: Engine) -> None:
    rig, connector, order, factory = await _shipped(engine)
    at = rig.time.now
    unshipped = copy.deepcopy(rig.sim.state.orders[order.external_id])
    await _push(factory, connector, at)
    rig.sim.state.orders[order.external_id] = unshipped  # Amazon lost it
    rig.sim.state.packages[order.external_id] = {}
    before = _calls(rig)
    lapsed = await _push(factory, connector, at + CONFIRM_WITHIN)
    assert lapsed.awaiting == [NUMBER] and not lapsed.failures
    # read back (not there), the push's own read of the packages, the push again
    assert _calls(rig) - before == Counter({"getOrder": 2, "confirmShipment": 1})
    packages = rig.sim.state.packages[order.external_id].values()
    assert [p["trackingNumber"] for p in packages] == [NUMBER]
    await connector.aclose()


async def test_reconciliation_takes_tracking_from_the_pulled_orders_not_a_read_each(
    engine: Engine,
) -> None:
    """The reconcile job compares the hub's shipped tracking with the channel's from the
    searchOrders pages it pulls anyway (they carry the packages): no getOrder per shipped
    order, and a number the channel lacks is still found."""
    rig, connector, order, factory = await _shipped(engine)
    await _push(factory, connector, rig.time.now)
    rig.time.now += timedelta(minutes=3)
    since = rig.time.now - timedelta(days=30)
    before = _calls(rig)
    report = await reconcile_sales_channel(factory, connector, since=since, now=rig.time.now)
    assert (_calls(rig) - before)["getOrder"] == 0
    assert report.counts["compared"]["fulfilments_read"] == 1
    assert report.counts["compared"]["fulfilments_read_back"] == 0
    assert not [d for d in report.discrepancies if order.external_id in d.subject_text]
    # the package gone from Amazon: the same pull shows it missing
    rig.sim.state.packages[order.external_id] = {}
    report = await reconcile_sales_channel(factory, connector, since=since, now=rig.time.now)
    assert [d for d in report.discrepancies if order.external_id in d.subject_text]
    assert (_calls(rig) - before)["getOrder"] == 0
    await connector.aclose()


def test_the_wait_covers_two_imports_and_none_without_imports() -> None:
    assert confirm_window(timedelta(minutes=5)) == CONFIRM_WITHIN  # the default schedule
    assert confirm_window(timedelta(minutes=30)) == timedelta(minutes=63)  # 2 x 30 + the lag
    assert confirm_window(None) is None and confirm_window(timedelta(0)) is None


def test_the_settings_give_the_runs_the_import_interval(tmp_path: Path) -> None:
    settings = Settings.model_validate({"home": tmp_path, "jobs": {"every": {"pull_orders": 1800}}})
    assert job_options(settings).orders_every == timedelta(minutes=30)
    off = Settings.model_validate({"home": tmp_path, "jobs": {"every": {"pull_orders": 0}}})
    assert job_options(off).orders_every is None


async def test_with_imports_off_a_push_is_read_back_at_once(engine: Engine) -> None:
    """No import is coming to confirm it: the push job reads it back itself, as before."""
    rig, connector, order, factory = await _shipped(engine)
    before = _calls(rig)
    summary = await push_tracking(
        factory,
        channels={f"amazon:{connector.account}": connector},
        now=rig.time.now,
        confirm_within=None,
    )
    assert summary.pushed == [NUMBER] and summary.awaiting == []
    assert _calls(rig) - before == Counter({"getOrder": 2, "confirmShipment": 1})
    assert _message(factory).state == OutboxState.SENT.value
    assert len(_pushed_decisions(factory, order)) == 1
    await connector.aclose()
