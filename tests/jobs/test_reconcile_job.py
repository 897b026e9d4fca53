"""The reconcile job end to end on SQLite and PostgreSQL with fake connectors: every class
found and stored, only safe repairs applied (and recorded), a second repair run doubles
nothing, a failing side leaves a failed run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.connectors.errors import ServerError
from channelhub.connectors.results import FulfilmentPush, PackagePushResult
from channelhub.connectors.roles import Capability
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import ListingKey, OrderKey
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import run_job
from channelhub.jobs.fulfilment.push import push_tracking
from channelhub.jobs.fulfilment.shipments import fulfilment_key
from channelhub.jobs.orders.pipeline import PipelineSettings, process_order
from channelhub.jobs.reconciliation.run import (
    FULFILMENT_KIND,
    reconcile_account,
    reconcile_sales_channel,
    reconcile_warehouse,
)
from channelhub.store.crypto import Vault, generate_key
from channelhub.store.db import make_session_factory
from channelhub.store.repos.accounts import add_account, update_account
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.orders import get_order_row, order_history, upsert_order
from channelhub.store.repos.outbox import dead_letter, enqueue
from channelhub.store.repos.reconcile import get_run, latest_runs, list_discrepancies
from channelhub.store.repos.stock import stock_balances
from channelhub.store.repos.stock_sync import push_history
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.stock import StockMovementRow
from tests.jobs.reconcile_fakes import (
    ACCOUNT,
    CHANNEL,
    CS,
    NOW,
    T0,
    FakeChannel,
    make_order,
    seed_channel_hub,
    seed_stock,
)

pytestmark = pytest.mark.anyio
L2 = ListingKey(channel=CHANNEL, account=ACCOUNT, listing_id="L2")


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def by_subject(report: object) -> dict[str, tuple[str, str, bool, str]]:
    return {
        d.subject_text: (
            d.discrepancy_class,
            d.repair_kind,
            d.repair_safe,
            d.repair_status,
        )
        for d in report.discrepancies  # type: ignore[attr-defined]
    }


EXPECTED_CHANNEL = {
    "B": ("order_missing_in_hub", "backfill_order", True),
    "C": ("cancelled_on_channel", "cancel_order", True),
    "D": ("cancelled_in_hub", "review", False),
    "E": ("shipment_not_on_channel", "push_fulfilment", True),
    "F": ("tracking_mismatch", "review", False),
    "G": ("cancelled_on_channel", "intercept_outbound", False),
    "L2": ("quantity_edited_on_channel", "push_quantity", True),
}


async def test_channel_report_without_repair_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        channel = seed_channel_hub(session)
    report = await reconcile_sales_channel(sessions, channel, now=NOW, since=T0)
    assert channel.asked_since == [T0]
    found = by_subject(report)
    assert {k: v[:3] for k, v in found.items()} == EXPECTED_CHANNEL
    assert {k: v[3] for k, v in found.items() if v[2]} == {
        k: "pending" for k, v in EXPECTED_CHANNEL.items() if v[2]
    }
    assert report.counts["compared"]["channel_orders"] == 7
    assert report.counts["compared"]["hub_orders"] == 7
    assert report.counts["discrepancies"]["cancelled_on_channel"] == 2
    with sessions() as session:
        run = get_run(session, report.run_id)
        assert (run.status, run.scope, run.account, run.repair) == (
            "finished",
            "orders,listings",
            ACCOUNT,
            False,
        )
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert channel.fetched == []


async def test_channel_repair_applies_only_the_safe_ones(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        channel = seed_channel_hub(session)
    report = await reconcile_sales_channel(sessions, channel, now=NOW, since=T0, repair=True)
    statuses = {k: v[3] for k, v in by_subject(report).items()}
    assert statuses == {
        "B": "applied",
        "C": "applied",
        "D": "proposed",
        "E": "applied",
        "F": "proposed",
        "G": "proposed",
        "L2": "applied",
    }
    assert report.counts["repairs"] == {"applied": 4, "failed": 0}
    assert channel.fetched == ["B"]
    with sessions() as session:
        backfilled = get_order_row(
            session, OrderKey(channel=CHANNEL, account=ACCOUNT, external_id="B")
        )
        assert backfilled.raw_payload_id is not None
        cancelled = get_order_row(
            session, OrderKey(channel=CHANNEL, account=ACCOUNT, external_id="C")
        )
        assert cancelled.hub_status == "cancelled"
        assert order_history(session, cancelled.id)[-1].actor == "reconcile"
        assert stock_balances(session)[("DE-1", "MUG")].reserved == 0  # released
        dispatched = get_order_row(
            session, OrderKey(channel=CHANNEL, account=ACCOUNT, external_id="G")
        )
        assert dispatched.hub_status == HubStatus.DISPATCHED.value  # proposed: untouched
        queued = {
            m.kind: m.payload
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending"))
        }
        assert queued[FULFILMENT_KIND]["order_external_id"] == "E"
        assert queued[FULFILMENT_KIND]["package"]["tracking_number"] == "TN-E"
        assert queued[FULFILMENT_KIND]["order_key"] == f"{CHANNEL}:{ACCOUNT}:E"
        [marked] = [p for p in push_history(session, L2) if p.trigger == "reconcile"]
        assert (marked.quantity, marked.state.value) == (7, "pending")
        assert marked.explanation["reconcile_run"] == report.run_id
        notes = {
            d.subject.get("order"): d.repair_note
            for d in list_discrepancies(session, report.run_id)
        }
        assert "released 2 reserved units" in (notes["C"] or "")

    again = await reconcile_sales_channel(sessions, channel, now=NOW, since=T0, repair=True)
    remaining = by_subject(again)
    # fixed ones are gone; the fulfilment is still missing on the channel (the outbox has not
    # sent it yet) and is found again, but queued only once
    assert set(remaining) == {"D", "E", "F", "G", "L2"}
    assert "already queued" in next(
        d.repair_note or "" for d in again.discrepancies if d.subject.get("order") == "E"
    )
    with sessions() as session:
        kinds = session.scalars(select(OutboxMessage.kind).where(OutboxMessage.state == "pending"))
        assert list(kinds) == [FULFILMENT_KIND]


async def test_a_dead_fulfilment_push_is_replayed_not_doubled(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        channel = seed_channel_hub(session)
        dead = enqueue(
            session,
            idempotency_key=fulfilment_key(f"{CHANNEL}:{ACCOUNT}:E", "TN-E"),
            target=f"channel:{CHANNEL}:{ACCOUNT}",
            kind=FULFILMENT_KIND,
            payload={"package": {"tracking_number": "TN-E"}},
            now=T0,
        )
        dead_letter(session, dead.id, error="carrier code unknown", now=T0)
        session.commit()
    report = await reconcile_sales_channel(sessions, channel, now=NOW, repair=True)
    note = next(d.repair_note for d in report.discrepancies if d.subject.get("order") == "E")
    assert note == f"fulfilment of order E: TN-E replayed (message {dead.id})"
    with sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == FULFILMENT_KIND))
        assert [(m.id, m.state) for m in rows] == [(dead.id, "pending")]


async def test_stock_against_the_ledger_with_tolerance(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        warehouse = seed_stock(session)
    [report] = await reconcile_account(sessions, warehouse, now=NOW, repair=True, tolerance=3)
    found = by_subject(report)
    assert found == {
        "DE-1/BAG": ("ledger_higher", "adjust_stock", False, "proposed"),  # -5: beyond 3
        "DE-1/CUP": ("warehouse_higher", "adjust_stock", True, "applied"),
        "DE-1/HAT": ("warehouse_higher", "adjust_stock", True, "applied"),
        "DE-1/PEN": ("stock_in_flight", "none", False, "none"),
    }
    assert report.counts["compared"]["in_flight"] == 2
    with sessions() as session:
        balances = stock_balances(session)
        assert balances[("DE-1", "CUP")].on_hand == 6
        assert balances[("DE-1", "HAT")].on_hand == 3
        assert balances[("DE-1", "BAG")].on_hand == 6
        reasons = session.scalars(
            select(StockMovementRow.reference).where(StockMovementRow.kind == "adjust")
        )
        assert set(reasons) == {f"reconcile-run:{report.run_id}"}

    again = await reconcile_warehouse(sessions, warehouse, now=NOW, repair=True, tolerance=3)
    assert set(by_subject(again)) == {"DE-1/BAG", "DE-1/PEN"}


async def test_without_tolerance_every_adjustment_is_proposed(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        warehouse = seed_stock(session)
    report = await reconcile_warehouse(sessions, warehouse, now=NOW, repair=True)
    assert report.counts["repairs"] == {"applied": 0, "failed": 0}
    assert {d.repair_status for d in report.discrepancies} == {"proposed", "none"}


async def test_a_failing_channel_leaves_a_failed_run(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        channel = seed_channel_hub(session)

    async def broken(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        raise ServerError("shopify answered 503", status=503)
        yield  # pragma: no cover

    channel.pull_orders = broken  # type: ignore[method-assign]
    with pytest.raises(ServerError):
        await reconcile_sales_channel(sessions, channel, now=NOW)
    with sessions() as session:
        [run] = latest_runs(session, account=ACCOUNT)
        assert run.status == "failed" and "503" in (run.error or "")


async def test_scheduled_through_the_runner_with_the_account_settings(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        channel = seed_channel_hub(session)
    with sessions.begin() as session:
        add_account(
            session,
            Vault(generate_key()),
            platform=CHANNEL,
            name=ACCOUNT,
            credentials={},
            now=T0,
            settings={"reconcile_lookback_days": "2", "reconcile_repair": "true"},
        )
    result = await run_job(
        sessions, ACCOUNT, JobKind.RECONCILE, connector_factory=lambda row: channel, now=lambda: NOW
    )
    assert result.error is None and not result.more
    assert result.counts == RunCounts(new=7, updated=4, unchanged=0, failed=0)
    assert channel.asked_since == [NOW - timedelta(days=2)]
    with sessions() as session:
        [run] = latest_runs(session, account=ACCOUNT)
        assert run.repair and run.counts["repairs"] == {"applied": 4, "failed": 0}
        update_account(session, ACCOUNT, now=NOW, settings={"reconcile_tolerance": "many"})
        session.commit()
    failed = await run_job(
        sessions, ACCOUNT, JobKind.RECONCILE, connector_factory=lambda row: channel, now=lambda: NOW
    )
    assert failed.error is not None and "must be numbers" in failed.error


class AcceptingChannel(FakeChannel):
    """Takes fulfilment pushes and shows them when read back."""

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        numbers = self.fulfilments.setdefault(push.order_external_id, [])
        numbers.extend(p.tracking_number for p in push.packages)
        return [PackagePushResult(p.tracking_number, True, "F9") for p in push.packages]


async def test_the_tracking_sender_delivers_a_repair_and_the_next_run_is_clean(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as session:
        seeded = seed_channel_hub(session)
    channel = AcceptingChannel(
        seeded.orders,
        fulfilments={k: list(v) for k, v in seeded.fulfilments.items()},
        capabilities=seeded.capabilities | {Capability.PUSH_FULFILMENT},
    )
    await reconcile_sales_channel(sessions, channel, now=NOW, repair=True)
    summary = await push_tracking(sessions, channels={f"{CHANNEL}:{ACCOUNT}": channel}, now=NOW)
    assert summary.pushed == ["TN-E"] and summary.failures == []
    again = await reconcile_sales_channel(sessions, channel, now=NOW)
    assert "shipment_not_on_channel" not in again.counts["discrepancies"]


async def test_an_order_the_hub_cancelled_for_no_open_line_is_not_flagged(
    sessions: sessionmaker[Session],
) -> None:
    """The channel cancelled every line but left the order unshipped; the hub's flow cancelled
    it. The buyer expects nothing: no "cancelled in hub" discrepancy."""
    emptied = make_order("H", CS.UNSHIPPED)
    emptied = emptied.model_copy(
        update={
            "lines": tuple(
                line.model_copy(update={"cancelled_quantity": line.quantity})
                for line in emptied.lines
            )
        }
    )
    with sessions.begin() as session:
        upsert_order(session, emptied, now=T0)
        plan = process_order(session, emptied.key, settings=PipelineSettings(), now=T0)
    assert plan is not None and plan.status is HubStatus.CANCELLED  # the hub's own decision
    report = await reconcile_sales_channel(sessions, FakeChannel([emptied]), now=NOW, since=T0)
    assert report.discrepancies == []
    # the same channel order with a line open again is still one the buyer expects
    reopened = make_order("H", CS.UNSHIPPED)
    report = await reconcile_sales_channel(sessions, FakeChannel([reopened]), now=NOW, since=T0)
    assert by_subject(report) == {"H": ("cancelled_in_hub", "review", False, "proposed")}
