"""The order and payout reconciliations find each injected error (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from channelhub.core.settlement import MoneySource, MoneyType
from channelhub.jobs.settlement.reconcile import reconcile_order_money, reconcile_payouts
from channelhub.mappings.money import settled
from channelhub.settings import FinanceSettings
from channelhub.store.db import make_session_factory
from channelhub.store.repos.money import record_money
from channelhub.store.tables.accounts import Account
from tests.settlement.seed import (
    T0,
    channel_records,
    line,
    record,
    seed_catalog_and_orders,
    seed_ledger,
    warehouse_records,
)

NOW = datetime(2026, 4, 1, tzinfo=UTC)
FINANCE = FinanceSettings.model_validate({"fees": {"shopify": {"percent": 15}}})


def _seeded(engine: Engine) -> Session:
    session = make_session_factory(engine)()
    seed_catalog_and_orders(session)
    return session


def test_clean_ledger_reconciles(engine: Engine) -> None:
    with _seeded(engine) as session:
        seed_ledger(session)
        session.commit()
    sessions = make_session_factory(engine)
    orders = reconcile_order_money(sessions, FINANCE, now=NOW)
    payouts, sums = reconcile_payouts(sessions, now=NOW)
    assert orders.discrepancies == [] and orders.counts["compared"]["orders"] == 3
    assert payouts.discrepancies == [] and [p.reconciles for p in sums] == [True]


def test_each_injected_fee_error_is_found(engine: Engine) -> None:
    with _seeded(engine) as session:
        records = [
            record(  # principal short by 2.00, and a fee of 9.00 (15 % allows 6.45)
                line("T-1", "charge", MoneyType.PRINCIPAL, "38.00", order="S-1"),
                line("T-1", "shipping", MoneyType.SHIPPING_CHARGED, "5.00", order="S-1"),
                line("T-1", "fee", MoneyType.CHANNEL_FEE, "-9.00", order="S-1"),
            ),
            *channel_records()[1:3],
            record(line("R-3", "refund", MoneyType.REFUND, "-8.00", order="S-3")),
        ]
        record_money(session, "acme", records, T0)
        # S-2 shipped, but the warehouse billed only S-1 (and the storage)
        fees = [r for r in warehouse_records() if r.provider_txn_id != "W-2"]
        record_money(session, "wh", fees, T0)
        session.commit()
    report = reconcile_order_money(make_session_factory(engine), FINANCE, now=NOW)
    found = {(d.discrepancy_class, d.subject["external_id"]) for d in report.discrepancies}
    assert found == {
        ("revenue_mismatch", "S-1"),
        ("fee_above_schedule", "S-1"),
        ("refund_without_return", "S-3"),
        ("warehouse_fee_missing", "S-2"),
    }
    fee = next(d for d in report.discrepancies if d.discrepancy_class == "fee_above_schedule")
    assert (fee.hub_value, fee.other_value) == ("6.45 USD", "9.00 USD")
    assert report.counts["discrepancies"]["fee_above_schedule"] == 1


def test_a_payout_that_does_not_sum_is_listed_with_its_lines(engine: Engine) -> None:
    with _seeded(engine) as session:
        records = channel_records()
        records[-1] = record(line("PO-1", "payout", MoneyType.PAYOUT, "-60.00", order=None))
        stray = line("T-8", "charge", MoneyType.ADJUSTMENT, "1.50", order=None, payout="P-9")
        record_money(session, "acme", [*records, record(stray)], T0)
        session.commit()
    report, sums = reconcile_payouts(make_session_factory(engine), now=NOW)
    by_class = {d.discrepancy_class: d for d in report.discrepancies}
    mismatch = by_class["payout_mismatch"]
    assert mismatch.subject == {"account": "acme", "payout": "P-1"}
    assert "paid 60.00 USD" in mismatch.explanation and "-2.20 USD unexplained" in (
        mismatch.explanation
    )
    assert len(mismatch.other_value) == 7
    assert "T-1/fee channel_fee -6.75 USD order S-1" in mismatch.other_value
    unmatched = by_class["payout_unmatched"]
    assert unmatched.subject["payout"] == "P-9" and unmatched.other_value == [
        "T-8/charge adjustment 1.5 USD"
    ]
    assert [(p.payout, p.reconciles) for p in sums] == [("P-1", False), ("P-9", False)]


def test_lines_settled_in_another_currency_and_warehouse_charges(engine: Engine) -> None:
    """S-2 (a USD order) settled in EUR: no revenue comparison, but its fee against the EUR
    revenue; a released warehouse charge (stored as three lines) is checked once."""
    wh = MoneySource.WAREHOUSE
    with _seeded(engine) as session:
        session.add(
            Account(platform="shipbob", name="wh", credentials=b"-", settings={},
                    created_at=T0, updated_at=T0)
        )  # fmt: skip
        eur = [
            line("T-2", "charge", MoneyType.PRINCIPAL, "14.00", order="S-2", currency="EUR"),
            line("T-2", "fee", MoneyType.CHANNEL_FEE, "-3.00", order="S-2", currency="EUR"),
        ]
        channel = channel_records()
        record_money(session, "acme", [channel[0], record(*eur), *channel[2:]], T0)
        pick = line("W-1", "pick", MoneyType.FULFILMENT_FEE, "-3.50", order="S-1", source=wh)
        released = replace(pick, payout_ref="INV-1", description="Per Pick Fee")
        fair = replace(pick, provider_txn_id="W-2", amount=Decimal("-2.50"), order_ref="S-2",
                       description="Per Pick Fee")  # fmt: skip
        record_money(session, "wh", [record(*settled([released])), record(fair)], T0)
        session.commit()
    finance = FinanceSettings.model_validate(
        {"fees": {"shopify": {"percent": 15}},
         "warehouse_fees": {"shipbob": {"Per Pick Fee": "2.50"}}}
    )  # fmt: skip
    report = reconcile_order_money(make_session_factory(engine), finance, now=NOW)
    found = sorted(
        (d.discrepancy_class, d.subject.get("external_id") or d.subject["transaction"],
         d.hub_value, d.other_value)
        for d in report.discrepancies
    )  # fmt: skip
    assert found == [
        ("fee_above_schedule", "S-2", "2.10 EUR", "3.00 EUR"),
        ("fee_above_schedule", "W-1", "2.50 USD", "3.50 USD"),
    ]
    assert report.counts["compared"]["warehouse_charges"] == 2
