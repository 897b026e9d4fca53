"""One poison order among good ones never stops an import (issue 18, item 1).

Each channel's real connector reads its simulator; one order is poisoned the way the issue
found (a date in year 0, ``'²'`` as a quantity, eBay taxes in two currencies, a number too large
for the database, a missing required field). Every other order is stored, the cursor moves,
the poison is one dead letter holding its raw body, a second run neither redoes nor doubles
it, and once its cause is fixed ``jobs replay`` imports it.
"""

from __future__ import annotations

import decimal
import json
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ChannelhubError
from channelhub.jobs import JobKind
from channelhub.jobs.engine.replay import replay_dead_letter
from channelhub.jobs.engine.runner import JobOptions, JobResult, run_job
from channelhub.store.crypto import Vault
from channelhub.store.repos.cursors import get_cursor
from channelhub.store.repos.jobs import list_dead_letters, list_runs
from channelhub.store.tables.jobs import DeadLetter, RunOutcome
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.sync import RawPayload
from tests.jobs.channel_rigs import RIGS, ChannelRig

pytestmark = pytest.mark.anyio

COUNT = 12
HUGE = 10**20  # beyond a 64-bit integer: SQLite and PostgreSQL both refuse it in an INTEGER

Poison = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Poison:
    def poison(order: dict[str, Any]) -> None:
        node: Any = order
        *parents, last = path.split(".")
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DROP:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return poison


_DROP = object()

POISONS: dict[str, dict[str, Poison]] = {
    "amazon": {
        "year-0 date": _set("createdTime", "0000-01-01T00:00:00Z"),
        "superscript quantity": _set("orderItems.0.quantityOrdered", "²"),
        "too large for the database": _set("orderItems.0.quantityOrdered", HUGE),
        "missing required field": _set("fulfillment", _DROP),
    },
    "ebay": {
        "year-0 date": _set("creationDate", "0000-01-01T00:00:00.000Z"),
        "superscript quantity": _set("lineItems.0.quantity", "²"),
        "taxes in two currencies": _set(
            "lineItems.0.taxes",
            [
                {"amount": {"value": "1.00", "currency": "USD"}, "taxType": "STATE_SALES_TAX"},
                {"amount": {"value": "1.00", "currency": "EUR"}, "taxType": "VAT"},
            ],
        ),
        "too large for the database": _set("lineItems.0.quantity", HUGE),
        "missing required field": _set("pricingSummary", _DROP),
    },
    "shopify": {
        # Shopify's GraphQL types keep a quantity within 32 bits and a required field set
        "year-0 date": _set("createdAt", "0000-01-01T00:00:00Z"),
    },
    "temu": {
        "year-0 date": _set("parentOrderMap.expectShipLatestTime", -62_200_000_000),
        "superscript quantity": _set("orderList.0.quantity", "²"),
        "missing required field": _set("orderList.0.orderSn", None),
    },
}
CASES = [(platform, name) for platform, poisons in POISONS.items() for name in poisons]


async def pull(factory: sessionmaker[Session], rig: ChannelRig) -> JobResult:
    return await run_job(
        factory,
        rig.account,
        JobKind.PULL_ORDERS,
        connector_factory=rig.factory,
        now=rig.now,
        options=JobOptions(max_pages=1000, initial_lookback=rig.lookback),
    )


def stored(factory: sessionmaker[Session], account: str) -> tuple[int, set[str]]:
    with factory() as session:
        rows = session.execute(
            select(OrderRow.external_id, OrderRow.parent_external_id).where(
                OrderRow.account == account
            )
        ).all()
    return len(rows), {parent or external for external, parent in rows}


def ids_of(rig: ChannelRig) -> set[str]:
    return set(rig.orders)


