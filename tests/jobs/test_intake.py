"""One intake path on SQLite and PostgreSQL: a re-imported order edited on the channel after
allocation gets its old warehouse order cancelled and a new revision; an unchanged one, nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from channelhub.connectors.results import PageOf
from channelhub.core.models import HubStatus, Order
from channelhub.jobs.orders.pipeline import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.pipeline_intake import process_orders
from channelhub.jobs.orders.pulls import store_order_page
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order_row
from channelhub.store.repos.stock import stock_balances
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderTransitionRow
from channelhub.store.tables.outbox import OutboxMessage
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, add, seed, status

LATER = NOW + timedelta(hours=1)


def outbox(s: Session) -> list[tuple[str, str]]:
    rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    return [(m.idempotency_key, m.kind) for m in rows]


def reimport(factory: object, o: Order) -> None:
    """What ``pull_orders`` does with a page: store it, commit, then the after-page hook."""
    page = PageOf(items=(o,), raw=(), cursor=None, done=True)
    with factory() as s, s.begin():  # type: ignore[operator]
        store_order_page(
            s, page, platform="shopify", account="shop1", job_kind="pull_orders", now=LATER
        )
    process_orders(factory, [o.key], settings=SETTINGS, now=LATER)  # type: ignore[arg-type]


def footprint(s: Session) -> tuple[int, int, int, list[tuple[str, str]]]:
    count = lambda table: s.scalar(select(func.count()).select_from(table))  # noqa: E731
    return count(OrderDecisionRow), count(OrderTransitionRow), count(OutboxMessage), outbox(s)


def test_an_order_edited_on_the_channel_is_planned_again_on_import(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as s:
        seed(s, E_MUG=10)
        o = order(external_id="7")
        add(s, o)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s:
        assert status(s, o) is HubStatus.ALLOCATED
        before = footprint(s)
    reimport(factory, o)  # the same order again: nothing moves
    with factory() as s:
        assert footprint(s) == before
    moved = o.model_copy(
        update={
            "updated_at": LATER,
            "ship_to": o.ship_to.model_copy(update={"line1": "9 Elm St"}),  # type: ignore[union-attr]
            "lines": (o.lines[0].model_copy(update={"quantity": 3}),),
        }
    )
    reimport(factory, moved)
    with factory() as s:
        assert status(s, o) is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 3
        assert outbox(s) == [
            ("shopify:shop1:7#p1r1", OUTBOUND_CREATE),
            ("shopify:shop1:7#p1r1#cancel", OUTBOUND_CANCEL),
            ("shopify:shop1:7#p1r2", OUTBOUND_CREATE),
        ]
        new = s.scalars(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == "shopify:shop1:7#p1r2")
        ).one()
        assert new.payload["ship_to"]["line1"] == "9 Elm St"
        reasons = [d.reason for d in order_decisions(s, get_order_row(s, o.key).id)]
        assert "modified on the channel (lines, address)" in reasons
        after = footprint(s)
    reimport(factory, moved)  # re-imported unchanged: nothing more
    with factory() as s:
        assert footprint(s) == after
