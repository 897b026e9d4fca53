"""Each overseas warehouse's fee codes -> the hub's money types (pure): the documented tables,
an unknown code as an adjustment that names it, and when a fee record is final."""

from __future__ import annotations

from decimal import Decimal

from channelhub.connectors.fees import fees_final
from channelhub.core.fulfilment import OutboundState
from channelhub.core.settlement import MoneyType as T
from channelhub.mappings.fourpx import fees as fourpx
from channelhub.mappings.goodcang import fees as goodcang
from channelhub.mappings.winit import fees as winit


def test_goodcang_fee_details_become_typed_charges_and_the_untold_rest_an_adjustment() -> None:
    fees = {
        "totalFee": "12.5",
        "SHIPPING": "5",
        "OPF": "3.6",
        "FSC": 0,
        "DT": "1.2",
        "XYZ": "0.7",  # a key the table does not know
        "currency_code": "EUR",
    }
    charges = {c.component: c for c in goodcang.fee_charges(fees)}
    assert {k: (c.type, c.amount) for k, c in charges.items()} == {
        "SHIPPING": (T.LABEL, Decimal("-5")),
        "OPF": (T.WAREHOUSE_HANDLING, Decimal("-3.6")),
        "DT": (T.ADJUSTMENT, Decimal("-1.2")),
        "XYZ": (T.ADJUSTMENT, Decimal("-0.7")),
        "totalFee-rest": (T.ADJUSTMENT, Decimal("-2.0")),  # 12.5 - 10.5 itemised
    }
    assert "XYZ" in charges["XYZ"].description and charges["XYZ"].currency == "EUR"
    assert goodcang.fee_charges({**fees, "currency_code": ""}) == ()  # not charged yet


def test_winit_and_4px_codes_map_by_their_tables_and_unknown_ones_are_named() -> None:
    answer = {
        "list": [
            {
                "incomeSettlementLineVos": [
                    {"chargeCode": "handling", "sourceAmt": "4.50", "sourceCurrency": "USD"},
                    {"chargeCode": "ZZ9", "chargeName": "Peak", "sourceAmt": "1",
                     "sourceCurrency": "USD"},
                ]
            }
        ]
    }  # fmt: skip
    w = winit.fee_charges(answer)
    assert [(c.component, c.type, c.amount) for c in w] == [
        ("0.0:handling", T.WAREHOUSE_HANDLING, Decimal("-4.50")),
        ("0.1:ZZ9", T.ADJUSTMENT, Decimal("-1")),
    ]
    assert "Peak" in w[1].description and w[1].code == "ZZ9"
    billing = {
        "billinglist": [
            {"billing_type": "102", "billing_amount": "6.20", "currency": "USD",
             "billing_date": "2026-03-01"},
            {"billing_type": "777", "billing_amount": "0.30", "currency": "USD"},
        ]
    }  # fmt: skip
    f = fourpx.fee_charges(billing)
    assert [(c.component, c.type, c.amount) for c in f] == [
        ("0:102", T.LABEL, Decimal("-6.20")),
        ("1:777", T.ADJUSTMENT, Decimal("-0.30")),
    ]
    assert "777" in f[1].description
    assert fourpx.billed_on(billing) is not None and fourpx.billed_on({}) is None


def test_a_fee_record_is_final_once_stopped_or_shipped_and_charged() -> None:
    assert fees_final(OutboundState.CANCELLED, charged=False)
    assert fees_final(OutboundState.SHIPPED, charged=True)
    assert not fees_final(OutboundState.SHIPPED, charged=False)  # not billed yet: read again
    assert not fees_final(OutboundState.PICKING, charged=True)
