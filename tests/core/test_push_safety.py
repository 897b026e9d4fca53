"""The stock push guards: unknown warehouses and the mass-drop decision (property-tested)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from channelhub.core.push_safety import (
    DEFAULT_MASS_DROP_SHARE,
    MIN_LISTINGS_FOR_SHARE,
    check_mass_drop,
    is_drop,
    unknown_warehouses,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)

quantity = st.integers(min_value=0, max_value=500)
change = st.tuples(st.one_of(st.none(), quantity), quantity)
shares = st.decimals(min_value=0, max_value=1, places=2)


def _changes(pairs: list[tuple[int | None, int]]) -> list[tuple[str, int | None, int]]:
    return [(f"L{i}", before, after) for i, (before, after) in enumerate(pairs)]


def test_unknown_warehouses_are_those_serving_the_listing_without_a_known_position() -> None:
    known = {"US-EAST": T0, "CN-SZ": None, "DE-BER": None}
    assert unknown_warehouses(None, known) == ("CN-SZ", "DE-BER")  # every registered one
    assert unknown_warehouses(["US-EAST"], known) == ()
    assert unknown_warehouses(["US-EAST", "DE-BER"], known) == ("DE-BER",)
    assert unknown_warehouses(["GHOST"], known) == ("GHOST",)  # not registered: unknown


@pytest.mark.parametrize(
    ("before", "after", "dropped"),
    [(10, 0, True), (10, 4, True), (10, 5, False), (1, 0, True), (2, 1, False),
     (0, 0, False), (None, 0, False), (3, 9, False)],
)  # fmt: skip
def test_a_drop_is_a_cut_to_zero_or_by_more_than_half(
    before: int | None, after: int, dropped: bool
) -> None:
    assert is_drop(before, after) is dropped


@pytest.mark.parametrize(
    ("listings", "drops", "blocked"),
    [
        (1, 1, False),  # a seller's only listing selling out is a sale, not a mass drop
        (2, 1, False),
        (2, 2, True),  # both listings of a small account at once: ask
        (4, 1, False),
        (4, 2, True),
        (10, 2, False),  # 20% of 10
        (10, 3, True),
        (100, 20, False),
        (100, 21, True),
    ],
)
def test_small_and_large_accounts_at_the_default_share(
    listings: int, drops: int, blocked: bool
) -> None:
    changes = _changes([(10, 0)] * drops + [(10, 10)] * (listings - drops))
    decision = check_mass_drop(changes, listings=listings)
    assert decision.blocked is blocked
    assert len(decision.drops) == drops
    assert decision.share == DEFAULT_MASS_DROP_SHARE


def test_the_reason_says_how_many_listings_would_be_cut_and_zeroed() -> None:
    decision = check_mass_drop(_changes([(10, 0), (10, 0), (10, 3)]), listings=5)
    assert decision.blocked
    assert decision.reason() == (
        "stock push stopped: it would cut 3 of 5 listings (2 to 0, 1 by more than half), "
        "more than the 20% allowed at once"
    )
    assert [d.render() for d in decision.drops] == ["L0: 10 -> 0", "L1: 10 -> 0", "L2: 10 -> 3"]


@pytest.mark.parametrize(
    ("pairs", "how"),
    [
        ([(10, 0), (10, 0)], "2 of 5 listings (all to 0)"),
        ([(10, 4), (9, 1), (8, 8)], "2 of 5 listings (none to 0, 2 by more than half)"),
    ],
)
def test_the_reason_reads_plainly_when_none_or_all_go_to_zero(
    pairs: list[tuple[int, int]], how: str
) -> None:
    decision = check_mass_drop(_changes(pairs), listings=5, share=Decimal("0.2"))
    assert decision.blocked
    assert decision.reason() == (
        f"stock push stopped: it would cut {how}, more than the 20% allowed at once"
    )
    assert "(0 to 0" not in decision.reason()


@given(pairs=st.lists(change, max_size=40), extra=st.integers(0, 40), share=shares)
def test_a_push_is_stopped_exactly_when_its_drops_exceed_the_share(
    pairs: list[tuple[int | None, int]], extra: int, share: Decimal
) -> None:
    listings = len(pairs) + extra
    decision = check_mass_drop(_changes(pairs), listings=listings, share=share)
    drops = [(b, a) for b, a in pairs if is_drop(b, a)]
    assert len(decision.drops) == len(drops)
    allowed = math.floor(share * max(listings, MIN_LISTINGS_FOR_SHARE))
    assert decision.allowed_drops == allowed
    assert decision.blocked is (len(drops) > allowed)
    if not drops:
        assert not decision.blocked  # no cut never stops a push, whatever the share


@given(pairs=st.lists(change, min_size=1, max_size=30), share=shares)
def test_cutting_more_never_unblocks_and_a_bigger_share_never_blocks_more(
    pairs: list[tuple[int | None, int]], share: Decimal
) -> None:
    listings = len(pairs)
    decision = check_mass_drop(_changes(pairs), listings=listings, share=share)
    zeroed = [(10 if b is None or b == 0 else b, 0) for b, _ in pairs]
    worse = check_mass_drop(_changes(zeroed), listings=listings, share=share)
    assert worse.blocked or not decision.blocked
    looser = check_mass_drop(_changes(pairs), listings=listings, share=min(share * 2, Decimal(1)))
    assert decision.blocked or not looser.blocked


@given(n=st.integers(2, 60))
def test_zeroing_every_listing_of_an_account_of_two_or_more_is_always_stopped(n: int) -> None:
    decision = check_mass_drop(_changes([(5, 0)] * n), listings=n)
    assert decision.blocked and len(decision.drops) == n


def test_a_share_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        check_mass_drop([], listings=3, share=Decimal("1.5"))
