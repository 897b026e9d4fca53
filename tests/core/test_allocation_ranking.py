"""Allocation's memo (:class:`Ranking`): a ranking kept across orders decides exactly as one
made afresh for each, whatever the destinations, accounts, stock and quotes in between."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.core.allocation import RANKING_MEMO_LIMIT, AllocationResult, Ranking, allocate
from channelhub.core.allocation_config import AllocationConfig
from channelhub.core.allocation_quotes import WarehouseQuote
from channelhub.core.catalog import ExpandedLine
from channelhub.core.geography import Origin
from channelhub.core.models import Address

WAREHOUSES = ("US-EAST", "US-WEST", "CN-SZ")
SKUS = ("MUG", "LID")
ORIGINS = {"US-EAST": Origin("US", "NY"), "US-WEST": Origin("US", "CA"), "CN-SZ": Origin("CN")}
BASE = {
    "zones": [
        {"warehouse": "US-EAST", "country": "US", "region": "NY", "distance": 1},
        {"warehouse": "US-WEST", "country": "US", "distance": 4},
    ],
    "costs": [
        {"warehouse": "US-EAST", "country": "US", "cost": "6.00"},
        {"warehouse": "US-WEST", "country": "US", "region": "ca", "cost": "4.50"},
        {"warehouse": "CN-SZ", "country": "DE", "cost": "9"},
    ],
    "priority": ["US-WEST", "US-EAST"],
}
CONFIGS = (
    AllocationConfig.model_validate(BASE),
    AllocationConfig.model_validate(
        BASE | {"strategies": ["cheapest", "nearest", "fastest"], "fallback": ["CN-SZ"]}
    ),
    AllocationConfig.model_validate(
        BASE
        | {
            "warehouses": ["US-WEST", "CN-SZ", "US-EAST"],
            "allowed": [{"channel": "shopify", "account": "vip", "warehouses": ["US-WEST"]}],
            "strategies": ["priority", "whole_order"],
            "split": {"max_parts": 3},
        }
    ),
    AllocationConfig.model_validate({"split": {"by_stock": False}, "fallback": ["US-WEST"]}),
    AllocationConfig.model_validate(  # parts of their own first: later parts read what's left
        BASE
        | {
            "split": {"max_parts": 3},
            "split_rules": [
                {"name": "lids", "skus": ["LID"]},
                {"name": "west", "sku_pattern": "M.*", "warehouse": "US-WEST"},
            ],
        }
    ),
    AllocationConfig.model_validate(
        {"split_rules": [{"name": "lids", "skus": ["LID"]}], "fallback": ["CN-SZ"]}
    ),
)

addresses = st.builds(
    lambda country, region: Address(
        name="A", line1="1 Main", city="X", region=region, country=country
    ),
    st.sampled_from(("US", "CA", "DE", "CN")),
    st.sampled_from((None, "NY", "ny", "CA")),
)
quotes = st.none() | st.dictionaries(
    st.sampled_from(WAREHOUSES),
    st.builds(
        lambda cost, currency, days: {"cost": cost, "currency": currency, "arrival_days": days},
        st.none() | st.sampled_from((Decimal("3"), Decimal("7.25"))),
        st.sampled_from(("USD", "EUR")),
        st.none() | st.integers(0, 9),
    ),
    max_size=3,
)
orders = st.lists(
    st.fixed_dictionaries(
        {
            "lines": st.lists(
                st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3
            ),
            "stock": st.fixed_dictionaries(
                {(w, sku): st.integers(0, 9) for w in WAREHOUSES for sku in SKUS}
            ),
            "ship_to": st.none() | addresses,
            "account": st.sampled_from(("shop1", "vip")),
            "quotes": quotes,
        }
    ),
    min_size=1,
    max_size=8,
)


def _allocate(
    order: dict[str, object],
    config: AllocationConfig,
    origins: dict[str, Origin] | None,
    ranking: Ranking | None,
    lines: Sequence[ExpandedLine] | None = None,
) -> AllocationResult:
    spec: list[tuple[str, int]] = order["lines"]  # type: ignore[assignment]
    raw: dict[str, dict[str, object]] | None = order["quotes"]  # type: ignore[assignment]
    return allocate(
        lines
        or [
            ExpandedLine(order_line_id=str(n), sku=sku, quantity=qty, bound_sku=sku)
            for n, (sku, qty) in enumerate(spec)
        ],
        stock=order["stock"],  # type: ignore[arg-type]
        ship_to=order["ship_to"],  # type: ignore[arg-type]
        channel="shopify",
        account=order["account"],  # type: ignore[arg-type]
        config=config,
        origins=origins,
        quotes=None
        if raw is None
        else {
            w: WarehouseQuote.model_validate({"warehouse": w, "source": "preview"} | q)
            for w, q in raw.items()
        },
        ranking=ranking,
    )


@settings(max_examples=300, deadline=None)
@given(orders, st.sampled_from(CONFIGS), st.booleans())
def test_a_kept_ranking_decides_as_a_fresh_one(
    sequence: list[dict[str, object]], config: AllocationConfig, registered: bool
) -> None:
    origins = dict(ORIGINS) if registered else None
    kept = Ranking(config, origins)
    for order in sequence:
        assert _allocate(order, config, origins, kept) == _allocate(order, config, origins, None)


@settings(max_examples=100, deadline=None)
@given(orders, st.sampled_from(CONFIGS), st.sampled_from(CONFIGS), st.booleans())
def test_a_ranking_made_for_other_rules_or_origins_is_not_used(
    sequence: list[dict[str, object]],
    config: AllocationConfig,
    made_for: AllocationConfig,
    registered: bool,
) -> None:
    origins = dict(ORIGINS) if registered else None
    other = Ranking(made_for, dict(ORIGINS))  # never ``origins`` itself
    for order in sequence:  # it remembers what its own rules say: nothing must leak
        other.candidates({}, "shopify", order["account"])  # type: ignore[arg-type]
        assert _allocate(order, config, origins, other) == _allocate(order, config, origins, None)


def test_every_destination_and_account_in_turn_through_one_ranking() -> None:
    """Destinations told apart only by their region (or its case), accounts by their allow-
    list, each after the others: what was remembered for one never answers for another."""
    places = [
        Address(name="A", line1="1", city="X", region=region, country=country)
        for country in ("US", "DE", "CN")
        for region in ("NY", None, "ny", "CA")
    ]
    stocks = [
        {(w, sku): 5 for w in WAREHOUSES for sku in SKUS},
        {("US-WEST", "MUG"): 5, ("CN-SZ", "LID"): 5, ("US-EAST", "LID"): 1},
        {("US-WEST", "MUG"): 1},  # with no warehouses named, the candidates are the stock's
    ]
    for config in CONFIGS:
        for origins in (dict(ORIGINS), None):
            kept = Ranking(config, origins)
            for _ in range(2):  # the second round reads what the first remembered
                for ship_to in (*places, None):
                    for account in ("shop1", "vip"):
                        for stock in stocks:
                            order = {
                                "lines": [("MUG", 2), ("LID", 1)],
                                "stock": stock,
                                "ship_to": ship_to,
                                "account": account,
                                "quotes": None,
                            }
                            assert _allocate(order, config, origins, kept) == _allocate(
                                order, config, origins, None
                            )


def test_a_ranking_serves_only_its_own_rules_and_origins() -> None:
    config, origins = CONFIGS[0], dict(ORIGINS)
    ranking = Ranking(config, origins)
    assert ranking.serves(config, origins)
    assert not ranking.serves(AllocationConfig.model_validate(BASE), origins)  # equal, not it
    assert not ranking.serves(config, dict(ORIGINS))


def test_a_full_memo_is_emptied_and_still_answers() -> None:
    config, origins = CONFIGS[1], dict(ORIGINS)
    ranking = Ranking(config, origins)
    for n in range(RANKING_MEMO_LIMIT + 5):
        where = Address(name="A", line1="1", city="X", region=f"R{n}", country="US")
        pool = ("US-EAST", "US-WEST", "CN-SZ")
        fresh = Ranking(config, origins)
        assert ranking.ranked(pool, where, None) == fresh.ranked(pool, where, None)
        assert len(ranking._ranked) <= RANKING_MEMO_LIMIT
    assert 0 < len(ranking._ranked) <= RANKING_MEMO_LIMIT


#: one instance per (line, sku, units), as a catalog's expansions share theirs across orders
SHARED = {
    (n, sku, qty): ExpandedLine(order_line_id=str(n), sku=sku, quantity=qty, bound_sku=sku)
    for n in range(3)
    for sku in SKUS
    for qty in range(1, 5)
}


@settings(max_examples=200, deadline=None)
@given(orders, st.sampled_from(CONFIGS), st.booleans())
def test_decisions_kept_for_shared_lines_decide_as_fresh_ones(
    sequence: list[dict[str, object]], config: AllocationConfig, registered: bool
) -> None:
    """Orders whose lines are the same instances share their decisions and results (frozen
    values) through a kept ranking, equal to those allocated afresh."""
    origins = dict(ORIGINS) if registered else None
    kept = Ranking(config, origins)
    for order in sequence:
        spec: list[tuple[str, int]] = order["lines"]  # type: ignore[assignment]
        lines = [SHARED[(n, sku, qty)] for n, (sku, qty) in enumerate(spec)]
        once = _allocate(order, config, origins, kept, lines)
        again = _allocate(order, config, origins, kept, lines)
        assert once == _allocate(order, config, origins, None) == again
        assert again.decisions == once.decisions
        assert kept.explain(again) == kept.explain(once) == once.explain()
        if once.allocated and not order["quotes"]:
            assert again is once  # the same decisions: one result


@settings(max_examples=200, deadline=None)
@given(orders, st.sampled_from(CONFIGS), st.booleans())
def test_shared_expansions_decide_as_fresh_ones(
    sequence: list[dict[str, object]], config: AllocationConfig, registered: bool
) -> None:
    """Orders whose expansion is one tuple instance (as plans before stock share theirs) go
    through the kept partitions and whole-order results, equal to those allocated afresh."""
    origins = dict(ORIGINS) if registered else None
    kept = Ranking(config, origins)
    expansions: dict[tuple[tuple[str, int], ...], tuple[ExpandedLine, ...]] = {}
    for order in sequence:
        spec: list[tuple[str, int]] = order["lines"]  # type: ignore[assignment]
        made = tuple(SHARED[(n, sku, qty)] for n, (sku, qty) in enumerate(spec))
        lines = expansions.setdefault(tuple(spec), made)
        fresh = _allocate(order, config, origins, None)
        assert _allocate(order, config, origins, kept, lines) == fresh
        assert _allocate(order, config, origins, kept, lines) == fresh


def test_a_full_decision_memo_is_emptied_and_still_answers() -> None:
    ranking = Ranking(CONFIGS[0], dict(ORIGINS))
    line = SHARED[(0, "MUG", 1)]
    for n in range(RANKING_MEMO_LIMIT + 5):
        made = ranking.decision(1, "US-EAST", (line,), (f"reason {n}",))
        assert made.reasons == (f"reason {n}",) and made.lines == (line,)
        result = ranking.result((made,))
        assert result.decisions == (made,)
        assert ranking.explain(result) == f"part 1 US-EAST: reason {n}"
    assert 0 < len(ranking._decisions) <= RANKING_MEMO_LIMIT
    assert 0 < len(ranking._results) <= RANKING_MEMO_LIMIT
    assert 0 < len(ranking._explained) <= RANKING_MEMO_LIMIT
