"""4PX 递四方 consignment billing (``fu.wms.outbound.getbilling``: ``billinglist``) -> the hub's
warehouse charges (contract unverified: the SDK names no billing types; these are guessed, as
the simulator uses).

| 4PX ``billing_type`` | hub type |
|---|---|
| ``101`` (出库操作费 outbound handling) | warehouse_handling |
| ``102`` (尾程运费 last-mile delivery) | label |
| ``103`` (仓租 storage) | storage |
| any other type | adjustment, the type in the description |

Each line is one charge, component ``<position>:<billing_type>``, an amount of minus
``billing_amount`` in ``currency``; the record is posted on its first ``billing_date``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import MoneyType, WarehouseCharge

FEE_TYPES: Mapping[str, MoneyType] = {
    "101": MoneyType.WAREHOUSE_HANDLING,
    "102": MoneyType.LABEL,
    "103": MoneyType.STORAGE,
}
_CAPTIONS = {"101": "outbound handling", "102": "delivery", "103": "storage"}


def fee_type(code: str) -> MoneyType:
    """The hub type of a 4PX billing type (see the table): unknown types are adjustments."""
    return FEE_TYPES.get(code, MoneyType.ADJUSTMENT)


def _lines(data: Any) -> list[Any]:
    return list((data.get("billinglist") or []) if isinstance(data, dict) else [])


def fee_charges(data: Any) -> tuple[WarehouseCharge, ...]:
    """Every charge of the consignment's billing list, in the answer's order."""
    out: list[WarehouseCharge] = []
    for i, line in enumerate(_lines(data)):
        try:
            code = str(line.get("billing_type") or "")
            amount = Decimal(str(line["billing_amount"]))
            currency = str(line["currency"])
        except (KeyError, AttributeError, InvalidOperation, ValueError):
            raise InvalidInput.field("billinglist", line, "is not a charge", source="4PX") from None
        if len(currency) != 3 or not amount.is_finite():
            raise InvalidInput.field("billinglist", line, "is not a charge", source="4PX")
        caption = _CAPTIONS.get(code, "unmapped billing type")
        out.append(
            WarehouseCharge(
                f"{i}:{code}", fee_type(code), -amount, currency, code, f"4PX {code} ({caption})"
            )
        )
    return tuple(out)


def billed_on(data: Any) -> datetime | None:
    """The first ``billing_date`` of the list (midnight UTC), None when it names none."""
    for line in _lines(data):
        value = line.get("billing_date") if isinstance(line, dict) else None
        if isinstance(value, str) and value:
            try:
                return datetime.combine(date.fromisoformat(value[:10]), datetime.min.time(), UTC)
            except ValueError:
                raise InvalidInput.field(
                    "billing_date", value, "is not a date", source="4PX"
                ) from None
    return None