@pytest.mark.parametrize(("platform", "poison"), CASES, ids=[f"{p}-{n}" for p, n in CASES])
async def test_one_poison_order_is_set_aside_and_the_rest_imported(
    session_factory: sessionmaker[Session], vault: Vault, platform: str, poison: str
) -> None:
    rig = RIGS[platform](session_factory, vault, COUNT)
    bad_id = sorted(rig.orders)[len(rig.orders) // 2]
    POISONS[platform][poison](rig.orders[bad_id])

    result = await pull(session_factory, rig)

    assert result.outcome is RunOutcome.OK, result.error
    rows, keys = stored(session_factory, rig.account)
    assert keys == ids_of(rig) - {bad_id}  # every other order is in
    assert result.counts.failed == 1
    assert result.note is not None and result.note.startswith("1 record(s) set aside")
    with session_factory() as session:
        assert get_cursor(session, rig.account, "pull_orders")["done"] is True  # type: ignore[index]
        (letter,) = list_dead_letters(session, account=rig.account)
        assert letter.subject == "order" and letter.external_id == bad_id
        assert letter.platform == platform and len(letter.reason) <= 500
        body = session.get(RawPayload, letter.raw_payload_id).body  # type: ignore[union-attr]
        assert bad_id in body.decode()  # the raw order, as the platform sent it
        (run_row,) = list_runs(session, account=rig.account)
        assert run_row.failed == 1

    again = await pull(session_factory, rig)  # the next run: nothing redone, nothing doubled
    assert again.outcome is RunOutcome.OK, again.error
    assert stored(session_factory, rig.account) == (rows, keys)
    with session_factory() as session:
        letters = session.scalars(select(DeadLetter).where(DeadLetter.account == rig.account))
        assert [(d.external_id, d.state) for d in letters] == [(bad_id, "open")]

    with pytest.raises(ChannelhubError):  # replayed before the fix: still refused, still open
        await replay_dead_letter(
            session_factory, letter.id, connector_factory=rig.factory, now=rig.now
        )
    with session_factory() as session:
        assert session.get(DeadLetter, letter.id).state == "open"  # type: ignore[union-attr]


def _orders_module(platform: str) -> tuple[str, str]:
    """Where each connector finds the mapping it maps a pulled order with."""
    return {
        "amazon": ("channelhub.connectors.amazon.connector", "order_from_wire"),
        "ebay": ("channelhub.connectors.ebay.connector", "normalize_orders"),
        "shopify": ("channelhub.mappings.shopify", "order_from_node"),
        "temu": ("channelhub.connectors.temu.connector", "normalize_orders"),
    }[platform]


@pytest.mark.parametrize("platform", sorted(RIGS))
async def test_a_set_aside_order_is_imported_by_replay_once_its_cause_is_fixed(
    session_factory: sessionmaker[Session],
    vault: Vault,
    platform: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A mapping bug (here: one that raises a plain ValueError for one order) sets the order
    aside; with the bug fixed, the replay maps the archived body and imports it."""
    import importlib

    rig = RIGS[platform](session_factory, vault, COUNT)
    bad_id = sorted(rig.orders)[1]
    module_name, function = _orders_module(platform)
    module = importlib.import_module(module_name)
    real = getattr(module, function)

    def buggy(payload: Any, *args: Any, **kwargs: Any) -> Any:
        text = json.dumps(getattr(payload, "value", payload), default=str)
        if json.dumps(bad_id) in text:
            raise ValueError("year 0 is out of range")
        return real(payload, *args, **kwargs)

    monkeypatch.setattr(module, function, buggy)
    result = await pull(session_factory, rig)
    assert result.outcome is RunOutcome.OK and result.counts.failed == 1
    with session_factory() as session:
        (letter,) = list_dead_letters(session, account=rig.account)
    assert letter.reason == "ValueError: year 0 is out of range"
    monkeypatch.setattr(module, function, real)  # the fix

    said = await replay_dead_letter(
        session_factory, letter.id, connector_factory=rig.factory, now=rig.now
    )
    assert "again" in said
    assert stored(session_factory, rig.account)[1] == ids_of(rig)
    if platform == "temu":  # mapped as the import was: in the account's currency
        with session_factory() as session:
            currencies = session.scalars(
                select(OrderRow.currency).where(OrderRow.account == rig.account).distinct()
            )
            assert list(currencies) == ["EUR"]
    with session_factory() as session:
        assert list_dead_letters(session, account=rig.account) == []
        assert session.get(DeadLetter, letter.id).state == "resolved"  # type: ignore[union-attr]


async def test_a_store_failure_rolls_back_only_its_order(
    session_factory: sessionmaker[Session], vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order whose store write fails after writing part of itself leaves nothing behind
    (the page's set-based savepoint, then its own, are rolled back), the page's other orders
    are committed, and the replay after the fix stores it."""
    import channelhub.jobs.orders.page_planning as page_planning
    import channelhub.jobs.orders.pulls as pulls

    rig = RIGS["ebay"](session_factory, vault, COUNT)
    bad_id = sorted(rig.orders)[3]
    real = pulls.intake_order

    def half_then_fail(session: Session, order: Any, **kwargs: Any) -> Any:
        done = real(session, order, **kwargs)
        if order.external_id == bad_id:
            session.flush()
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return done

    real_many = pulls.intake_orders

    def page_then_fail(session: Session, orders: Any, **kwargs: Any) -> Any:
        done = real_many(session, orders, **kwargs)
        if any(order.external_id == bad_id for order in orders):
            session.flush()
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return done

    real_new = page_planning.insert_new_orders

    def planned_then_fail(session: Session, orders: Any, *args: Any, **kwargs: Any) -> Any:
        done = real_new(session, orders, *args, **kwargs)
        if any(order.external_id == bad_id for order in orders):
            session.flush()
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return done

    monkeypatch.setattr(pulls, "intake_order", half_then_fail)
    monkeypatch.setattr(pulls, "intake_orders", page_then_fail)
    monkeypatch.setattr(page_planning, "insert_new_orders", planned_then_fail)  # planned first
    result = await pull(session_factory, rig)
    assert result.outcome is RunOutcome.OK and result.counts.failed == 1
    assert stored(session_factory, rig.account)[1] == ids_of(rig) - {bad_id}
    with session_factory() as session:
        (letter,) = list_dead_letters(session, account=rig.account)
        assert letter.reason.startswith("OverflowError")
        assert letter.raw_payload_id is not None
    monkeypatch.undo()
    await replay_dead_letter(session_factory, letter.id, connector_factory=rig.factory, now=rig.now)
    assert stored(session_factory, rig.account)[1] == ids_of(rig)


REFUSALS: dict[str, tuple[Exception, str]] = {
    "database": (
        DataError("INSERT INTO orders ...", {}, ValueError("integer out of range")),
        "the database refused it (ValueError: integer out of range)",
    ),
    "bug": (RuntimeError("set-based path broke"), "RuntimeError: set-based path broke"),
}


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
async def test_a_page_refused_set_based_is_redone_one_by_one_with_a_warning(
    session_factory: sessionmaker[Session],
    vault: Vault,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    refusal: str,
) -> None:
    """The page's set-based intake refused (a database error after part of the page was
    written, or a bug in that path): the page is redone order by order and every order lands,
    and the fallback is not silent: one warning names the page, platform, account and error
    (with the traceback for a bug, without the SQL for a database error)."""
    import channelhub.jobs.orders.page_planning as page_planning
    import channelhub.jobs.orders.pulls as pulls

    rig = RIGS["ebay"](session_factory, vault, COUNT)
    error, reason = REFUSALS[refusal]
    real_many = pulls.intake_orders

    def write_then_refuse(session: Session, orders: Any, **kwargs: Any) -> Any:
        real_many(session, orders, **kwargs)
        session.flush()  # part of the page written: the savepoint must undo it
        raise error

    real_new = page_planning.insert_new_orders

    def planned_then_refuse(session: Session, orders: Any, *args: Any, **kwargs: Any) -> Any:
        real_new(session, orders, *args, **kwargs)
        session.flush()
        raise error

    monkeypatch.setattr(pulls, "intake_orders", write_then_refuse)
    monkeypatch.setattr(page_planning, "insert_new_orders", planned_then_refuse)  # planned first
    with caplog.at_level(logging.WARNING, logger="channelhub.jobs.orders.pulls"):
        result = await pull(session_factory, rig)

    assert result.outcome is RunOutcome.OK, result.error
    assert stored(session_factory, rig.account)[1] == ids_of(rig)
    assert (result.counts.new, result.counts.failed) == (COUNT, 0)
    warnings = [r for r in caplog.records if r.name == "channelhub.jobs.orders.pulls"]
    assert warnings and all(r.levelno == logging.WARNING for r in warnings)
    said = " | ".join(r.getMessage() for r in warnings)
    assert f"pull_orders page of ebay/{rig.account}: set-based intake of " in said
    assert f"refused, storing them one by one: {reason}" in said
    named = {n for r in warnings for n in re.findall(r"\((\S+) \.\. (\S+)\)", r.getMessage())[0]}
    assert named and named <= set(rig.orders)  # each page by its first and last order
    assert all(bool(r.exc_info) is (refusal == "bug") for r in warnings)
    with session_factory() as session:
        assert list_dead_letters(session, account=rig.account) == []


def _count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


_ = timedelta


POISON_COUNT = 5
MANY = 2_000


async def test_a_few_poison_orders_among_two_thousand_never_stop_the_import(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    """The issue's "one bad order among thousands never stops an import", through the eBay
    simulator: 2,000 orders, 5 of them poisoned in different ways, one run imports the rest."""
    rig = RIGS["ebay"](session_factory, vault, MANY)
    poisons = list(POISONS["ebay"].values())
    bad = sorted(rig.orders)[:: MANY // POISON_COUNT][:POISON_COUNT]
    for n, order_id in enumerate(bad):
        poisons[n % len(poisons)](rig.orders[order_id])

    result = await pull(session_factory, rig)

    assert result.outcome is RunOutcome.OK, result.error
    assert result.counts.failed == POISON_COUNT and result.counts.new == MANY - POISON_COUNT
    assert stored(session_factory, rig.account)[1] == ids_of(rig) - set(bad)
    with session_factory() as session:
        letters = list_dead_letters(session, account=rig.account)
        assert sorted(d.external_id or "" for d in letters) == sorted(bad)
        assert get_cursor(session, rig.account, "pull_orders")["done"] is True  # type: ignore[index]


async def test_a_backfill_of_an_unreadable_order_sets_it_aside_and_replay_brings_it_in(
    session_factory: sessionmaker[Session], vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backfill (by id: a webhook follow-up, a reconcile repair) of an order the mapping
    cannot read raises one sentence, and the body is archived and filed to replay."""
    import channelhub.connectors.ebay.connector as ebay_connector
    from channelhub.jobs.orders.backfill import backfill_order

    rig = RIGS["ebay"](session_factory, vault, 3)
    bad_id = sorted(rig.orders)[0]
    real = ebay_connector.normalize_orders

    def buggy(payload: Any, **kwargs: Any) -> Any:
        raise decimal.InvalidOperation([decimal.ConversionSyntax])

    monkeypatch.setattr(ebay_connector, "normalize_orders", buggy)
    with pytest.raises(ChannelhubError, match="InvalidOperation"):
        await backfill_order(
            session_factory, rig.account, bad_id, connector_factory=rig.factory, now=rig.now
        )
    with session_factory() as session:
        (letter,) = list_dead_letters(session, account=rig.account)
        assert letter.job_kind == "backfill" and letter.external_id == bad_id
        body = session.get_one(RawPayload, letter.raw_payload_id).body
        assert json.loads(body)["orderId"] == bad_id
    monkeypatch.setattr(ebay_connector, "normalize_orders", real)
    await replay_dead_letter(session_factory, letter.id, connector_factory=rig.factory, now=rig.now)
    assert stored(session_factory, rig.account)[1] == {bad_id}


LISTING_POISONS: dict[str, tuple[Callable[[Any], dict[str, dict[str, Any]]], Poison]] = {
    "amazon": (
        lambda sim: sim.state.listings,
        _set("fulfillmentAvailability.0.quantity", HUGE),
    ),
}


@pytest.mark.parametrize("platform", sorted(LISTING_POISONS))
async def test_one_poison_listing_is_set_aside_and_the_rest_synced(
    session_factory: sessionmaker[Session], vault: Vault, platform: str
) -> None:
    """A listing whose quantity is too large for the database (refused there, in its own
    savepoint, or by the mapping) is one dead letter; every other listing is stored."""
    from channelhub.store.tables.listings import ListingRow

    rig = RIGS[platform](session_factory, vault, 2)
    listings_of, poison = LISTING_POISONS[platform]
    listings = listings_of(rig.sim)
    bad_sku = sorted(listings)[len(listings) // 2]
    poison(listings[bad_sku])

    result = await run_job(
        session_factory,
        rig.account,
        JobKind.PULL_LISTINGS,
        connector_factory=rig.factory,
        now=rig.now,
        options=JobOptions(max_pages=1000),
    )

    assert result.outcome is RunOutcome.OK, result.error
    assert result.counts.failed == 1
    with session_factory() as session:
        skus = set(session.scalars(select(ListingRow.channel_sku)))
        (letter,) = list_dead_letters(session, account=rig.account)
    assert bad_sku not in skus and len(skus) >= len(listings) - 1
    assert letter.subject == "listing" and letter.external_id == bad_sku


async def test_a_repeated_next_token_fails_the_run_clearly_and_keeps_what_was_read(
    session_factory: sessionmaker[Session], vault: Vault
) -> None:
    """Issue 18, item 12, as the jobs see it: the pages read are committed, the run fails
    with one sentence naming the repeat, and the cursor stays inside the window (nothing is
    skipped; the next run reads on from there)."""
    import httpx

    from channelhub.mappings.amazon import requests as build
    from tests.amazon.test_spec_oddities import RewriteAnswers, repeat_token

    rig = RIGS["amazon"](session_factory, vault, 60)
    rig.factory._transport = httpx.ASGITransport(
        app=RewriteAnswers(rig.sim, build.SEARCH_ORDERS_PATH, repeat_token)
    )
    result = await pull(session_factory, rig)
    assert result.outcome is RunOutcome.FAILED
    assert "already given" in (result.error or "") and result.pages == 2
    assert stored(session_factory, rig.account)[0] == 40  # two pages of 20, kept
    with session_factory() as session:
        cursor = get_cursor(session, rig.account, "pull_orders")
        assert cursor is not None and cursor["done"] is False
        assert "token" in json.loads(cursor["cursor"])
        (run_row,) = list_runs(session, account=rig.account)
        assert run_row.outcome == "failed" and "already given" in (run_row.error or "")
