"""The pure parts: rates CSV, product cost columns, fee schedule and the order checks."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from channelhub.core.discrepancy import DiscrepancyClass
from channelhub.core.profit import FeeSchedule, FinanceConfig
from channelhub.core.settlement_checks import (
    OrderMoney,
    PayoutSums,
    WarehouseCharge,
    check_order,
    check_payouts,
    check_warehouse_fees,
)
from channelhub.mappings.fx_csv import parse_rates_csv
from channelhub.mappings.products_csv import parse_products_csv


def test_rates_csv_reports_each_bad_row_and_refuses_the_reporting_currency() -> None:
    parsed = parse_rates_csv(
        "date,currency,rate\n2026-03-01,eur,1.0834\n2026-03-01,USD,1\n2026-02-30,GBP,1.2\n"
        "2026-03-01,GBP,-1\n2026-03-01,EUR,1.09\n2026-03-02,JPY,0.0067123456789\n",
        quote="USD",
    )
    assert [(r.currency, str(r.rate)) for r in parsed.rates] == [("EUR", "1.0834")]
    shown = [str(e) for e in parsed.errors]
    assert shown[0] == "row 2, column currency: 'USD' is the reporting currency (always 1 USD)"
    assert shown[1].startswith("row 3, column date: '2026-02-30' is not an ISO date")
    assert "row 4, column rate" in shown[2] and "positive" in shown[2]
    assert shown[3] == "row 5, column date: '2026-03-01' repeats row 1"
    assert "more than 9 decimal places" in shown[4]


def test_products_csv_reads_costs_and_wants_their_currency() -> None:
    parsed = parse_products_csv(
        "code,kind,components,cost,cost_currency,landed_cost\nA,single,,2.50,usd,3.10\n"
        "B,single,,1.00,,\nC,combo,A*2,1.00,USD,\n"
    )
    (a,) = parsed.skus
    assert (a.cost and a.cost.amount, a.cost_currency) == (Decimal("2.50"), "USD")
    assert a.landed_cost is not None and a.landed_cost.amount == Decimal("3.10")
    shown = [str(e) for e in parsed.errors]
    assert shown[0] == "row 2, column cost_currency: '' is needed with a cost"
    assert "row 3" in shown[1] and "its cost is its components' costs" in shown[1]


ORDER = OrderMoney(
    channel="amazon", account="amz", external_id="A-1", currency="EUR", cancelled=False,
    refunded_by_channel=False, shipped=True, merchant_fulfilled=True,
    expected_principal=Decimal("100"), expected_shipping=Decimal("5"),
    principal=Decimal("100"), shipping=Decimal("5"), channel_fees=Decimal("-15.75"),
    refunds=Decimal(0), channel_lines=3, warehouse_lines=1,
)  # fmt: skip
FEES = {"amazon": FeeSchedule(percent=Decimal(15))}


def _classes(order: OrderMoney, *, warehouse: bool = True) -> list[DiscrepancyClass]:
    found = check_order(order, FEES, warehouse_fees_expected=warehouse)
    return [d.discrepancy_class for d in found]


def test_order_checks() -> None:
    assert _classes(ORDER) == []
    assert FEES["amazon"].expected_fee(Decimal(105)) == Decimal("15.75")
    assert _classes(replace(ORDER, channel_fees=Decimal("-15.77"))) == [
        DiscrepancyClass.FEE_ABOVE_SCHEDULE
    ]
    assert _classes(replace(ORDER, principal=Decimal(102))) == [DiscrepancyClass.REVENUE_MISMATCH]
    # a refund is explained by a cancellation or the channel's own refund on the order
    refunded = replace(ORDER, refunds=Decimal(-100))
    assert _classes(refunded) == [DiscrepancyClass.REFUND_WITHOUT_RETURN]
    assert _classes(replace(refunded, cancelled=True)) == []
    assert _classes(replace(refunded, refunded_by_channel=True)) == []
    # lines in another currency: no comparison (no guessed rate)
    assert _classes(replace(ORDER, principal=Decimal(90), other_currency_lines=1)) == []
    unbilled = replace(ORDER, warehouse_lines=0)
    assert _classes(unbilled) == [DiscrepancyClass.WAREHOUSE_FEE_MISSING]
    assert _classes(unbilled, warehouse=False) == []
    assert _classes(replace(unbilled, merchant_fulfilled=False)) == []


def test_payout_checks_and_config() -> None:
    ok = PayoutSums("amz", "P-1", "EUR", Decimal("-50.00"), Decimal("50.004"), 3)
    off = replace(ok, released=Decimal("49"))
    found = list(check_payouts([ok, off, replace(ok, payout="P-2", amount=None)]))
    assert [d.discrepancy_class for d in found] == [
        DiscrepancyClass.PAYOUT_MISMATCH,
        DiscrepancyClass.PAYOUT_UNMATCHED,
    ]
    assert "-1.00 EUR unexplained" in found[0].explanation
    with pytest.raises(ValueError, match="ISO 4217"):
        FinanceConfig(currency="XX")
    assert FinanceConfig.model_validate({"fees": {"ebay": {"percent": 13.25}}}).fees[
        "ebay"
    ].percent == Decimal("13.25")


def test_a_fee_rounded_to_whole_yen_is_not_above_schedule() -> None:
    yen = replace(ORDER, currency="JPY", principal=Decimal(17725), shipping=Decimal(0),
                  expected_principal=Decimal(17725), expected_shipping=Decimal(0),
                  channel_fees=Decimal(-2659))  # fmt: skip
    assert _classes(yen) == []  # 15 % is 2658.75: the provider rounds it to 2659
    assert _classes(replace(yen, channel_fees=Decimal(-2660))) == [
        DiscrepancyClass.FEE_ABOVE_SCHEDULE
    ]


def test_a_channel_reporting_one_gross_amount_is_checked_on_lines_plus_shipping() -> None:
    gross = replace(ORDER, principal=Decimal(105), shipping=Decimal(0))
    assert _classes(gross) == []
    assert _classes(replace(gross, principal=Decimal(104), channel_fees=Decimal("-15.6"))) == [
        DiscrepancyClass.REVENUE_MISMATCH
    ]


def test_lines_settled_in_the_sellers_currency_still_have_their_fee_checked() -> None:
    usd = replace(ORDER, other_currency_lines=3, settled_in="USD", principal=Decimal(90),
                  shipping=Decimal(0), channel_fees=Decimal("-13.50"))  # fmt: skip
    assert _classes(usd) == []  # no revenue comparison across currencies
    found = list(check_order(replace(usd, channel_fees=Decimal(-20)), FEES,
                             warehouse_fees_expected=True))  # fmt: skip
    assert [d.discrepancy_class for d in found] == [DiscrepancyClass.FEE_ABOVE_SCHEDULE]
    assert found[0].other_value == "20.00 USD"


def test_warehouse_charges_against_their_declared_fee() -> None:
    config = FinanceConfig.model_validate({"warehouse_fees": {"shipbob": {"Per Pick Fee": 2.5}}})
    assert config.warehouse_fees["shipbob"]["Per Pick Fee"] == Decimal("2.5")
    pick = WarehouseCharge("shipbob", "sb", "SB-1-P", "Per Pick Fee", Decimal("-2.50"), "USD")
    charges = [
        pick,
        replace(pick, provider_txn_id="SB-2-P", amount=Decimal("-3.50"), order_ref="ORD-2"),
        replace(pick, provider_txn_id="SB-3-L", fee="Shipping", amount=Decimal("-9.00")),
        replace(pick, provider_txn_id="SB-4-P", platform="other", amount=Decimal("-9.00")),
    ]
    (found,) = check_warehouse_fees(charges, config.warehouse_fees)
    assert found.discrepancy_class == DiscrepancyClass.FEE_ABOVE_SCHEDULE
    assert found.subject == {"account": "sb", "transaction": "SB-2-P"}
    assert (found.hub_value, found.other_value) == ("2.50 USD", "3.50 USD")
    assert "order ORD-2" in found.explanation
