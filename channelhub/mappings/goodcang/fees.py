"""Goodcang 谷仓 ``fee_details`` (OrderFeeComposite in ``contracts/wms/goodcang/order.md``) ->
the hub's warehouse charges, one per non-zero fee (contract unverified: the codes' meaning is
the table's Chinese caption; their hub types are ours).

| Goodcang key | caption | hub type |
|---|---|---|
| ``SHIPPING`` | 运输费 shipping | label |
| ``FSC`` | 燃油附加费 fuel surcharge | label |
| ``RSF`` | 挂号 registration | label |
| ``OPF`` | 操作费用 handling | warehouse_handling |
| ``DT`` | 关税 duty | adjustment (a cost the seller pays, not the buyer's tax) |
| ``OTF`` | 其它费用 other | adjustment |
| any other key with a number | -- | adjustment, the key in the description |

``totalFee`` and ``currency_code`` are not charges: the total is checked against the lines,
and what it holds beyond them (a fee Goodcang totals without itemising) is one more
adjustment line ``totalFee-rest``, so the ledger sums to what Goodcang charged. Amounts are
costs: a charge of 3.5 is a line of -3.5.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import MoneyType, WarehouseCharge

SOURCE = "goodcang"
FEE_TYPES: Mapping[str, MoneyType] = {
    "SHIPPING": MoneyType.LABEL,
    "FSC": MoneyType.LABEL,
    "RSF": MoneyType.LABEL,
    "OPF": MoneyType.WAREHOUSE_HANDLING,
    "DT": MoneyType.ADJUSTMENT,
    "OTF": MoneyType.ADJUSTMENT,
}
_NOT_CHARGES = frozenset({"totalFee", "currency_code"})
_CAPTIONS = {
    "SHIPPING": "shipping",
    "FSC": "fuel surcharge",
    "RSF": "registration",
    "OPF": "handling",
    "DT": "duty",
    "OTF": "other fees",
}


def _number(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidInput.field(where, value, "is not a number", source=SOURCE)
    try:
        return Decimal(str(value)) if value != "" else Decimal(0)
    except InvalidOperation:
        raise InvalidInput.field(where, value, "is not a number", source=SOURCE) from None


def fee_type(code: str) -> MoneyType:
    """The hub type of a ``fee_details`` key (see the table): unknown keys are adjustments."""
    return FEE_TYPES.get(code, MoneyType.ADJUSTMENT)


def charged(fees: Mapping[str, Any]) -> bool:
    """Whether Goodcang has charged the order (it names the currency only then)."""
    return bool(fees.get("currency_code"))


def fee_charges(fees: Mapping[str, Any]) -> tuple[WarehouseCharge, ...]:
    """The charges of one order's ``fee_details``; none while Goodcang has not charged."""
    if not charged(fees):
        return ()
    currency = str(fees["currency_code"])
    out: list[WarehouseCharge] = []
    for code, value in fees.items():
        if code in _NOT_CHARGES:
            continue
        amount = _number(value, f"fee_details.{code}")
        if amount == 0:
            continue
        kind = fee_type(code)
        caption = _CAPTIONS.get(code, "unmapped fee")
        out.append(
            WarehouseCharge(code, kind, -amount, currency, code, f"Goodcang {code} ({caption})")
        )
    rest = _number(fees.get("totalFee") or 0, "fee_details.totalFee") + sum(
        (c.amount for c in out), Decimal(0)
    )
    if rest != 0:
        out.append(
            WarehouseCharge(
                "totalFee-rest",
                MoneyType.ADJUSTMENT,
                -rest,
                currency,
                "totalFee",
                "Goodcang totalFee beyond its itemised fees",
            )
        )
    return tuple(out)
