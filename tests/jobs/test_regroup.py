"""Split and merge in the store, on SQLite and PostgreSQL: reversible, and a channel
cancellation of the original reaches what it was split or merged into."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.merge import MergeConfig
from channelhub.core.models import HubStatus
from channelhub.core.split import rejoin
from channelhub.jobs.orders.pipeline_batch import run_pipeline
from channelhub.jobs.orders.regroup import merge_into_order, split_into_orders, unmerge_order
from channelhub.store.db import make_session_factory
from channelhub.store.repos.decisions import order_decisions
from channelhub.store.repos.orders import get_order, get_order_row
from channelhub.store.repos.stock import stock_balances
from tests.core.orderflow_data import NOW, order
from tests.jobs.test_pipeline import SETTINGS, add, seed

LINES = [
    {
        "line_id": "1",
        "channel_sku": "MUG",
        "quantity": 3,
        "total": {"amount": "10.00", "currency": "USD"},
    },
    {"line_id": "2", "channel_sku": "SPOON", "quantity": 1},
]


def test_split_parts_keep_every_unit_and_cent_and_follow_a_cancellation(engine: Engine) -> None:
    factory = make_session_factory(engine)
    original = order(external_id="1", lines=LINES)
    with factory() as s:
        seed(s, E_MUG=10, E_SPOON=10)
        add(s, original)
    run_pipeline(factory, settings=SETTINGS, now=NOW)
    with factory() as s, s.begin(), pytest.raises(InvalidInput, match="units assigned"):
        split_into_orders(
            s, original.key, [[("1", 1)], [("2", 1)]], settings=SETTINGS, now=NOW, actor="ann"
        )
    with factory() as s, s.begin():
        keys = split_into_orders(
            s,
            original.key,
            [[("1", 2)], [("1", 1), ("2", 1)]],
            settings=SETTINGS,
            now=NOW,
            actor="ann",
        )
    with factory() as s:
        parts = [get_order(s, k) for k in keys]
        assert [p.hub_status for p in parts] == [HubStatus.ALLOCATED] * 2
        assert rejoin([p.lines for p in parts]) == original.lines
        assert sum(p.totals.total.amount for p in parts) == 10
        assert get_order(s, original.key).hub_status is HubStatus.ON_HOLD
        assert stock_balances(s)[("E", "MUG")].reserved == 3  # the original's was released
        with pytest.raises(ChannelhubError, match="split into 2 orders"):
            split_into_orders(s, original.key, [[("1", 3)], [("2", 1)]], settings=SETTINGS,
                              now=NOW, actor="ann")  # fmt: skip
        s.rollback()
        later = NOW + timedelta(hours=1)
        add(s, order(external_id="1", lines=LINES, channel_state="cancelled", updated_at=later))
    run_pipeline(factory, settings=SETTINGS, now=NOW + timedelta(hours=1))
    with factory() as s:
        assert get_order(s, original.key).hub_status is HubStatus.CANCELLED
        assert [get_order(s, k).hub_status for k in keys] == [HubStatus.CANCELLED] * 2
        assert stock_balances(s)[("E", "MUG")].reserved == 0


def test_merge_unmerge_and_a_cancelled_source_holds_the_merged_order(engine: Engine) -> None:
    factory = make_session_factory(engine)
    a, b = order(external_id="A"), order(external_id="B")
    other = order(
        external_id="C", ship_to={"name": "Bo", "line1": "2 Elm", "city": "X", "country": "US"}
    )
    with factory() as s:
        seed(s, E_MUG=10)
        for o in (a, b, other):
            add(s, o)
    config = MergeConfig()
    with factory() as s, s.begin(), pytest.raises(InvalidInput, match="cannot merge"):
        merge_into_order(s, [a.key, other.key], config=config, settings=SETTINGS, now=NOW,
                         actor="ann")  # fmt: skip
    with factory() as s, s.begin():
        merged = merge_into_order(
            s, [a.key, b.key], config=config, settings=SETTINGS, now=NOW, actor="ann"
        )
    with factory() as s, s.begin():
        assert get_order(s, merged).hub_status is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 2
        back = unmerge_order(s, merged, settings=SETTINGS, now=NOW, actor="ann")
        assert back == [a.key, b.key]
    with factory() as s, s.begin():
        assert get_order(s, merged).hub_status is HubStatus.CANCELLED
        assert {get_order(s, k).hub_status for k in back} == {HubStatus.ALLOCATED}
        assert stock_balances(s)[("E", "MUG")].reserved == 2
        again = merge_into_order(
            s, [a.key, b.key], config=config, settings=SETTINGS, now=NOW, actor="ann"
        )
        assert again.external_id == "M-A+B~2"
    with factory() as s:
        later = NOW + timedelta(hours=1)
        add(s, order(external_id="A", channel_state="cancelled", updated_at=later))
    run_pipeline(factory, settings=SETTINGS, now=NOW + timedelta(hours=1))
    with factory() as s:
        assert get_order(s, a.key).hub_status is HubStatus.CANCELLED
        assert get_order(s, again).hub_status is HubStatus.ON_HOLD  # a person re-merges B
        assert get_order(s, b.key).hub_status is HubStatus.ON_HOLD
        last = order_decisions(s, get_order_row(s, again).id)[-1]
        assert "merged from the cancelled order" in last.reason
        assert get_order(s, other.key).hub_status is HubStatus.ALLOCATED
        assert stock_balances(s)[("E", "MUG")].reserved == 1  # C's alone
