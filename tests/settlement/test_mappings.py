"""The finance mappings' type tables and signs, and a release seen after the deferred report."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import MoneyType, from_micros
from channelhub.mappings.amazon.finance import transaction_record as amazon
from channelhub.mappings.ebay.finance import transaction_record as ebay
from channelhub.mappings.shipbob_finance import transaction_record as shipbob
from channelhub.mappings.shopify.finance import balance_transaction_record as shopify
from channelhub.store.repos.money import record_money
from channelhub.store.tables.money import MoneyLineRow

AT = "2026-03-01T10:00:00Z"


def _by_type(record: object) -> dict[MoneyType, Decimal]:
    totals: dict[MoneyType, Decimal] = {}
    for line in record.lines:  # type: ignore[attr-defined]
        totals[line.type] = totals.get(line.type, Decimal(0)) + line.amount
    return totals


def _amazon(status: str, kind: str = "Refund") -> dict[str, object]:
    def money(value: str) -> dict[str, object]:
        return {"currencyCode": "EUR", "currencyAmount": value}

    return {
        "transactionId": "T-1",
        "transactionType": kind,
        "transactionStatus": status,
        "postedDate": AT,
        "relatedIdentifiers": [
            {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": "302-1"},
            {"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": "S-9"},
        ],
        "breakdowns": [
            {"breakdownType": "Principal", "breakdownAmount": money("-20.00")},
            {
                "breakdownType": "MarketplaceFacilitatorTax-Principal",
                "breakdownAmount": money("-1.5"),
            },
            {"breakdownType": "FBAPerUnitFulfillmentFee", "breakdownAmount": money("-3.10")},
            {"breakdownType": "RefundCommission", "breakdownAmount": money("-0.60")},
        ],
    }


def test_amazon_types_and_signs() -> None:
    record = amazon(_amazon("DEFERRED"))
    assert _by_type(record) == {
        MoneyType.REFUND: Decimal("-20.00"),
        MoneyType.TAX_WITHHELD: Decimal("-1.5"),
        MoneyType.FULFILMENT_FEE: Decimal("-3.10"),
        MoneyType.CHANNEL_FEE: Decimal("-0.60"),
    }
    assert {line.order_ref for line in record.lines} == {"302-1"}


def test_ebay_signs_follow_the_booking_entry() -> None:
    body = {
        "transactionId": "E-1",
        "transactionType": "SALE",
        "transactionStatus": "FUNDS_PROCESSING",
        "bookingEntry": "CREDIT",
        "transactionDate": AT,
        "orderId": "12-34",
        "amount": {"value": "87.00", "currency": "USD"},
        "totalFeeBasisAmount": {"value": "100.00", "currency": "USD"},
        "orderLineItems": [
            {
                "lineItemId": "L1",
                "marketplaceFees": [
                    {"feeType": "FINAL_VALUE_FEE", "amount": {"value": "10.00", "currency": "USD"}},
                    {"feeType": "AD_FEE", "amount": {"value": "2.00", "currency": "USD"}},
                ],
            }
        ],
    }
    assert _by_type(ebay(body)) == {
        MoneyType.PRINCIPAL: Decimal("100.00"),
        MoneyType.CHANNEL_FEE: Decimal("-10.00"),
        MoneyType.ADVERTISING: Decimal("-2.00"),
        MoneyType.ADJUSTMENT: Decimal("-1.00"),  # what eBay kept beyond the fees it named
    }


def test_shopify_reserve_and_fee_lines() -> None:
    node = {
        "id": "gid://shopify/ShopifyPaymentsBalanceTransaction/7",
        "type": "RESERVED_FUNDS",
        "transactionDate": AT,
        "amount": {"amount": "-50.00", "currencyCode": "USD"},
        "fee": {"amount": "0.30", "currencyCode": "USD"},
        "associatedPayout": {"id": None, "status": "PENDING"},
    }
    assert _by_type(shopify(node)) == {
        MoneyType.RESERVE: Decimal("-50.00"),
        MoneyType.CHANNEL_FEE: Decimal("-0.30"),
    }


def test_shipbob_fees_cost_the_seller_and_credits_return() -> None:
    charge = {
        "transaction_id": "B-1",
        "transaction_type": "Charge",
        "transaction_fee": "Warehousing Fee",
        "invoice_type": "WarehouseStorage",
        "amount": 4.0,
        "currency_code": "USD",
        "charge_date": "2026-03-01",
        "taxes": [{"tax_type": "GST", "tax_amount": 0.4}],
    }
    assert _by_type(shipbob(charge)) == {
        MoneyType.STORAGE: Decimal("-4.0"),
        MoneyType.ADJUSTMENT: Decimal("-0.4"),
    }
    credit = {**charge, "transaction_id": "B-2", "transaction_type": "Credit", "taxes": []}
    assert _by_type(shipbob(credit)) == {MoneyType.STORAGE: Decimal("4.0")}


def test_a_release_read_after_the_deferred_report_counts_once(session: Session) -> None:
    deferred = amazon(_amazon("DEFERRED", kind="Shipment"))
    released = amazon(_amazon("DEFERRED_RELEASED", kind="Shipment"))
    now = deferred.lines[0].posted_at
    record_money(session, "amz", [deferred], now)
    record_money(session, "amz", [released], now)
    record_money(session, "amz", [released], now)  # and again: nothing more
    rows = list(session.scalars(select(MoneyLineRow).where(MoneyLineRow.account == "amz")))

    def total(status: str | None = None, payout: str | None = None) -> Decimal:
        return sum(
            (
                from_micros(r.amount_micros)
                for r in rows
                if (status is None or r.status == status)
                and (payout is None or r.payout_ref == payout)
            ),
            Decimal(0),
        )

    assert total() == Decimal("-25.20")  # the transaction, once
    assert total("released", "S-9") == Decimal("-25.20")  # all of it in its settlement
    assert total("deferred") == 0  # nothing left deferred


def test_finance_amounts_and_dates_are_bounded_like_orders() -> None:
    """A finance record is read by the same strict rules as an order: a float amount keeps
    its exact text, an absurd amount or a year-0 date is refused (the record is set aside)."""
    body = _amazon("RELEASED")
    body["breakdowns"] = [
        {
            "breakdownType": "Principal",
            "breakdownAmount": {"currencyCode": "EUR", "currencyAmount": 19.99},
        }
    ]
    assert _by_type(amazon(body)) == {MoneyType.REFUND: Decimal("19.99")}
    huge = {"currencyCode": "EUR", "currencyAmount": "1e999999"}
    with pytest.raises(InvalidInput, match="currencyAmount"):
        amazon({**body, "breakdowns": [{"breakdownType": "Principal", "breakdownAmount": huge}]})
    with pytest.raises(InvalidInput, match="postedDate"):
        amazon({**body, "postedDate": "0001-01-01T00:00:00Z"})
