"""ShipBob billing (2026-01 ``transactions:query``, ``invoices``, an invoice's transactions) as
ledger lines of a warehouse.

A transaction is one line of its ``amount``, signed from the seller's side by its
``transaction_type``: Charge and BalanceAdjustment cost the seller (minus), Refund, Credit and
Payment are to the seller (plus). Each of its ``taxes`` is one more line (a cost, type
adjustment: tax ShipBob charges on its services, not the buyer's). An invoice settles the
transactions it bills: one ``payout`` line of plus its ``amount`` (the seller pays it), so an
invoice's released lines and its payout line sum to zero, as a channel payout's do. A
``Payment`` invoice (the seller's payment itself) has no line.

Type table (``transaction_fee``, else ``invoice_type``):

| ShipBob | hub type |
|---|---|
| a fee naming shipping, postage or label | label |
| a fee naming pick, pack, fulfil(l)ment, B2B or kitting | fulfilment_fee |
| a fee naming storage or warehousing; invoice type WarehouseStorage | storage |
| receiving, inbound, return fees; Inbound Fee, Return, AdditionalFee | warehouse_handling |
| invoice type Shipping (no telling fee) | label |
| Credits, BalanceAdjustment, anything else | adjustment |

Status: ``invoiced_status`` true with an ``invoice_id`` is released, into that invoice (the
payout ref is the invoice id); else deferred. Links: ``reference_type`` Shipment ->
``package_ref`` = ``reference_id`` (the ShipBob shipment); ``additional_details.order_number``
(the channel order number the hub sent as the ShipBob order number) -> ``order_ref``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
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

_SIGN = {"Charge": -1, "BalanceAdjustment": -1, "Refund": 1, "Credit": 1, "Payment": 1}
_BY_FEE: tuple[tuple[tuple[str, ...], MoneyType], ...] = (
    (("shipping", "postage", "label"), MoneyType.LABEL),
    (("pick", "pack", "fulfil", "b2b", "kitting"), MoneyType.FULFILMENT_FEE),
    (("storage", "warehousing"), MoneyType.STORAGE),
    (("receiving", "inbound", "return"), MoneyType.WAREHOUSE_HANDLING),
)
_BY_INVOICE = {
    "WarehouseStorage": MoneyType.STORAGE,
    "Inbound Fee": MoneyType.WAREHOUSE_HANDLING,
    "Return": MoneyType.WAREHOUSE_HANDLING,
    "AdditionalFee": MoneyType.WAREHOUSE_HANDLING,
    "Shipping": MoneyType.LABEL,
}


def _number(value: object, where: str) -> Decimal:
    return strict.json_amount(value, where, signed=True)


def _time(value: object, where: str) -> datetime:
    """A date-time, or a date (midnight UTC): ShipBob's examples give dates."""
    if not isinstance(value, str):
        raise InvalidInput.field(where, value, "is not a date")
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput.field(where, value, "is not an ISO 8601 date") from None
    return strict.instant(moment if moment.tzinfo else moment.replace(tzinfo=UTC), where)


def _currency(value: object, where: str) -> str:
    return strict.currency(value, where)


def fee_type(fee: str, invoice_type: str) -> MoneyType:
    """The hub type of a ShipBob fee (see the table)."""
    lowered = fee.lower()
    for words, money_type in _BY_FEE:
        if any(word in lowered for word in words):
            return money_type
    return _BY_INVOICE.get(invoice_type, MoneyType.ADJUSTMENT)


def transaction_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One ``Billing.TransactionDtoV3`` as a provider record with its lines."""
    txn_id = body.get("transaction_id")
    if not isinstance(txn_id, str) or not txn_id:
        raise InvalidInput.field("transaction_id", txn_id, "is missing")
    kind = str(body.get("transaction_type") or "Charge")
    sign = _SIGN.get(kind)
    if sign is None:
        raise InvalidInput.field("transaction_type", kind, "is not a ShipBob transaction type")
    amount = _number(body.get("amount"), "amount")
    currency = _currency(body.get("currency_code"), "currency_code")
    posted = _time(body.get("charge_date"), "charge_date")
    invoice = body.get("invoice_id")
    released = body.get("invoiced_status") is True and isinstance(invoice, int)
    details = body.get("additional_details")
    order_ref = details.get("order_number") if isinstance(details, Mapping) else None
    shipment = body.get("reference_type") == "Shipment"
    fee = str(body.get("transaction_fee") or "")

    def line(component: str, money_type: MoneyType, value: Decimal) -> MoneyLine:
        return MoneyLine(
            source=MoneySource.WAREHOUSE,
            provider_txn_id=txn_id,
            component=component,
            type=money_type,
            amount=value,
            currency=currency,
            posted_at=posted,
            status=MoneyStatus.RELEASED if released else MoneyStatus.DEFERRED,
            order_ref=str(order_ref) if order_ref else None,
            package_ref=str(body.get("reference_id")) if shipment else None,
            payout_ref=str(invoice) if released else None,
            description=fee or kind,
        )

    lines = [line("amount", fee_type(fee, str(body.get("invoice_type") or "")), sign * amount)]
    for n, tax in enumerate(body.get("taxes") or []):
        if not isinstance(tax, Mapping):
            raise InvalidInput.field(f"taxes[{n}]", tax, "is not a tax")
        value = _number(tax.get("tax_amount"), f"taxes[{n}].tax_amount")
        lines.append(line(f"tax/{tax.get('tax_type') or n}", MoneyType.ADJUSTMENT, sign * value))
    return ProviderRecord(txn_id, "transaction", dict(body), settled(lines))


def invoice_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One ``Billing.InvoiceDtoV3``: a payout line of plus its amount (the seller pays it)."""
    invoice_id = body.get("invoice_id")
    if isinstance(invoice_id, bool) or not isinstance(invoice_id, int):
        raise InvalidInput.field("invoice_id", invoice_id, "is not an invoice id")
    key = f"invoice-{invoice_id}"
    if body.get("invoice_type") == "Payment":
        return ProviderRecord(key, "invoice", dict(body))
    line = MoneyLine(
        source=MoneySource.WAREHOUSE,
        provider_txn_id=key,
        component="invoice",
        type=MoneyType.PAYOUT,
        amount=_number(body.get("amount"), "amount"),
        currency=_currency(body.get("currency_code"), "currency_code"),
        posted_at=_time(body.get("invoice_date"), "invoice_date"),
        status=MoneyStatus.RELEASED,
        payout_ref=str(invoice_id),
        description=f"invoice {body.get('invoice_type') or ''}".strip(),
    )
    return ProviderRecord(key, "invoice", dict(body), (line,))
