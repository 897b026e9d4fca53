"""Amazon money (Finances 2024-06-19 transactions, Transfers 2024-06-01 payouts) as ledger lines.

A transaction becomes one line per leaf of its ``breakdowns`` tree (component = the path of
breakdown types, e.g. ``Sales/Principal``); a transaction without breakdowns is one line of
its ``totalAmount`` (component ``total``). A payout is one ``payout`` line of minus its amount
(it leaves the seller's Amazon balance); a FAILED, CANCELLED or NO_PAYOUT one has no line.
Amounts keep Amazon's signs (the seller's side).

Type table (leaf breakdown type, else the transaction type):

| Amazon | hub type |
|---|---|
| Principal, ProductCharges, Goodwill (in a Shipment) | principal |
| the same in a Refund transaction | refund |
| Shipping, ShippingCharge, GiftWrap | shipping_charged |
| Tax, ShippingTax, GiftWrapTax, ProductChargesTax | tax_collected |
| MarketplaceFacilitatorTax*, TaxWithheld, TDS, TCS | tax_withheld |
| Commission, ReferralFee, Variable/FixedClosingFee, RefundCommission, other *Fee | channel_fee |
| FBAPerUnitFulfillmentFee, FBAFees, FBAWeightBasedFee | fulfilment_fee |
| ShippingLabel, ShippingServices, PostageBilling | label |
| FBAStorageFee, StorageFee, LongTermStorageFee | storage |
| ProductAdsPayment, Advertising, CostOfAdvertising | advertising |
| Chargeback (transaction type) | chargeback |
| Reserve (transaction type), CurrentReserveAmount, PreviousReserveAmountBalance | reserve |
| a Transfers payout | payout |
| anything else | adjustment |

Status: ``DEFERRED`` is deferred; ``RELEASED`` and ``DEFERRED_RELEASED`` released. Links:
``ORDER_ID`` -> order, ``SHIPMENT_ID`` -> package, ``SETTLEMENT_ID`` (else
``FINANCIAL_EVENT_GROUP_ID``) -> payout; the one item's ``ProductContext`` SKU -> sku.

A released transaction is stored as :func:`channelhub.mappings.money.settled` writes it (a
base line, its reversal and the released line), so a release seen after the deferred report
changes the sums exactly once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
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

_BY_BREAKDOWN: dict[str, MoneyType] = {
    **dict.fromkeys(("principal", "productcharges", "goodwill"), MoneyType.PRINCIPAL),
    **dict.fromkeys(("shipping", "shippingcharge", "giftwrap"), MoneyType.SHIPPING_CHARGED),
    **dict.fromkeys(
        ("tax", "shippingtax", "giftwraptax", "productchargestax"), MoneyType.TAX_COLLECTED
    ),
    **dict.fromkeys(("taxwithheld", "tds", "tcs"), MoneyType.TAX_WITHHELD),
    **dict.fromkeys(
        (
            "commission",
            "referralfee",
            "variableclosingfee",
            "fixedclosingfee",
            "refundcommission",
        ),
        MoneyType.CHANNEL_FEE,
    ),
    **dict.fromkeys(
        ("fbaperunitfulfillmentfee", "fbafees", "fbaweightbasedfee"), MoneyType.FULFILMENT_FEE
    ),
    **dict.fromkeys(("shippinglabel", "shippingservices", "postagebilling"), MoneyType.LABEL),
    **dict.fromkeys(("fbastoragefee", "storagefee", "longtermstoragefee"), MoneyType.STORAGE),
    **dict.fromkeys(
        ("productadspayment", "advertising", "costofadvertising"), MoneyType.ADVERTISING
    ),
    **dict.fromkeys(("currentreserveamount", "previousreserveamountbalance"), MoneyType.RESERVE),
}
_BY_TRANSACTION: dict[str, MoneyType] = {
    "chargeback": MoneyType.CHARGEBACK,
    "reserve": MoneyType.RESERVE,
    "productadspayment": MoneyType.ADVERTISING,
    "servicefee": MoneyType.CHANNEL_FEE,
}
_NOT_PAID = frozenset({"FAILED", "CANCELLED", "NO_PAYOUT"})
_STATUS = {
    "DEFERRED": MoneyStatus.DEFERRED,
    "RELEASED": MoneyStatus.RELEASED,
    "DEFERRED_RELEASED": MoneyStatus.RELEASED,
}


def _key(text: object) -> str:
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def _amount(node: Any, where: str) -> tuple[Decimal, str]:
    return strict.money_node(
        node, where=where, amount_key="currencyAmount", currency_key="currencyCode"
    )


def _time(value: object, where: str) -> datetime:
    return strict.iso_instant(value, where)


def _related(body: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in body.get("relatedIdentifiers") or []:
        if isinstance(item, Mapping):
            name, value = item.get("relatedIdentifierName"), item.get("relatedIdentifierValue")
            if isinstance(name, str) and isinstance(value, str):
                found.setdefault(name, value)
    return found


def _leaves(nodes: object, path: str, where: str) -> Iterator[tuple[str, str, Any, str]]:
    for index, node in enumerate(nodes if isinstance(nodes, list) else []):
        if not isinstance(node, Mapping):
            raise InvalidInput.field(f"{where}[{index}]", node, "is not a breakdown")
        kind = str(node.get("breakdownType") or f"#{index}")
        here = f"{path}/{kind}" if path else kind
        children = node.get("breakdowns")
        if isinstance(children, list) and children:
            yield from _leaves(children, here, f"{where}[{index}].breakdowns")
        else:
            yield here, kind, node.get("breakdownAmount"), f"{where}[{index}].breakdownAmount"


def _sku(body: Mapping[str, Any]) -> str | None:
    items = body.get("items")
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], Mapping):
        return None
    for context in items[0].get("contexts") or []:
        if isinstance(context, Mapping) and isinstance(context.get("sku"), str):
            return str(context["sku"])
    return None


def _type(leaf: str, transaction_type: str) -> MoneyType:
    by_transaction = _BY_TRANSACTION.get(transaction_type)
    if by_transaction is not None:
        return by_transaction
    found = _BY_BREAKDOWN.get(_key(leaf))
    if found is None and _key(leaf).startswith("marketplacefacilitatortax"):
        found = MoneyType.TAX_WITHHELD
    if found is None and _key(leaf).endswith("fee"):
        found = MoneyType.CHANNEL_FEE
    if found is MoneyType.PRINCIPAL and transaction_type == "refund":
        return MoneyType.REFUND
    return found or MoneyType.ADJUSTMENT


def transaction_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One listTransactions ``Transaction`` as a provider record with its lines."""
    txn_id = body.get("transactionId")
    if not isinstance(txn_id, str) or not txn_id:
        raise InvalidInput.field("transactionId", txn_id, "is missing")
    posted = _time(body.get("postedDate"), "postedDate")
    status = _STATUS.get(str(body.get("transactionStatus") or "RELEASED").upper())
    if status is None:
        raise InvalidInput.field("transactionStatus", body.get("transactionStatus"), "is unknown")
    related = _related(body)
    transaction_type = _key(body.get("transactionType") or "")

    def line(component: str, kind: MoneyType, amount: Decimal, currency: str) -> MoneyLine:
        return MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id=txn_id,
            component=component,
            type=kind,
            amount=amount,
            currency=currency,
            posted_at=posted,
            status=status,
            order_ref=related.get("ORDER_ID"),
            package_ref=related.get("SHIPMENT_ID"),
            payout_ref=related.get("SETTLEMENT_ID") or related.get("FINANCIAL_EVENT_GROUP_ID"),
            sku=_sku(body),
            description=str(body.get("description") or ""),
        )

    breakdowns = body.get("breakdowns")
    if not isinstance(breakdowns, list | type(None)):
        raise InvalidInput.field("breakdowns", breakdowns, "is not a list")
    lines = []
    for path, leaf, amount_node, where in _leaves(breakdowns, "", "breakdowns"):
        amount, currency = _amount(amount_node, where)
        if amount:
            lines.append(line(path, _type(leaf, transaction_type), amount, currency))
    if not lines:
        amount, currency = _amount(body.get("totalAmount"), "totalAmount")
        leaf = str(body.get("description") or "")
        lines.append(line("total", _type(leaf, transaction_type), amount, currency))
    return ProviderRecord(txn_id, "transaction", dict(body), settled(lines))


def payout_record(body: Mapping[str, Any]) -> ProviderRecord:
    """One Transfers ``Payout``: a payout line of minus its amount, linked to its settlement."""
    payout_id = body.get("id")
    if not isinstance(payout_id, str) or not payout_id:
        raise InvalidInput.field("id", payout_id, "is missing")
    amount, currency = _amount(body.get("amount"), "amount")
    posted = _time(body.get("creationDate"), "creationDate")
    if str(body.get("currentStatus")) in _NOT_PAID:  # no money left the balance
        return ProviderRecord(payout_id, "payout", dict(body))
    settlement = _related(body).get("SETTLEMENT_ID") or payout_id
    line = MoneyLine(
        source=MoneySource.CHANNEL,
        provider_txn_id=payout_id,
        component="payout",
        type=MoneyType.PAYOUT,
        amount=-amount,
        currency=currency,
        posted_at=posted,
        status=MoneyStatus.RELEASED,
        payout_ref=settlement,
        description=f"payout {body.get('currentStatus') or ''}".strip(),
    )
    return ProviderRecord(payout_id, "payout", dict(body), (line,))
