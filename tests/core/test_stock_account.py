"""account_for_units: for any stock, rule and bundle, the parts add up to the units on hand and
the pushed part is exactly the sellable quantity in base units."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.core.catalog import Catalog
from channelhub.core.products import Component, Sku, SkuKind
from channelhub.core.sellable import StockRule, StockRules, sellable
from channelhub.core.stock import Balance
from channelhub.core.stock_account import account_for_units

CATALOG = Catalog(
    [
        Sku(code="A"),
        Sku(code="B"),
        Sku(
            code="SET",
            kind=SkuKind.COMBO,
            components=(Component(sku="A", qty=2), Component(sku="B", qty=3)),
        ),
        Sku(code="KIT", kind=SkuKind.KIT, components=(Component(sku="A", qty=4),)),
    ]
)

balances = st.lists(
    st.builds(
        Balance,
        warehouse=st.sampled_from(["W1", "W2", "W3"]),
        sku=st.sampled_from(["A", "B", "KIT"]),
        on_hand=st.integers(0, 500),
        reserved=st.integers(0, 200),
    ),
    max_size=9,
    unique_by=lambda b: (b.warehouse, b.sku),
)
rules = st.builds(
    StockRule,
    buffer=st.none() | st.integers(0, 20),
    share=st.none()
    | st.sampled_from([Decimal("1"), Decimal("0.8"), Decimal("0.5"), Decimal("0.33")]),
    maximum=st.none() | st.integers(0, 100),
    minimum=st.none() | st.integers(0, 10),
    warehouses=st.none() | st.sampled_from([("W1",), ("W1", "W2")]),
)


@settings(max_examples=300, deadline=None)
@given(
    stock=balances,
    rule=rules,
    sku=st.sampled_from(["A", "SET", "KIT"]),
    multiplier=st.integers(1, 4),
)
def test_every_unit_is_accounted_for(
    stock: list[Balance], rule: StockRule, sku: str, multiplier: int
) -> None:
    explanation = sellable(
        listing="amazon:us1:L1",
        channel="amazon",
        account="us1",
        sku=sku,
        multiplier=multiplier,
        catalog=CATALOG,
        balances=stock,
        rules=StockRules(default=rule),
    )
    accounts = account_for_units(explanation)
    assert {a.sku for a in accounts} == set(CATALOG.stock_units(sku))
    for account in accounts:
        assert account.consistent, account.render()
        assert account.on_hand == sum(b.on_hand for b in stock if b.sku == account.sku)
        assert dict(account.parts)["pushed"] == explanation.quantity * account.per_listing_unit
