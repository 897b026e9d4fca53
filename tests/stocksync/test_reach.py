"""A stock change read narrowly (jobs/stock/reach.py) finds what reading the whole library
finds: the same accounts to wake, listings to push, quantities and mass-drop guard, on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.bindings import Binding, Scope
from channelhub.core.listing import Listing, ListingKey
from channelhub.core.products import Component, Sku, SkuKind
from channelhub.core.sellable import StockRule, StockRules
from channelhub.core.stock import MovementKind
from channelhub.jobs.stock.compute import Resolved, resolve, unknown_stock
from channelhub.jobs.stock.push import StockSyncTiming, compute_sellable, push_stock
from channelhub.jobs.stock.reach import positioned_count, touching
from channelhub.jobs.stock.wake import accounts_listing
from channelhub.store.db import make_session_factory
from channelhub.store.repos.catalog import consumers_of, load_catalog
from channelhub.store.repos.listings import list_listings, upsert_listing
from channelhub.store.repos.pairings import load_book, save_binding
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.stock_sync import (
    latest_pushes,
    listings_to_retry,
    record_push,
    settle_push,
    stock_known_at,
)
from tests.stocksync.seed import T0, FakeChannel, add_catalog, add_listing, know_stock, move

ACCOUNTS = {"us1": "amazon", "shop1": "shopify"}
FILLERS = 30
TIMING = StockSyncTiming(debounce=timedelta(seconds=30), max_wait=timedelta(minutes=5))
#: every SKU of the library whose change is checked (FILL-07 is bound on one account only)
CHANGES = ("MUG", "LID", "SPOON", "GIFT-BOX", "MUG-SET", "BIG-SET", "FILL-07", "FILL-08")


def _bind(session: Session, **fields: Any) -> None:
    save_binding(session, Binding(**fields), now=T0, actor="test")


def _listing(session: Session, channel: str, account: str, listing_id: str, **more: Any) -> None:
    fields = {"channel": channel, "account": account, "listing_id": listing_id}
    fields |= {"channel_sku": listing_id, "status": "active"} | more
    upsert_listing(session, Listing.model_validate(fields, strict=False), now=T0)


def seed(session: Session) -> None:
    """A few dozen SKUs (singles, a combo, a combo of a combo, a kit) bound at every scope
    and level on two accounts, with the listings pairing must skip or report."""
    add_catalog(session)  # MUG, LID, SPOON; MUG-SET = 2 MUG + LID; kit GIFT-BOX of SPOON
    combo = (Component(sku="MUG-SET", qty=1), Component(sku="SPOON", qty=2))
    upsert_sku(session, Sku(code="BIG-SET", kind=SkuKind.COMBO, components=combo), now=T0)
    for n in range(FILLERS):
        upsert_sku(session, Sku(code=f"FILL-{n:02d}"), now=T0)
        add_listing(session, "amazon", "us1", f"A-FILL-{n:02d}", sku=f"FILL-{n:02d}")
        if n != 7:
            add_listing(session, "shopify", "shop1", f"S-FILL-{n:02d}", sku=f"FILL-{n:02d}")
    # account scope, by channel SKU (seed.add_listing)
    add_listing(session, "amazon", "us1", "A-MUG", sku="MUG")
    add_listing(session, "amazon", "us1", "A-MUG2", sku="MUG", multiplier=2)
    add_listing(session, "amazon", "us1", "A-BOX", sku="GIFT-BOX")
    add_listing(session, "amazon", "us1", "A-LOOSE", sku=None)  # unpaired
    # global, by channel SKU: on both accounts; an account-scope binding overrides it on us1
    _bind(session, scope=Scope.GLOBAL, channel_sku="G-SET", sku="MUG-SET")
    _listing(session, "amazon", "us1", "A-GSET", channel_sku="G-SET")
    _listing(session, "shopify", "shop1", "S-GSET", channel_sku="G-SET")
    _bind(session, scope=Scope.GLOBAL, channel_sku="G-OVR", sku="MUG")
    _bind(session, scope=Scope.ACCOUNT, channel="amazon", account="us1", channel_sku="G-OVR",
          sku="SPOON")  # fmt: skip
    _listing(session, "amazon", "us1", "A-OVR", channel_sku="G-OVR")
    _listing(session, "shopify", "shop1", "S-OVR", channel_sku="G-OVR")
    # channel scope, by channel SKU
    _bind(session, scope=Scope.CHANNEL, channel="shopify", channel_sku="S-MUG", sku="MUG")
    _listing(session, "shopify", "shop1", "S-MUG-1", channel_sku="S-MUG")
    # listing level (beats the channel SKU's binding), and one variation of a listing
    _bind(session, scope=Scope.ACCOUNT, channel="amazon", account="us1", listing_id="A-LVL",
          sku="BIG-SET")  # fmt: skip
    _listing(session, "amazon", "us1", "A-LVL", channel_sku="S-MUG")
    _bind(session, scope=Scope.CHANNEL, channel="shopify", listing_id="S-VAR", variation_id="v2",
          sku="LID")  # fmt: skip
    _listing(session, "shopify", "shop1", "S-VAR", variation_id="v1", channel_sku=None)
    _listing(session, "shopify", "shop1", "S-VAR", variation_id="v2", channel_sku=None)
    # bound, but never pushed: shipped by the channel, deleted; and a SKU not in the library
    _listing(session, "amazon", "us1", "A-FBA", channel_sku="G-SET",
             identifiers={"fulfilment_network": "AFN"})  # fmt: skip
    _listing(session, "amazon", "us1", "A-GONE", channel_sku="G-SET", status="deleted")
    add_listing(session, "amazon", "us1", "A-GHOST", sku="GHOST")
    for sku, quantity in (("MUG", 12), ("LID", 50), ("SPOON", 40), ("GIFT-BOX", 3)):
        move(session, sku, quantity)
    for n in range(FILLERS):
        move(session, f"FILL-{n:02d}", 9)


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        seed(session)
    return factory


def _whole(session: Session, channel: str, account: str) -> Resolved:
    """What the push read before: every listing of the account, the whole book and catalog."""
    listings = list_listings(session, channel=channel, account=account)
    return resolve(listings, book=load_book(session), catalog=load_catalog(session))


def _shipping(resolved: Resolved, sku: str) -> set[tuple[str, str, int, tuple[Any, ...]]]:
    return {
        (str(t.listing.key), t.sku, t.multiplier, tuple(sorted(t.needs.items())))
        for t in resolved.targets
        if sku in t.needs
    }


def test_the_seed_reaches_every_case(factory: sessionmaker[Session]) -> None:
    """The comparisons below mean something: the whole library resolves the seed's tricky
    listings as intended."""
    with factory() as session:
        whole = _whole(session, "amazon", "us1")
        shipped = {t.listing.listing_id: t.sku for t in whole.targets}
        assert shipped["A-OVR"] == "SPOON"  # the account scope beats the global binding
        assert shipped["A-LVL"] == "BIG-SET"  # the listing level beats the channel SKU
        assert whole.unpaired == 1
        assert [key for key, _ in whole.problems] == ["amazon:us1:A-GHOST"]
        assert "A-GONE" not in shipped
        shop = {str(t.listing.key): t.sku for t in _whole(session, "shopify", "shop1").targets}
        assert shop["shopify:shop1:S-OVR"] == "MUG"
        assert shop["shopify:shop1:S-VAR/v2"] == "LID"
        assert "shopify:shop1:S-VAR/v1" not in shop
        assert consumers_of(session, {"MUG"}) == {"MUG", "MUG-SET", "BIG-SET"}


@pytest.mark.parametrize("sku", CHANGES)
def test_a_change_reaches_the_listings_the_whole_library_does(
    factory: sessionmaker[Session], sku: str
) -> None:
    with factory() as session:
        for account, channel in ACCOUNTS.items():
            _, narrow = touching(session, channel=channel, account=account, skus={sku})
            assert _shipping(narrow, sku) == _shipping(_whole(session, channel, account), sku)
            # only what the SKU reaches was read: never a filler of another SKU
            others = {t.sku for t in narrow.targets} - consumers_of(session, {sku})
            assert not {s for s in others if s.startswith("FILL")}


@pytest.mark.parametrize("sku", CHANGES)
def test_the_waker_wakes_the_accounts_the_whole_library_does(
    factory: sessionmaker[Session], sku: str
) -> None:
    with factory() as session:
        expected = {
            account
            for account, channel in ACCOUNTS.items()
            if _shipping(_whole(session, channel, account), sku)
        }
        assert accounts_listing(session, {sku}, ACCOUNTS) == expected
    if sku == "FILL-07":
        assert expected == {"us1"}


def _whole_positioned(session: Session, channel: str, account: str, rules: StockRules) -> int:
    known_at = stock_known_at(session)
    mine = _whole(session, channel, account).without_channel_fulfilled().targets
    return sum(
        1
        for t in mine
        if not unknown_stock(t.listing, rules=rules, allowed_warehouses=None, known_at=known_at)
    )


@pytest.mark.parametrize(
    "rules",
    [
        StockRules(),
        StockRules(listings={"amazon:us1:A-MUG": StockRule(warehouses=("NOWHERE",))}),
        StockRules(accounts={"amazon:us1": StockRule(warehouses=("CN-SZ",))}),
    ],
)
def test_the_guards_count_is_the_full_pushs(
    factory: sessionmaker[Session], rules: StockRules
) -> None:
    with factory() as session:
        for unknown in (False, True):
            if unknown:
                know_stock(session, "CN-SZ", at=None)
            known_at = stock_known_at(session)
            for account, channel in ACCOUNTS.items():
                count = positioned_count(
                    session, channel=channel, account=account, rules=rules,
                    allowed_warehouses=None, known_at=known_at,
                )  # fmt: skip
                assert count == _whole_positioned(session, channel, account, rules)
        # the count is not trivially everything: us1's skips and unknowns are left out
        assert _whole_positioned(session, "amazon", "us1", StockRules()) == 0
        know_stock(session, "CN-SZ")
        assert _whole_positioned(session, "amazon", "us1", StockRules()) == FILLERS + 6


def test_an_unsettled_listing_is_resolved_by_the_book(factory: sessionmaker[Session]) -> None:
    """A listing two bindings could pair to different SKUs (a narrower scope wins) and one
    bound to a SKU missing from the library are counted as the book resolves them."""
    with factory() as session:
        rules = StockRules()
        known_at = stock_known_at(session)
        count = positioned_count(
            session, channel="amazon", account="us1", rules=rules,
            allowed_warehouses=None, known_at=known_at,
        )  # fmt: skip
        # A-OVR (two answers: the account's SPOON wins) counts; A-GHOST does not
        assert count == _whole_positioned(session, "amazon", "us1", rules) == FILLERS + 6


@pytest.mark.anyio
async def test_a_push_of_changes_sends_what_the_whole_library_computes(
    factory: sessionmaker[Session],
) -> None:
    channels = {"us1": FakeChannel("amazon"), "shop1": FakeChannel("shopify")}
    for account, channel in channels.items():  # the first run sweeps
        await push_stock(factory, account=account, connector=channel, rules=StockRules(), now=T0,
                         timing=TIMING)  # fmt: skip
        channel.calls.clear()
    later = T0 + timedelta(minutes=1)
    with factory.begin() as session:
        move(session, "MUG", 5, at=later)
    with factory() as session:
        expected = {}
        for account, platform in ACCOUNTS.items():
            confirmed = latest_pushes(session, channel=platform, account=account,
                                      confirmed_only=True)  # fmt: skip
            for listing, explanation in compute_sellable(
                session, channel=platform, account=account, rules=StockRules(), now=later
            ):
                if listing.fulfilment_network is not None:
                    continue  # the channel ships it: never pushed
                if explanation.quantity != confirmed[listing.key].quantity:
                    expected[str(listing.key)] = explanation.quantity
    pushed = {}
    for account, channel in channels.items():
        summary = await push_stock(factory, account=account, connector=channel,
                                   rules=StockRules(), now=later + timedelta(minutes=1),
                                   timing=TIMING)  # fmt: skip
        assert not summary.full_sweep
        pushed |= {str(u.listing): u.quantity for call in channel.calls for u in call}
    assert pushed == expected
    assert set(expected) == {  # every MUG listing changed (LID and SPOON are plentiful)
        "amazon:us1:A-MUG", "amazon:us1:A-MUG2", "amazon:us1:A-GSET", "amazon:us1:A-LVL",
        "shopify:shop1:S-GSET", "shopify:shop1:S-OVR", "shopify:shop1:S-MUG-1",
    }  # fmt: skip


@pytest.mark.anyio
async def test_the_mass_drop_guard_takes_its_share_of_every_listing(
    factory: sessionmaker[Session],
) -> None:
    """The cuts of a push of changes are a share of all the account's positioned listings,
    not of the few the change reached: three listings of us1 out of FILLERS + 6 to 0
    pass (they would stop a push of the three it reached), eight fillers stop it, saying
    so of every listing."""
    channel = FakeChannel("amazon")
    await push_stock(factory, account="us1", connector=channel, rules=StockRules(), now=T0,
                     timing=TIMING)  # fmt: skip
    later = T0 + timedelta(minutes=1)
    with factory.begin() as session:
        move(session, "SPOON", -40, kind=MovementKind.ADJUST, at=later)  # A-OVR to 0
        move(session, "GIFT-BOX", -3, kind=MovementKind.ADJUST, at=later)  # A-BOX to 0
    summary = await push_stock(factory, account="us1", connector=channel, rules=StockRules(),
                               now=later + timedelta(minutes=1), timing=TIMING)  # fmt: skip
    assert summary.blocked is None
    assert sorted(item.listing for item in summary.items) == [
        "amazon:us1:A-BOX", "amazon:us1:A-LVL", "amazon:us1:A-OVR"
    ]  # fmt: skip
    with factory.begin() as session:
        for n in range(8):  # eight fillers to 0: more than a fifth of FILLERS + 6
            move(
                session,
                f"FILL-{n:02d}",
                -9,
                kind=MovementKind.ADJUST,
                at=later + timedelta(minutes=2),
            )
    summary = await push_stock(factory, account="us1", connector=channel, rules=StockRules(),
                               now=later + timedelta(minutes=4), timing=TIMING)  # fmt: skip
    assert summary.blocked is not None
    assert summary.blocked.listings == FILLERS + 6
    assert not summary.items


def test_listings_to_retry_are_those_whose_newest_push_waits(
    factory: sessionmaker[Session],
) -> None:
    def key(listing_id: str) -> ListingKey:
        return ListingKey(channel="amazon", account="us1", listing_id=listing_id)

    with factory.begin() as session:

        def push(listing_id: str, *answers: tuple[bool, bool] | None) -> None:
            for answer in answers:
                pushed = record_push(session, key(listing_id), quantity=1, previous=None,
                                     explanation={}, trigger="test", now=T0)  # fmt: skip
                if answer is not None:
                    settle_push(session, pushed, accepted=answer[0], reason="no",
                                retryable=answer[1], now=T0)  # fmt: skip

        push("A-MUG", None)  # pending
        push("A-MUG2", (False, True))  # refused for now
        push("A-BOX", (False, False))  # refused for good
        push("A-GSET", (False, True), (True, False))  # refused, then confirmed
        push("A-LVL", (True, False), None)  # confirmed, then pending
        assert listings_to_retry(session, channel="amazon", account="us1") == {
            key("A-MUG"),
            key("A-MUG2"),
            key("A-LVL"),
        }
        assert listings_to_retry(session, channel="shopify", account="shop1") == set()
