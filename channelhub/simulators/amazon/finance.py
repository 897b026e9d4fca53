"""The Amazon simulator's money: Finances 2024-06-19 ``listTransactions`` and Transfers
2024-06-01 ``listPayouts``, seeded from the shipped orders the simulator serves.

The plan (:mod:`channelhub.simulators.finance_plan`) is made once, at creation: 15 % referral
fee ("Commission"), the injected fee error and payout mismatch documented there, a refund,
a reserve ("Reserve" transactions: Current Reserve Amount held, then Previous Reserve Amount
Balance released). One settlement (``SETTLEMENT_ID``) per marketplace currency and week; its
payout names the same ``SETTLEMENT_ID``. Pages hold ``PAGE_SIZE`` records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from channelhub.simulators.amazon.catalog import iso
from channelhub.simulators.amazon.state import AmazonState, SimError, _decode, _encode, parse_time
from channelhub.simulators.base import Simulator
from channelhub.simulators.finance_plan import FinancePlan, SeedEvent, SeedOrder, plan_finance

PAGE_SIZE = 50
FEE_RATE = Decimal("0.15")
TRANSACTIONS_PATH = "/finances/2024-06-19/transactions"
PAYOUTS_PATH = "/finances/transfers/2024-06-01/payouts"


def seed_orders(state: AmazonState) -> list[SeedOrder]:
    """The shipped orders, as the finance plan sees them (first line's SKU and id)."""
    seeds = []
    for order in state.orders.values():
        if order["fulfillment"]["fulfillmentStatus"] != "SHIPPED":
            continue
        first = order["orderItems"][0]
        total = order["proceeds"]["grandTotal"]
        seeds.append(
            SeedOrder(
                order_id=order["orderId"],
                line_id=first["orderItemId"],
                sku=first["product"]["sellerSku"],
                placed_at=parse_time(order["createdTime"], "createdTime"),
                currency=total["currencyCode"],
                principal=Decimal(total["amount"]),
            )
        )
    return seeds


def make_plan(state: AmazonState, now: datetime) -> FinancePlan:
    return plan_finance(seed_orders(state), now=now, fee_rate=FEE_RATE, prefix="AMZ-")


def _money(amount: Decimal, currency: str) -> dict[str, Any]:
    return {"currencyCode": currency, "currencyAmount": float(amount)}


def _breakdown(kind: str, amount: Decimal, currency: str, *children: dict[str, Any]) -> Any:
    node: dict[str, Any] = {"breakdownType": kind, "breakdownAmount": _money(amount, currency)}
    if children:
        node["breakdowns"] = list(children)
    return node


def transaction(event: SeedEvent, seller_id: str, marketplace_id: str) -> dict[str, Any]:
    """One event as an Amazon Transaction (the shape of finances_2024-06-19.json)."""
    cur = event.currency
    related = []
    if event.order is not None:
        related.append(
            {"relatedIdentifierName": "ORDER_ID", "relatedIdentifierValue": event.order.order_id}
        )
    if event.payout_id is not None:
        related.append(
            {"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": event.payout_id}
        )
    body: dict[str, Any] = {
        "sellingPartnerMetadata": {
            "sellingPartnerId": seller_id,
            "accountType": "Standard Orders",
            "marketplaceId": marketplace_id,
        },
        "relatedIdentifiers": related,
        "transactionId": event.event_id,
        "transactionStatus": "RELEASED" if event.payout_id else "DEFERRED",
        "postedDate": iso(event.posted_at),
        "totalAmount": _money(event.net, cur),
        "marketplaceDetails": {"marketplaceId": marketplace_id},
    }
    if event.kind in ("sale", "refund"):
        order = event.order
        assert order is not None
        body["transactionType"] = "Shipment" if event.kind == "sale" else "Refund"
        body["description"] = "Order Payment" if event.kind == "sale" else "Refund Order"
        sales = event.principal + event.shipping
        body["breakdowns"] = [
            _breakdown(
                "Sales",
                sales,
                cur,
                _breakdown("Principal", event.principal, cur),
                _breakdown("Shipping", event.shipping, cur),
            ),
            _breakdown("Expenses", event.fee, cur, _breakdown("Commission", event.fee, cur)),
        ]
        body["items"] = [
            {
                "description": order.sku,
                "totalAmount": _money(sales, cur),
                "contexts": [
                    {
                        "contextType": "ProductContext",
                        "sku": order.sku,
                        "quantityShipped": 1,
                        "fulfillmentNetwork": "MFN",
                    }
                ],
            }
        ]
    else:
        body["transactionType"] = "Reserve"
        body["description"] = (
            "Current Reserve Amount"
            if event.kind == "reserve_hold"
            else "Previous Reserve Amount Balance"
        )
    return body


def _market_of(state: AmazonState, currency: str) -> str:
    return next(
        (m.marketplace_id for m in state.markets.values() if m.currency == currency),
        next(iter(state.markets)),
    )


def _page(items: list[Any], token: str | None, key: str) -> tuple[list[Any], str | None]:
    start = int(_decode(token).get("at", 0)) if token else 0
    end = start + PAGE_SIZE
    return items[start:end], (_encode({"at": end, "key": key}) if end < len(items) else None)


def list_transactions(
    state: AmazonState, plan: FinancePlan, query: Mapping[str, str]
) -> dict[str, Any]:
    """listTransactions over the plan: postedAfter/Before, or an ORDER_ID / SETTLEMENT_ID."""
    name, value = query.get("relatedIdentifierName"), query.get("relatedIdentifierValue")
    events = plan.events
    if name or value:
        if name not in ("ORDER_ID", "SETTLEMENT_ID", "FINANCIAL_EVENT_GROUP_ID") or not value:
            raise SimError(400, "InvalidInput", "relatedIdentifierName/Value must come together")
        if name == "ORDER_ID":
            events = [e for e in events if e.order is not None and e.order.order_id == value]
        else:
            events = [e for e in events if e.payout_id == value]
    elif "postedAfter" not in query:
        raise SimError(400, "InvalidInput", "postedAfter is required without a related identifier")
    limit = state.now() - timedelta(minutes=2)
    if "postedAfter" in query:
        after = parse_time(query["postedAfter"], "postedAfter")
        before = (
            parse_time(query["postedBefore"], "postedBefore") if "postedBefore" in query else limit
        )
        if before > limit:
            raise SimError(
                400, "InvalidInput", "postedBefore must be at least 2 minutes before now"
            )
        if after >= before:
            raise SimError(400, "InvalidInput", "postedAfter must be before postedBefore")
        events = [e for e in events if after <= e.posted_at < before]
    if status := query.get("transactionStatus"):
        events = [e for e in events if ("RELEASED" if e.payout_id else "DEFERRED") == status]
    bodies = [transaction(e, state.seller_id, _market_of(state, e.currency)) for e in events]
    if not (name or value):  # a test's extra transactions are posted in any window
        bodies.extend(plan_extra(state))
    page, token = _page(bodies, query.get("nextToken"), "transactions")
    payload: dict[str, Any] = {"transactions": page}
    if token:
        payload["nextToken"] = token
    return {"payload": payload}


def plan_extra(state: AmazonState) -> list[dict[str, Any]]:
    """Transactions a test added as they are (``sim.state.finance_extra``: e.g. a bad one)."""
    return list(getattr(state, "finance_extra", []))


def list_payouts(state: AmazonState, plan: FinancePlan, query: Mapping[str, str]) -> dict[str, Any]:
    """listPayouts: the plan's payouts created in [createdAfter, createdBefore)."""
    payouts = plan.payouts
    if "createdAfter" in query:
        after = parse_time(query["createdAfter"], "createdAfter")
        payouts = [p for p in payouts if p.period_end >= after]
    if "createdBefore" in query:
        before = parse_time(query["createdBefore"], "createdBefore")
        payouts = [p for p in payouts if p.period_end < before]
    bodies = [
        {
            "id": f"PAYOUT-{p.payout_id}",
            "partnerMetadata": {
                "partnerId": state.seller_id,
                "accountType": "Standard Orders",
                "marketplaceId": _market_of(state, p.currency),
            },
            "currentStatus": "PAID",
            "statusHistory": [{"status": "PAID", "lastUpdatedDate": iso(p.period_end)}],
            "type": "SCHEDULED",
            "amount": _money(p.amount, p.currency),
            "creationDate": iso(p.period_end),
            "period": {"startDate": iso(p.period_start), "endDate": iso(p.period_end)},
            "relatedIdentifiers": [
                {"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": p.payout_id}
            ],
        }
        for p in payouts
    ]
    page, token = _page(bodies, query.get("nextToken"), "payouts")
    result: dict[str, Any] = {"payouts": page}
    if token:
        result["nextToken"] = token
    return result


def add_finance_routes(
    sim: Simulator,
    state: AmazonState,
    ok: Callable[[str, Any], Response],
    auth: Callable[[Request], bool],
) -> None:
    """Register the two finance operations on the simulator's app."""
    app = sim.app
    plan = make_plan(state, state.now())
    state.finance_plan = plan  # type: ignore[attr-defined]
    state.finance_extra = []  # type: ignore[attr-defined]

    @app.get(TRANSACTIONS_PATH, dependencies=[Depends(sim.limit("listTransactions"))])
    async def get_transactions(request: Request) -> Response:
        auth(request)
        return ok("listTransactions", list_transactions(state, plan, dict(request.query_params)))

    @app.get(PAYOUTS_PATH, dependencies=[Depends(sim.limit("listPayouts"))])
    async def get_payouts(request: Request) -> Response:
        auth(request)
        return ok("listPayouts", list_payouts(state, plan, dict(request.query_params)))
