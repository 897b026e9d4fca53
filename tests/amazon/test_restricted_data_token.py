"""Restricted Data Tokens: one per account and resource set, reused until shortly before expiry.

Everything runs on the rig's fake clock (no sleeps); the simulator refuses an expired RDT, so
a reuse past its lifetime would show up as a 403 in the journal.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from channelhub.connectors.amazon import AmazonConnector
from channelhub.connectors.amazon.connector import RDT_MARGIN
from channelhub.connectors.http.auth import ProcessTokens
from channelhub.core.models import Order
from channelhub.mappings.amazon.requests import RDT_PATH, SEARCH_ORDERS_PATH
from channelhub.simulators.amazon.state import TOKEN_LIFETIME
from tests.amazon.harness import Rig, make_rig


async def _pull(connector: AmazonConnector, rig: Rig) -> list[Order]:
    orders: list[Order] = []
    async for page in connector.pull_orders(since=rig.time.now - timedelta(days=30)):
        assert page.failures == ()
        orders += page.items
    return orders


def _rdt_posts(rig: Rig) -> int:
    return rig.sim.journal.count("POST", RDT_PATH)


def _search_tokens(rig: Rig) -> list[str]:
    return [
        e.headers["x-amz-access-token"]
        for e in rig.sim.journal.matching("GET", SEARCH_ORDERS_PATH)
        if not e.path.startswith(SEARCH_ORDERS_PATH + "/")
    ]


def _refused(rig: Rig) -> list[int | None]:
    return [e.status for e in rig.sim.journal.entries if e.status == 403]


def _with_buyer_data(orders: list[Order]) -> bool:
    return bool(orders) and all(
        o.buyer is not None and o.ship_to is not None and o.ship_to.name for o in orders
    )


@pytest.mark.anyio
async def test_one_rdt_serves_every_page_and_the_next_run() -> None:
    rig = make_rig(seed=7, order_count=450)
    connector = rig.connector()
    orders = await _pull(connector, rig)
    assert len(orders) == 450 and _with_buyer_data(orders)
    assert len(_search_tokens(rig)) == 5  # 5 pages of 100
    assert len(set(_search_tokens(rig))) == 1 and _rdt_posts(rig) == 1
    rig.time.now += timedelta(minutes=10)
    again = await _pull(connector, rig)  # a later run of the same account: same token
    assert _with_buyer_data(again) and _rdt_posts(rig) == 1
    # getOrder is another resource set (the {orderId} pattern): one more RDT for all orders
    for order in orders[:3]:
        fetched = await connector.get_order(order.external_id)
        assert fetched.item.buyer is not None
    assert _rdt_posts(rig) == 2 and connector.rdts.fetches == 2
    assert connector.token.refreshes == 1 and _refused(rig) == []
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_rdt_is_fetched_again_only_after_expires_in_minus_the_margin() -> None:
    rig = make_rig(seed=8, order_count=150)
    connector = rig.connector()
    fetched_at = rig.time.now
    await _pull(connector, rig)
    assert _rdt_posts(rig) == 1
    due = fetched_at + TOKEN_LIFETIME - timedelta(seconds=RDT_MARGIN)
    rig.time.now = due - timedelta(seconds=1)
    await _pull(connector, rig)
    assert _rdt_posts(rig) == 1  # still inside its lifetime minus the margin: reused
    rig.time.now = due + timedelta(seconds=1)
    orders = await _pull(connector, rig)
    assert _rdt_posts(rig) == 2 and _with_buyer_data(orders)
    tokens = _search_tokens(rig)
    assert len(set(tokens)) == 2 and tokens[-1] != tokens[0]
    assert _refused(rig) == []  # never sent an RDT the simulator had expired
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["expired", "revoked"])
async def test_a_refused_rdt_is_fetched_again_once(how: str) -> None:
    rig = make_rig(seed=9, order_count=250)
    connector = rig.connector()
    await _pull(connector, rig)
    state = rig.sim.state
    if how == "expired":  # Amazon ended it early: 403 "...has expired"
        past = rig.time.now - timedelta(seconds=1)
        state.rdts = {t: (past, r) for t, (_, r) in state.rdts.items()}
    else:  # 403 "...revoked, malformed or invalid"
        state.rdts.clear()
    rig.sim.journal.clear()
    orders = await _pull(connector, rig)
    assert len(orders) == 250 and _with_buyer_data(orders)
    assert _refused(rig) == [403]  # the first page once, then a fresh RDT for every page
    assert _rdt_posts(rig) == 1 and connector.rdts.fetches == 2
    assert len(set(_search_tokens(rig))) == 2
    assert connector.token.refreshes == 1  # the LWA token was fine all along
    rig.assert_requests_follow_the_contract()
    await connector.aclose()


@pytest.mark.anyio
async def test_a_403_that_is_not_about_the_token_is_not_retried() -> None:
    from channelhub.connectors.errors import Forbidden

    rig = make_rig(seed=9, order_count=20)
    connector = rig.connector()
    await _pull(connector, rig)
    state = rig.sim.state
    state.rdts = {
        t: (expires, [("GET", "/orders/elsewhere")]) for t, (expires, _) in state.rdts.items()
    }
    rig.sim.journal.clear()
    with pytest.raises(Forbidden):
        await _pull(connector, rig)
    assert _refused(rig) == [403] and _rdt_posts(rig) == 0
    await connector.aclose()


@pytest.mark.anyio
@pytest.mark.parametrize("kept", [True, False])
async def test_the_next_job_runs_connector_takes_the_process_tokens(kept: bool) -> None:
    """Each job run builds its own connector; with the process's tokens (as every connector
    factory passes them) the account's next run calls neither LWA nor
    createRestrictedDataToken while their tokens are fresh. Without them: two more calls a
    run."""
    rig = make_rig(seed=11, order_count=150)
    context = dataclasses.replace(rig.context(), tokens=ProcessTokens() if kept else None)
    for _ in range(3):  # three runs, one connector each
        connector = AmazonConnector(context)
        orders = await _pull(connector, rig)
        assert len(orders) == 150 and _with_buyer_data(orders)
        await connector.aclose()
        rig.time.now += timedelta(minutes=5)
    lwa_posts = rig.sim.journal.count("POST", "/auth/o2/token")
    assert (lwa_posts, _rdt_posts(rig)) == ((1, 1) if kept else (3, 3))
    assert _refused(rig) == []
    rig.assert_requests_follow_the_contract()


@pytest.mark.anyio
async def test_two_accounts_never_share_an_rdt() -> None:
    rig = make_rig(seed=10, order_count=300)
    process = ProcessTokens()  # one process serving both accounts: still never shared
    first = AmazonConnector(dataclasses.replace(rig.context(), tokens=process))
    second = AmazonConnector(
        dataclasses.replace(rig.context(), account="other-amazon", tokens=process)
    )
    since = rig.time.now - timedelta(days=30)
    pages = [first.pull_orders(since=since), second.pull_orders(since=since)]
    counts = [0, 0]
    for _ in range(3):  # interleave the two accounts' pages
        for index, pager in enumerate(pages):
            page = await anext(pager)
            counts[index] += len(page.items)
            assert _with_buyer_data(list(page.items))
    assert counts == [300, 300]
    assert _rdt_posts(rig) == 2 and first.rdts.fetches == 1 and second.rdts.fetches == 1
    tokens = _search_tokens(rig)
    assert tokens[0::2] == [tokens[0]] * 3 and tokens[1::2] == [tokens[1]] * 3
    assert tokens[0] != tokens[1]
    assert _refused(rig) == []
    rig.assert_requests_follow_the_contract()
    await first.aclose()
    await second.aclose()


@pytest.mark.anyio
async def test_two_thousand_orders_import_in_22_calls_with_buyer_data_on_every_one() -> None:
    # issue 17: an RDT per page made this 41 calls (1 LWA + 20 RDTs + 20 pages)
    rig = make_rig(seed=17, order_count=2_000)
    connector = rig.connector()
    orders = await _pull(connector, rig)
    assert len(orders) == 2_000 and _with_buyer_data(orders)
    assert rig.sim.journal.count() == 22  # 1 LWA token + 1 RDT + 20 searchOrders pages
    assert _rdt_posts(rig) == 1 and len(_search_tokens(rig)) == 20
    await connector.aclose()
