"""The Shopify simulator's Shopify Payments account: ``shopifyPaymentsAccount`` with
``balanceTransactions`` and ``payouts``, seeded from the shop's paid orders.

The plan (:mod:`channelhub.simulators.finance_plan`) is made once, at creation, in the shop's
currency (Shopify Payments settles there: the orders' ``shopMoney`` totals): 2.9 % processing
fee, the injected fee error and payout mismatch documented there, a refund (fee partly
returned), a reserve (RESERVED_FUNDS, then RESERVED_FUNDS_REVERSAL); daily payouts. The
search ``query`` takes ``processed_at`` (balance transactions) / ``issued_at`` (payouts)
bounds, or one payout's ``payments_transfer_id:{id}``; ``hideTransfers`` is accepted (the
plan has no TRANSFER transactions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from channelhub.simulators.finance_plan import FinancePlan, SeedEvent, SeedOrder, plan_finance
from channelhub.simulators.shopify.graph import paginate
from channelhub.simulators.shopify.seed import ShopData, gid, iso, num

FEE_RATE = Decimal("0.029")
TRANSACTION_BASE = 5_000_000
PAYOUT_BASE = 7_000_000
_TERM = re.compile(r"(\w+):(>=|<=|>|<)'?([^'\s]+)'?")
_TYPE = {
    "sale": "CHARGE",
    "refund": "REFUND",
    "reserve_hold": "RESERVED_FUNDS",
    "reserve_release": "RESERVED_FUNDS_REVERSAL",
}


def payout_number(payout_id: str) -> str:
    """The numeric Shopify id the simulator gives a plan payout (``SH-P0003`` -> 7000003)."""
    return str(PAYOUT_BASE + int(payout_id.rsplit("P", 1)[-1]))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_plan(data: ShopData, now: datetime) -> FinancePlan:
    seeds = []
    for order in data.orders.values():
        if order.get("cancelledAt") or order["displayFinancialStatus"] not in (
            "PAID",
            "PARTIALLY_REFUNDED",
        ):
            continue
        total = order["currentTotalPriceSet"]["shopMoney"]
        seeds.append(
            SeedOrder(
                order_id=num(order["id"]),
                line_id=num(order["lineItems"][0]["id"]),
                sku=str(order["lineItems"][0].get("sku") or ""),
                placed_at=_time(order["createdAt"]),
                currency=total["currencyCode"],
                principal=Decimal(total["amount"]),
            )
        )
    return plan_finance(seeds, now=now, fee_rate=FEE_RATE, prefix="SH-", period_days=1)


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount), "currencyCode": currency}


def balance_transaction(index: int, event: SeedEvent, data: ShopData) -> dict[str, Any]:
    gross = event.principal + event.shipping + event.reserve
    fee = -event.fee
    order = data.orders.get(event.order.order_id) if event.order else None
    return {
        "__typename": "ShopifyPaymentsBalanceTransaction",
        "id": gid("ShopifyPaymentsBalanceTransaction", TRANSACTION_BASE + index),
        "type": _TYPE[event.kind],
        "test": False,
        "transactionDate": iso(event.posted_at),
        "amount": _money(gross, event.currency),
        "fee": _money(fee, event.currency),
        "net": _money(gross - fee, event.currency),
        "sourceType": "CHARGE" if event.kind == "sale" else "ADJUSTMENT",
        "adjustmentReason": None,
        "associatedOrder": {"id": order["id"], "name": order["name"]} if order else None,
        "associatedPayout": {
            "id": gid("ShopifyPaymentsPayout", payout_number(event.payout_id))
            if event.payout_id
            else None,
            "status": "PAID" if event.payout_id else "PENDING",
        },
    }


def _bounds(query: str | None) -> Callable[[datetime], bool]:
    terms = [(op, _time(raw)) for _, op, raw in _TERM.findall(query or "")]

    def keep(moment: datetime) -> bool:
        for op, bound in terms:
            if (
                (op == ">=" and moment < bound)
                or (op == ">" and moment <= bound)
                or (op == "<" and moment >= bound)
                or (op == "<=" and moment > bound)
            ):
                return False
        return True

    return keep


def _unreadable(node: dict[str, Any]) -> bool:
    """A node a test broke on purpose is served whatever the window (as a bad record)."""
    try:
        _time(str(node["transactionDate"]))
    except ValueError:
        return True
    return False


def payments_account(data: ShopData) -> dict[str, Any]:
    """The ``shopifyPaymentsAccount`` root value over ``data.finance_plan``."""
    plan: FinancePlan = data.finance_plan  # type: ignore[attr-defined]
    nodes = [balance_transaction(i, e, data) for i, e in enumerate(plan.events)]
    nodes.extend(data.finance_extra)  # type: ignore[attr-defined]
    payouts: list[dict[str, Any]] = [
        {
            "__typename": "ShopifyPaymentsPayout",
            "id": gid("ShopifyPaymentsPayout", payout_number(p.payout_id)),
            "legacyResourceId": payout_number(p.payout_id),
            "issuedAt": iso(p.period_end - timedelta(seconds=1)),
            "status": "PAID",
            # a negative balance is taken from the bank: a WITHDRAWAL of its size
            "transactionType": "DEPOSIT" if p.amount >= 0 else "WITHDRAWAL",
            "net": _money(abs(p.amount), p.currency),
            "gross": _money(abs(p.amount), p.currency),
        }
        for p in plan.payouts
    ]

    def balance_transactions(info: Any, **args: Any) -> dict[str, Any]:
        transfer = re.fullmatch(r"payments_transfer_id:(\d+)", args.get("query") or "")
        if transfer:
            wanted = gid("ShopifyPaymentsPayout", transfer.group(1))
            paid = [n for n in nodes if (n.get("associatedPayout") or {}).get("id") == wanted]
            return paginate(paid, args, sort_key="transactionDate")
        keep = _bounds(args.get("query"))
        found = [n for n in nodes if _unreadable(n) or keep(_time(n["transactionDate"]))]
        found.sort(key=lambda n: (str(n["transactionDate"]), int(num(n["id"]))))
        return paginate(found, args, sort_key="transactionDate")

    def payout_list(info: Any, **args: Any) -> dict[str, Any]:
        keep = _bounds(args.get("query"))
        found = sorted(
            (p for p in payouts if keep(_time(p["issuedAt"]))),
            key=lambda p: (p["issuedAt"], int(num(p["id"]))),
        )
        return paginate(found, args, sort_key="issuedAt")

    return {
        "__typename": "ShopifyPaymentsAccount",
        "id": gid("ShopifyPaymentsAccount", 1),
        "activated": True,
        "defaultCurrency": data.currency,
        "balanceTransactions": balance_transactions,
        "payouts": payout_list,
    }
