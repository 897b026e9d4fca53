"""Shopify Payments money (``shopifyPaymentsAccount { balanceTransactions, payouts }``) as
ledger lines: the documents, their request bodies, and the record mappings.

Balance transactions are read with ``hideTransfers: true`` (a transfer is the payout leaving
the balance, which the ``payouts`` connection reports once as the payout itself), oldest
first, windowed on ``processed_at``; payouts on ``issued_at``. Amounts are the merchant's:
``amount`` signed, ``fee`` what Shopify kept (``net = amount - fee``). A transaction becomes
a ``gross`` line of ``amount`` and, when there is one, a ``fee`` line of minus ``fee``: its
lines sum to ``net``. A payout is a ``payout`` line of minus its ``net`` (a DEPOSIT leaves the
balance; a WITHDRAWAL, money taken from the bank, is plus); a FAILED or CANCELED one has none.

Type table (balance transaction ``type``):

| Shopify | hub type |
|---|---|
| CHARGE (order total: items, shipping and tax together) | principal |
| REFUND, REFUND_FAILURE, REFUND_ADJUSTMENT | refund |
| CHARGEBACK_*, DISPUTE_WITHDRAWAL, DISPUTE_REVERSAL | chargeback |
| RESERVED_FUNDS*, RISK_*, CHARGEBACK_HOLD* | reserve |
| SHIPPING_LABEL* | label |
| BILLING_DEBIT*, STRIPE_FEE, APPLICATION_FEE_REFUND, MARKETPLACE_FEE_* | channel_fee |
| CUSTOMS_DUTY*, IMPORT_TAX*, TAX_ADJUSTMENT_*, VAT_REFUND_* | tax_collected |
| TRANSFER* (when not hidden) | payout |
| anything else (ADJUSTMENT, credits, advances, ...) | adjustment |
| every ``fee`` line | channel_fee (payment processing) |

Status: a transaction whose ``associatedPayout`` is PAID or IN_TRANSIT is released, any other
(PENDING, SCHEDULED, none) deferred. Links: ``associatedOrder.id`` -> order (its numeric id,
the hub's Shopify order id), ``associatedPayout.id`` -> payout (numeric id, as the payout's).

A released transaction is stored as :func:`channelhub.mappings.money.settled` writes it (a
base line, its reversal and the released line), so a release seen after the deferred report
changes the sums exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

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

BALANCE_TRANSACTIONS_QUERY: Final = """
query ChannelhubBalanceTransactions($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    balanceTransactions(
      first: $first, after: $after, query: $query, hideTransfers: true, sortKey: PROCESSED_AT
    ) {
      edges {
        node {
          id
          type
          test
          transactionDate
          amount { amount currencyCode }
          fee { amount currencyCode }
          net { amount currencyCode }
          sourceType
          adjustmentReason
          associatedOrder { id name }
          associatedPayout { id status }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PAYOUTS_QUERY: Final = """
query ChannelhubPayouts($first: Int!, $after: String, $query: String) {
  shopifyPaymentsAccount {
    payouts(first: $first, after: $after, query: $query, sortKey: ISSUED_AT) {
      edges {
        node {
          id
          issuedAt
          status
          transactionType
          net { amount currencyCode }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

#: Nodes per page: the connections' nodes cost 1 + 4 money/order/payout objects each.
PAGE_SIZE = 100
_RELEASED = frozenset({"PAID", "IN_TRANSIT"})
_NOT_PAID = frozenset({"FAILED", "CANCELED"})
_PREFIXES: tuple[tuple[str, MoneyType], ...] = (
    ("CHARGEBACK_HOLD", MoneyType.RESERVE),
    ("CHARGEBACK_FEE", MoneyType.CHANNEL_FEE),
    ("CHARGEBACK_PROTECTION", MoneyType.ADJUSTMENT),
    ("CHARGEBACK", MoneyType.CHARGEBACK),
    ("DISPUTE_", MoneyType.CHARGEBACK),
    ("RESERVED_FUNDS", MoneyType.RESERVE),
    ("RISK_", MoneyType.RESERVE),
    ("SHIPPING_LABEL", MoneyType.LABEL),
    ("BILLING_DEBIT", MoneyType.CHANNEL_FEE),
    ("STRIPE_FEE", MoneyType.CHANNEL_FEE),
    ("APPLICATION_FEE_REFUND", MoneyType.CHANNEL_FEE),
    ("MARKETPLACE_FEE", MoneyType.CHANNEL_FEE),
    ("CUSTOMS_DUTY", MoneyType.TAX_COLLECTED),
    ("IMPORT_TAX", MoneyType.TAX_COLLECTED),
    ("TAX_ADJUSTMENT", MoneyType.TAX_COLLECTED),
    ("VAT_REFUND", MoneyType.TAX_COLLECTED),
    ("REFUND", MoneyType.REFUND),
    ("TRANSFER", MoneyType.PAYOUT),
    ("CHARGE_ADJUSTMENT", MoneyType.ADJUSTMENT),
    ("CHARGE", MoneyType.PRINCIPAL),
)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def balance_transactions_request(
    after_time: datetime, before_time: datetime, after: str | None, first: int = PAGE_SIZE
) -> dict[str, Any]:
    """One page of the balance transactions processed in [after_time, before_time)."""
    search = f"processed_at:>='{_iso(after_time)}' processed_at:<'{_iso(before_time)}'"
    return {
        "query": BALANCE_TRANSACTIONS_QUERY,
        "variables": {"first": first, "after": after, "query": search},
    }


def payout_transactions_request(
    payout_id: str, after: str | None, first: int = PAGE_SIZE
) -> dict[str, Any]:
    """One page of the balance transactions one payout paid out (``payments_transfer_id``)."""
    return {
        "query": BALANCE_TRANSACTIONS_QUERY,
        "variables": {"first": first, "after": after, "query": f"payments_transfer_id:{payout_id}"},
    }


def payouts_request(
    after_time: datetime, before_time: datetime, after: str | None, first: int = PAGE_SIZE
) -> dict[str, Any]:
    """One page of the payouts issued in [after_time, before_time)."""
    search = f"issued_at:>='{_iso(after_time)}' issued_at:<'{_iso(before_time)}'"
    return {"query": PAYOUTS_QUERY, "variables": {"first": first, "after": after, "query": search}}


def _money(node: Any, where: str) -> tuple[Decimal, str]:
    return strict.money_node(node, where=where, amount_key="amount", currency_key="currencyCode")


def _time(value: object, where: str) -> datetime:
    return strict.iso_instant(value, where)


def numeric_id(global_id: object) -> str | None:
    """``gid://shopify/Order/123`` -> ``123`` (None for no id)."""
    return global_id.rsplit("/", 1)[-1] if isinstance(global_id, str) and global_id else None


def transaction_type(kind: str) -> MoneyType:
    """The hub type of a balance transaction ``type`` (see the table)."""
    for prefix, money_type in _PREFIXES:
        if kind.startswith(prefix):
            return money_type
    return MoneyType.ADJUSTMENT


def balance_transaction_record(node: Mapping[str, Any]) -> ProviderRecord:
    """One ``ShopifyPaymentsBalanceTransaction`` node as a provider record with its lines."""
    txn_id = numeric_id(node.get("id"))
    if txn_id is None:
        raise InvalidInput.field("id", node.get("id"), "is missing")
    amount, currency = _money(node.get("amount"), "amount")
    fee, _ = _money(node.get("fee") or {"amount": "0", "currencyCode": currency}, "fee")
    posted = _time(node.get("transactionDate"), "transactionDate")
    given_payout, given_order = node.get("associatedPayout"), node.get("associatedOrder")
    payout: Mapping[str, Any] = given_payout if isinstance(given_payout, Mapping) else {}
    order: Mapping[str, Any] = given_order if isinstance(given_order, Mapping) else {}
    released = str(payout.get("status")) in _RELEASED
    kind = str(node.get("type") or "")

    def line(component: str, money_type: MoneyType, value: Decimal) -> MoneyLine:
        return MoneyLine(
            source=MoneySource.CHANNEL,
            provider_txn_id=txn_id,
            component=component,
            type=money_type,
            amount=value,
            currency=currency,
            posted_at=posted,
            status=MoneyStatus.RELEASED if released else MoneyStatus.DEFERRED,
            order_ref=numeric_id(order.get("id")),
            payout_ref=numeric_id(payout.get("id")),
            description=str(node.get("adjustmentReason") or kind),
        )

    lines = [line("gross", transaction_type(kind), amount)]
    if fee:
        lines.append(line("fee", MoneyType.CHANNEL_FEE, -fee))
    return ProviderRecord(txn_id, "balance_transaction", dict(node), settled(lines))


def payout_record(node: Mapping[str, Any]) -> ProviderRecord:
    """One ``ShopifyPaymentsPayout`` node: a payout line (none when it failed)."""
    payout_id = numeric_id(node.get("id"))
    if payout_id is None:
        raise InvalidInput.field("id", node.get("id"), "is missing")
    net, currency = _money(node.get("net"), "net")
    posted = _time(node.get("issuedAt"), "issuedAt")
    if str(node.get("status")) in _NOT_PAID:
        return ProviderRecord(payout_id, "payout", dict(node))
    deposit = node.get("transactionType") != "WITHDRAWAL"
    line = MoneyLine(
        source=MoneySource.CHANNEL,
        provider_txn_id=payout_id,
        component="payout",
        type=MoneyType.PAYOUT,
        amount=-net if deposit else net,
        currency=currency,
        posted_at=posted,
        status=MoneyStatus.RELEASED,
        payout_ref=payout_id,
        description=f"payout {node.get('status') or ''}".strip(),
    )
    return ProviderRecord(payout_id, "payout", dict(node), (line,))
