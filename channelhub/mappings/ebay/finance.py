"""eBay money (Sell Finances v1 ``getTransactions`` and ``getPayouts``) as ledger lines.

eBay states amounts unsigned with a ``bookingEntry`` (CREDIT: to the seller, DEBIT: from the
seller). A transaction becomes: one gross line of ``totalFeeBasisAmount`` (what the fees were
computed on: item price plus shipping, eBay does not split them here), one line per marketplace
fee of each order line (component ``fee/<lineItemId>/<feeType>/<n>``), and, when the
transaction's ``amount`` differs from gross less fees, one ``adjustment`` line of the
difference, so the lines always sum to the signed ``amount``. A transaction without a fee
basis is one line of its amount. A payout is one ``payout`` line of minus its amount.

Type table (``transactionType``; fee lines by ``feeType``):

| eBay | hub type |
|---|---|
| SALE (gross) | principal (item and shipping together) |
| REFUND (gross) | refund |
| DISPUTE | chargeback |
| SHIPPING_LABEL | label |
| NON_SALE_CHARGE with feeType AD_FEE / *PROMOTED* | advertising |
| NON_SALE_CHARGE, other fee types | channel_fee |
| any marketplace fee (FINAL_VALUE_FEE, ...) | channel_fee |
| ADJUSTMENT / CREDIT / TRANSFER whose memo says "reserve" | reserve |
| ADJUSTMENT, CREDIT, TRANSFER, anything else | adjustment |
| a payout | payout |

Status: ``transactionStatus`` PAYOUT is released; FUNDS_ON_HOLD, FUNDS_PROCESSING,
FUNDS_AVAILABLE_FOR_PAYOUT are deferred. Links: ``orderId`` -> order, the one order line's
``lineItemId`` -> line, ``payoutId`` -> payout.

A released transaction is stored as :func:`channelhub.mappings.money.settled` writes it (a
base line, its reversal and the released line), so a release seen after the deferred report
changes the sums exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from channelhub.core import strict
from channelhub.core.errors import InvalidInput
from channelhub.core.settlement import (
    MoneyLine,
    MoneySource,
    MoneyStatus,
    MoneyType,
    ProviderRecord,
)
from channelhub.mappings.money import settled

_GROSS = {
    "SALE": MoneyType.PRINCIPAL,
    "REFUND": MoneyType.REFUND,
    "DISPUTE": MoneyType.CHARGEBACK,
    "SHIPPING_LABEL": MoneyType.LABEL,
    "NON_SALE_CHARGE": MoneyType.CHANNEL_FEE,
}
_RELEASED = frozenset({"PAYOUT", "COMPLETED"})
_NOT_PAID = frozenset({"RETRYABLE_FAILED", "TERMINAL_FAILED", "REVERSED"})


def _amount(node: Any, where: str) -> tuple[Decimal, str]:
    return strict.money_node(node, where=where, amount_key="value", currency_key="currency")


def _time(value: object, where: str) -> datetime:
    return strict.iso_instant(value, where)


def _sign(body: Mapping[str, Any]) -> int:
    entry = body.get("bookingEntry")
    if entry not in ("CREDIT", "DEBIT"):
        raise InvalidInput.field("bookingEntry", entry, "is neither CREDIT nor DEBIT")
    return 1 if entry == "CREDIT" else -1


def _fee_type(fee_type: str) -> MoneyType:
    upper = fee_type.upper()
    return (
        MoneyType.ADVERTISING if "AD_FEE" in upper or "PROMOTED" in upper else MoneyType.CHANNEL_FEE
    )


def _gross_type(body: Mapping[str, Any]) -> MoneyType:
    kind = str(body.get("transactionType") or "")
    if kind == "NON_SALE_CHARGE":
        return _fee_type(str(body.get("feeType") or ""))
    if "reserve" in str(body.get("transactionMemo") or "").lower():
        return MoneyType.RESERVE
    return _GROSS.get(kind, MoneyType.ADJUSTMENT)


def transaction_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One getTransactions ``Transaction`` as a provider record with its lines."""
    txn_id = body.get("transactionId")
    if not isinstance(txn_id, str) or not txn_id:
        raise InvalidInput.field("transactionId", txn_id, "is missing")
    sign = _sign(body)
    net, currency = _amount(body.get("amount"), "amount")
    posted = _time(body.get("transactionDate"), "transactionDate")
    released = str(body.get("transactionStatus")) in _RELEASED
    given = body.get("orderLineItems")
    items: list[Any] = given if isinstance(given, list) else []
    order_ref = body.get("orderId") if isinstance(body.get("orderId"), str) else None
    line_ref = None
    if len(items) == 1 and isinstance(items[0], Mapping):
        line_ref = items[0].get("lineItemId")

    def line(component: str, kind: MoneyType, amount: Decimal) -> MoneyLine:
        return MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id=txn_id,
            component=component,
            type=kind,
            amount=amount,
            currency=currency,
            posted_at=posted,
            status=MoneyStatus.RELEASED if released else MoneyStatus.DEFERRED,
            order_ref=order_ref,
            line_ref=line_ref if isinstance(line_ref, str) else None,
            payout_ref=body.get("payoutId") if isinstance(body.get("payoutId"), str) else None,
            description=str(body.get("transactionMemo") or body.get("transactionType") or ""),
        )

    basis = body.get("totalFeeBasisAmount")
    if basis is None:
        only = line("amount", _gross_type(body), sign * net)
        return ProviderRecord(txn_id, "transaction", dict(body), settled([only]))
    gross, _ = _amount(basis, "totalFeeBasisAmount")
    lines = [line("gross", _gross_type(body), sign * gross)]
    fees = Decimal(0)
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput.field(f"orderLineItems[{i}]", item, "is not an order line")
        for n, fee in enumerate(item.get("marketplaceFees") or []):
            where = f"orderLineItems[{i}].marketplaceFees[{n}]"
            if not isinstance(fee, Mapping):
                raise InvalidInput.field(where, fee, "is not a fee")
            value, _ = _amount(fee.get("amount"), f"{where}.amount")
            fee_type = str(fee.get("feeType") or "FEE")
            fees += value
            component = f"fee/{item.get('lineItemId') or i}/{fee_type}/{n}"
            lines.append(line(component, _fee_type(fee_type), -sign * value))
    rest = sign * net - sign * (gross - fees)
    if rest:
        lines.append(line("rest", MoneyType.ADJUSTMENT, rest))
    return ProviderRecord(txn_id, "transaction", dict(body), settled(lines))


def payout_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One getPayouts ``Payout``: a payout line of minus its amount (none when it failed)."""
    payout_id = body.get("payoutId")
    if not isinstance(payout_id, str) or not payout_id:
        raise InvalidInput.field("payoutId", payout_id, "is missing")
    amount, currency = _amount(body.get("amount"), "amount")
    posted = _time(body.get("payoutDate"), "payoutDate")
    if str(body.get("payoutStatus")) in _NOT_PAID:
        return ProviderRecord(payout_id, "payout", dict(body))
    line = MoneyLine(
        source=MoneySource.CHANNEL,
        provider_txn_id=payout_id,
        component="payout",
        type=MoneyType.PAYOUT,
        amount=-amount,
        currency=currency,
        posted_at=posted,
        status=MoneyStatus.RELEASED,
        payout_ref=payout_id,
        description=f"payout {body.get('payoutStatus') or ''}".strip(),
    )
    return ProviderRecord(payout_id, "payout", dict(body), (line,))
