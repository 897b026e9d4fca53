"""The money ledger: each provider record and line stored once, however often imported."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.settlement import (
    MoneyLine,
    MoneySource,
    MoneyStatus,
    MoneyType,
    ProviderRecord,
    from_micros,
    to_micros,
)
from channelhub.store.repos.money import record_money
from channelhub.store.tables.money import MoneyLineRow, MoneyRecordRow

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _record(txn: str, fee: str = "-1.95") -> ProviderRecord:
    def line(component: str, kind: MoneyType, amount: str) -> MoneyLine:
        return MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id=txn,
            component=component,
            type=kind,
            amount=Decimal(amount),
            currency="USD",
            posted_at=T0,
            status=MoneyStatus.DEFERRED,
            order_ref="113-0000001",
            payout_ref="G-1",
        )

    return ProviderRecord(
        provider_txn_id=txn,
        kind="transaction",
        payload={"transactionId": txn, "totalAmount": {"currencyAmount": 18.05}},
        lines=(
            line("ProductCharges", MoneyType.PRINCIPAL, "20.00"),
            line("AmazonFees/Commission", MoneyType.CHANNEL_FEE, fee),
        ),
    )


def _sum(session: Session) -> Decimal:
    total = session.scalar(select(func.sum(MoneyLineRow.amount_micros)))
    return from_micros(int(total or 0))


def test_reimporting_the_same_records_changes_nothing(session: Session) -> None:
    first = record_money(session, "my-amazon", [_record("T1"), _record("T2")], T0)
    again = record_money(session, "my-amazon", [_record("T1"), _record("T2")], T0)
    session.commit()
    assert (first.records, first.lines) == (2, 4)
    assert (again.records, again.lines) == (0, 0)
    assert _sum(session) == Decimal("36.10")
    assert session.scalar(select(func.count()).select_from(MoneyRecordRow)) == 2


def test_same_provider_id_on_another_account_is_another_line(session: Session) -> None:
    record_money(session, "my-amazon", [_record("T1")], T0)
    added = record_money(session, "my-amazon-eu", [_record("T1")], T0)
    assert added.lines == 2


def test_a_record_repeated_in_one_page_is_kept_once(session: Session) -> None:
    added = record_money(session, "my-amazon", [_record("T1"), _record("T1")], T0)
    assert (added.records, added.lines) == (1, 2)


def test_many_lines_go_in_chunks(session: Session) -> None:
    records = [_record(f"T{i}") for i in range(700)]
    added = record_money(session, "my-amazon", records, T0)
    assert added.lines == 1400
    assert _sum(session) == Decimal("18.05") * 700


def test_amounts_round_trip_exactly_and_refuse_sub_micro_precision() -> None:
    assert from_micros(to_micros(Decimal("-0.000001"))) == Decimal("-0.000001")
    with pytest.raises(ValueError, match="6 decimal places"):
        to_micros(Decimal("0.0000001"))


def test_a_line_needs_a_zoned_time_and_a_currency_code() -> None:
    with pytest.raises(ValueError, match="time zone"):
        MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id="T",
            component="c",
            type=MoneyType.PRINCIPAL,
            amount=Decimal(1),
            currency="USD",
            posted_at=datetime(2026, 3, 1),
        )
    with pytest.raises(ValueError, match="ISO 4217"):
        MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id="T",
            component="c",
            type=MoneyType.PRINCIPAL,
            amount=Decimal(1),
            currency="US",
            posted_at=T0,
        )
