"""Per-order profit from hand-built ledger lines over seeded orders (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from channelhub.core.money import Money
from channelhub.core.products import Sku
from channelhub.core.profit import AllocationRule
from channelhub.core.settlement import MoneyType
from channelhub.store.repos.money import record_money
from channelhub.store.repos.products import upsert_sku
from channelhub.store.repos.profit import (
    ProfitQuery,
    ProfitRow,
    profit_by_order,
    profit_grouped,
    profit_problems,
)
from tests.settlement.seed import (
    T0,
    channel_records,
    line,
    record,
    seed_catalog_and_orders,
    seed_ledger,
)

USD = ProfitQuery(currency="USD")


def _orders(session: Session, q: ProfitQuery = USD) -> dict[str, ProfitRow]:
    return {row.key: row for row in profit_by_order(session, q)}


def _f(row: ProfitRow, name: str) -> Decimal:
    return row.figures[name]


def test_combo_and_kit_costed_by_components_sums_and_reimport(session: Session) -> None:
    seed_catalog_and_orders(session)
    seed_ledger(session)
    session.commit()
    rows = _orders(session)
    s1, s2, s3 = rows["S-1"], rows["S-2"], rows["S-3"]
    # S-1: 2 x combo SET = 2 x (MUG at its landed 2.40 + 2 x LID 0.50)
    assert _f(s1, "product_cost") == Decimal("-6.80")
    # S-2: the kit BOX has no cost of its own: MUG 2.40 + LID 0.50
    assert _f(s2, "product_cost") == Decimal("-2.90")
    # S-3: 1 x (2 x SPOON at 7.00 CNY), at the CNY rate on or before the order day (0.14)
    assert _f(s3, "product_cost") == Decimal("-1.96")
    assert (_f(s1, "revenue"), _f(s1, "channel_fees"), _f(s1, "fulfilment")) == (
        Decimal(45), Decimal("-6.75"), Decimal(-3),
    )  # fmt: skip
    assert _f(s1, "direct_profit") == Decimal("28.45")
    # storage 6.80 shared by revenue: 45, 15 and 8 of 68; shown apart from the direct costs
    assert [_f(r, "allocated") for r in (s1, s2, s3)] == [
        Decimal("-4.5"), Decimal("-1.5"), Decimal("-0.8"),
    ]  # fmt: skip
    assert _f(s1, "profit") == Decimal("23.95") and s1.complete
    assert _f(s1, "other") == 0  # the storage line is not a direct cost of any order

    # grouped, the figures add up to the orders'
    total = sum((_f(r, "profit") for r in rows.values()), start=Decimal(0))
    (channel,) = profit_grouped(session, USD, by="channel")
    (month,) = profit_grouped(session, USD, by="month")
    assert _f(channel, "profit") == _f(month, "profit") == total == Decimal("34.34")
    assert (channel.key, month.key, channel.orders) == ("shopify", "2026-03", 3)
    by_sku = {r.key: r for r in profit_grouped(session, USD, by="sku")}
    assert _f(by_sku["SET"], "product_cost") == Decimal("-6.80")
    assert _f(by_sku["BOX"], "profit") == Decimal("6.35")
    assert sum((_f(r, "profit") for r in by_sku.values()), start=Decimal(0)) == total

    # importing the same provider records again changes no figure
    seed_ledger(session)  # the same provider records again: stored once
    record_money(session, "acme", channel_records()[:2], T0)
    session.commit()
    assert _orders(session) == rows


def test_a_missing_rate_is_listed_never_taken_as_one(session: Session) -> None:
    seed_catalog_and_orders(session)
    seed_ledger(session)
    # a EUR adjustment on S-1 posted before the first EUR rate (2026-03-10)
    eur = line("T-9", "adj", MoneyType.ADJUSTMENT, "-1.00", order="S-1", currency="EUR")
    record_money(session, "acme", [record(eur)], T0)
    session.commit()
    s1 = _orders(session)["S-1"]
    assert s1.missing_fx == 1 and not s1.complete
    assert _f(s1, "other") == 0  # left out, not converted at 1.0
    (missing,) = profit_problems(session, USD).missing_rates
    assert (missing.currency, missing.first_day.isoformat(), missing.lines) == (
        "EUR", "2026-03-05", 1,
    )  # fmt: skip
    assert "no EUR rate on or before 2026-03-05" in str(missing)


def test_a_sku_without_a_cost_is_flagged_and_units_rule_allocates(session: Session) -> None:
    seed_catalog_and_orders(session)
    seed_ledger(session)
    upsert_sku(session, Sku(code="LID"), now=T0)  # LID's cost removed
    session.commit()
    q = ProfitQuery(currency="USD", rule=AllocationRule.UNITS)
    rows = _orders(session, q)
    assert rows["S-1"].missing_cost == 1 and rows["S-3"].complete
    assert _f(rows["S-1"], "product_cost") == Decimal("-4.80")  # the MUGs only
    # by units sold: S-1 2, S-2 1, S-3 1 of 4
    assert [_f(rows[k], "allocated") for k in ("S-1", "S-2", "S-3")] == [
        Decimal("-3.4"), Decimal("-1.7"), Decimal("-1.7"),
    ]  # fmt: skip


def test_period_costs_with_no_order_in_their_month_are_listed(session: Session) -> None:
    seed_catalog_and_orders(session)
    april = datetime(2026, 4, 2, tzinfo=UTC)
    ads = line("A-1", "ads", MoneyType.ADVERTISING, "-9.00", order=None, posted_at=april)
    record_money(session, "acme", [record(ads)], april)
    upsert_sku(session, Sku(code="MUG", cost=Money.of("2.00", "USD")), now=T0)
    session.commit()
    problems = profit_problems(session, USD)
    assert problems.unallocated == [("2026-04", "acme", Decimal("-9"))]
    assert profit_grouped(session, USD, by="month")[0].figures["allocated"] == 0
