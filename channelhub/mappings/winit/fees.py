"""WINIT 万邑通 order fees (``queryOutboundOrderFee``: fee records, each with its
``incomeSettlementLineVos``) -> the hub's warehouse charges (contract unverified: the SDK
names the query, not the charge codes; the codes below are guessed, as the simulator uses).

| WINIT ``chargeCode`` | hub type |
|---|---|
| ``handling``, ``outbound`` | warehouse_handling |
| ``delivery``, ``shipping``, ``fuel`` | label |
| ``storage`` | storage |
| any other code | adjustment, the code and ``chargeName`` in the description |

Each line is one charge, component ``<record>.<line>:<code>`` (positions in the answer), an
amount of minus ``sourceAmt`` in ``sourceCurrency`` (a charge costs the seller).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import MoneyType, WarehouseCharge

FEE_TYPES: Mapping[str, MoneyType] = {
    "handling": MoneyType.WAREHOUSE_HANDLING,
    "outbound": MoneyType.WAREHOUSE_HANDLING,
    "delivery": MoneyType.LABEL,
    "shipping": MoneyType.LABEL,
    "fuel": MoneyType.LABEL,
    "storage": MoneyType.STORAGE,
}


def fee_type(code: str) -> MoneyType:
    """The hub type of a WINIT charge code (see the table): unknown codes are adjustments."""
    return FEE_TYPES.get(code.lower(), MoneyType.ADJUSTMENT)


def fee_charges(data: Any) -> tuple[WarehouseCharge, ...]:
    """Every charge of the order's fee records, in the answer's order."""
    out: list[WarehouseCharge] = []
    records = (data.get("list") or []) if isinstance(data, dict) else []
    for i, record in enumerate(records):
        lines = record.get("incomeSettlementLineVos") if isinstance(record, dict) else None
        for j, line in enumerate(lines or []):
            try:
                code = str(line.get("chargeCode") or "")
                amount = Decimal(str(line["sourceAmt"]))
                currency = str(line["sourceCurrency"])
            except (KeyError, AttributeError, InvalidOperation, ValueError):
                raise InvalidInput.field(
                    "incomeSettlementLineVos", line, "is not a charge", source="WINIT"
                ) from None
            if len(currency) != 3 or not amount.is_finite():
                raise InvalidInput.field(
                    "incomeSettlementLineVos", line, "is not a charge", source="WINIT"
                )
            name = str(line.get("chargeName") or code)
            out.append(
                WarehouseCharge(
                    f"{i}.{j}:{code}", fee_type(code), -amount, currency, code, f"WINIT {name}"
                )
            )
    return tuple(out)
