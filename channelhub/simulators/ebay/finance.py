"""The eBay simulator's money: Sell Finances v1 ``getTransactions`` and ``getPayouts``
(contracts/finance/ebay/sell_finances_v1_oas3.json), seeded from the orders it serves.

The plan (:mod:`channelhub.simulators.finance_plan`) is made once, at creation, from the
orders not cancelled: 13 % final value fee, the injected fee error and payout mismatch
documented there, a refund (REFUND, fees credited back less 20 %), a reserve (ADJUSTMENT
"Reserve hold" DEBIT, then "Reserve release" CREDIT). ``filter`` takes
``transactionDate:[a..b]`` / ``payoutDate:[a..b]`` (both ends included); pages follow
absolute ``next`` links on the ``apiz`` host, as eBay's do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import Depends
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.base import Simulator
from channelhub.simulators.ebay.data import EbayShop, ebay_time, money
from channelhub.simulators.finance_plan import FinancePlan, SeedEvent, SeedOrder, plan_finance

FINANCES = "/sell/finances/v1"
PUBLIC_HOST = "https://apiz.ebay.com"
FEE_RATE = Decimal("0.13")
MAX_LIMIT = 1000


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def make_plan(shop: EbayShop, now: datetime) -> FinancePlan:
    seeds = []
    for order in shop.orders.values():
        if order["cancelStatus"]["cancelState"] == "CANCELED":
            continue
        first = order["lineItems"][0]
        seeds.append(
            SeedOrder(
                order_id=order["orderId"],
                line_id=first["lineItemId"],
                sku=first["sku"],
                placed_at=_time(order["creationDate"]),
                currency="USD",
                principal=Decimal(order["pricingSummary"]["priceSubtotal"]["value"]),
                shipping=Decimal(order["pricingSummary"]["deliveryCost"]["value"]),
            )
        )
    return plan_finance(seeds, now=now, fee_rate=FEE_RATE, prefix="EB-")


def transaction(event: SeedEvent) -> dict[str, Any]:
    """One event as an eBay Transaction (amounts unsigned, ``bookingEntry`` the direction)."""
    body: dict[str, Any] = {
        "transactionId": event.event_id,
        "transactionDate": ebay_time(event.posted_at),
        "transactionStatus": "PAYOUT" if event.payout_id else "FUNDS_PROCESSING",
        "bookingEntry": "CREDIT" if event.net >= 0 else "DEBIT",
        "amount": money(abs(event.net), event.currency),
    }
    if event.payout_id:
        body["payoutId"] = event.payout_id
    order = event.order
    if order is None:
        body["transactionType"] = "ADJUSTMENT"
        body["transactionMemo"] = (
            "Reserve hold" if event.kind == "reserve_hold" else "Reserve release"
        )
        return body
    gross = abs(event.principal + event.shipping)
    body.update(
        {
            "transactionType": "SALE" if event.kind == "sale" else "REFUND",
            "orderId": order.order_id,
            "totalFeeBasisAmount": money(gross, event.currency),
            "totalFeeAmount": money(abs(event.fee), event.currency),
            "orderLineItems": [
                {
                    "lineItemId": order.line_id,
                    "feeBasisAmount": money(gross, event.currency),
                    "marketplaceFees": [
                        {
                            "feeType": "FINAL_VALUE_FEE",
                            "amount": money(abs(event.fee), event.currency),
                        }
                    ],
                }
            ],
        }
    )
    return body


def _range(filter_text: str | None, field: str) -> tuple[datetime, datetime] | None:
    prefix = f"{field}:["
    if not filter_text or not filter_text.startswith(prefix) or ".." not in filter_text:
        return None
    low, _, high = filter_text[len(prefix) : -1].partition("..")
    return _time(low), _time(high)


def _paged(
    items: list[dict[str, Any]],
    key: str,
    path: str,
    filter_text: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    base = f"{PUBLIC_HOST}{FINANCES}{path}?" + (
        f"filter={quote(filter_text)}&" if filter_text else ""
    )
    body: dict[str, Any] = {
        "href": f"{base}limit={limit}&offset={offset}",
        "limit": limit,
        "offset": offset,
        "total": len(items),
        key: items[offset : offset + limit],
    }
    if offset + limit < len(items):
        body["next"] = f"{base}limit={limit}&offset={offset + limit}"
    return body


def install_finance_routes(
    sim: Simulator,
    shop: EbayShop,
    scope: Callable[[str], Callable[..., None]],
    now: Callable[[], datetime],
    scope_name: str,
) -> None:
    """Register getTransactions and getPayouts on the simulator's app."""
    plan = make_plan(shop, now())
    shop.finance_plan = plan  # type: ignore[attr-defined]
    shop.finance_extra = []  # type: ignore[attr-defined]
    app = sim.app
    needs = [Depends(scope(scope_name))]

    def bounds(limit: int, offset: int) -> Response | None:
        if not 1 <= limit <= MAX_LIMIT or offset < 0:
            return JSONResponse(
                {"errors": [{"errorId": 135000, "message": "limit or offset is invalid"}]},
                status_code=400,
            )
        return None

    @app.get(
        f"{FINANCES}/transaction", dependencies=[Depends(sim.limit("getTransactions")), *needs]
    )
    async def get_transactions(
        filter: str | None = None, limit: int = 20, offset: int = 0
    ) -> Response:
        refused = bounds(limit, offset)
        if refused is not None:
            return refused
        if filter and filter.startswith("payoutId:{") and filter.endswith("}"):
            wanted = filter[len("payoutId:{") : -1]
            paid = [transaction(e) for e in plan.events if e.payout_id == wanted]
            return JSONResponse(_paged(paid, "transactions", "/transaction", filter, limit, offset))
        window = _range(filter, "transactionDate")
        if filter and window is None:
            return JSONResponse({"errors": [{"errorId": 135002, "message": "bad filter"}]}, 400)
        events = plan.events
        if window is not None:
            events = [e for e in events if window[0] <= e.posted_at <= window[1]]
        items = [transaction(e) for e in events] + list(shop.finance_extra)  # type: ignore[attr-defined]
        items.sort(key=lambda t: str(t.get("transactionDate")), reverse=True)  # eBay: newest first
        return JSONResponse(_paged(items, "transactions", "/transaction", filter, limit, offset))

    @app.get(f"{FINANCES}/payout", dependencies=[Depends(sim.limit("getPayouts")), *needs])
    async def get_payouts(filter: str | None = None, limit: int = 20, offset: int = 0) -> Response:
        refused = bounds(limit, offset)
        if refused is not None:
            return refused
        window = _range(filter, "payoutDate")
        payouts = plan.payouts
        if window is not None:
            payouts = [
                p for p in payouts if window[0] <= p.period_end - timedelta(seconds=1) <= window[1]
            ]
        items = [
            {
                "payoutId": p.payout_id,
                "payoutDate": ebay_time(p.period_end - timedelta(seconds=1)),
                "payoutStatus": "SUCCEEDED",
                "amount": money(p.amount, p.currency),
                "transactionCount": len(p.events),
                "payoutInstrument": {"instrumentType": "BANK", "accountLastFourDigits": "0042"},
            }
            for p in payouts
        ]
        return JSONResponse(_paged(items, "payouts", "/payout", filter, limit, offset))
