"""The ShipBob simulator's billing: ``POST /transactions:query``, ``GET /invoices``,
``GET /invoices/{id}/transactions`` (2026-01 Billing), charged for the orders it shipped.

Every shipped order's shipment is charged its label (``Shipping``, the shipment's
``invoice_amount``) and a pick fee (``Per Pick Fee``, ``PICK_FEE`` by schedule) at its
fulfilment time; :meth:`ShipBobBilling.bill` (``POST /_sim/billing/bill``) adds a storage
charge (``Warehousing Fee``, ``STORAGE_FEE``) and puts every charge not yet invoiced in a new
invoice, one per call. Charges of no invoice yet are unbilled (``invoiced_status`` false).

Injected errors, for the reconciliations to find (documented for their tests):

- **fee above schedule**: the second shipment charged (by shipment id) pays a pick fee of
  ``PICK_FEE_ERROR`` (3.50) instead of ``PICK_FEE`` (2.50);
- **invoice mismatch**: the second invoice's ``amount`` is its transactions' sum plus 1.00.

Cursors are opaque offsets; ``next`` is absent on the last page.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from channelhub.simulators.finance_plan import FinancePlan, SeedEvent, SeedPayout

PREFIX = "/2026-01"
PICK_FEE = Decimal("2.50")
PICK_FEE_ERROR = Decimal("3.50")
STORAGE_FEE = Decimal("4.00")
INVOICE_ERROR = Decimal("1.00")


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class ShipBobBilling:
    """The billing of one ShipBob account, over the simulator's orders."""

    orders: Callable[[], list[dict[str, Any]]]
    clock: Callable[[], datetime]
    invoices: list[dict[str, Any]] = field(default_factory=list)
    invoice_of: dict[str, int] = field(default_factory=dict)
    storage: list[dict[str, Any]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)  # a test's bad records

    def _charge(
        self, txn_id: str, fee: str, invoice_type: str, amount: Decimal, when: str, **more: Any
    ) -> dict[str, Any]:
        invoice = self.invoice_of.get(txn_id)
        return {
            "transaction_id": txn_id,
            "transaction_type": "Charge",
            "transaction_fee": fee,
            "invoice_type": invoice_type,
            "amount": float(amount),
            "currency_code": "USD",
            "charge_date": when,
            "invoiced_status": invoice is not None,
            "invoice_id": invoice,
            "invoice_date": next(
                (i["invoice_date"] for i in self.invoices if i["invoice_id"] == invoice), None
            ),
            "fulfillment_center": "Cicero (IL)",
            **more,
        }

    def transactions(self) -> list[dict[str, Any]]:
        """Every charge so far, oldest first."""
        found: list[dict[str, Any]] = []
        shipments = sorted(
            (
                (shipment, order)
                for order in self.orders()
                for shipment in order["shipments"]
                if shipment.get("status") == "Completed"
            ),
            key=lambda pair: pair[0]["id"],
        )
        for number, (shipment, order) in enumerate(shipments):
            when = shipment["actual_fulfillment_date"]
            common = {
                "reference_id": str(shipment["id"]),
                "reference_type": "Shipment",
                "additional_details": {"order_number": order["order_number"]},
            }
            label = Decimal(str(shipment.get("invoice_amount") or "0"))
            found.append(
                self._charge(
                    f"SB-{shipment['id']}-L", "Shipping", "Shipping", label, when, **common
                )
            )
            pick = PICK_FEE_ERROR if number == 1 else PICK_FEE
            found.append(
                self._charge(
                    f"SB-{shipment['id']}-P", "Per Pick Fee", "Shipping", pick, when, **common
                )
            )
        found.extend(
            self._charge(s["id"], "Warehousing Fee", "WarehouseStorage", STORAGE_FEE, s["at"])
            for s in self.storage
        )
        found.sort(key=lambda t: (t["charge_date"], t["transaction_id"]))
        return found + self.extra

    def bill(self) -> dict[str, Any]:
        """Charge the period's storage and invoice every charge not yet invoiced."""
        now = self.clock()
        self.storage.append({"id": f"SB-STORAGE-{len(self.storage) + 1}", "at": _iso(now)})
        invoice_id = 9000 + len(self.invoices) + 1
        billed = [t for t in self.transactions() if t["transaction_id"] not in self.invoice_of]
        billed = [t for t in billed if t not in self.extra]
        total = sum((Decimal(str(t["amount"])) for t in billed), Decimal(0))
        if len(self.invoices) == 1:
            total += INVOICE_ERROR
        for t in billed:
            self.invoice_of[t["transaction_id"]] = invoice_id
        invoice = {
            "invoice_id": invoice_id,
            "invoice_date": _iso(now + timedelta(seconds=1)),
            "invoice_type": "Shipping",
            "amount": float(total),
            "currency_code": "USD",
            "running_balance": float(total),
        }
        self.invoices.append(invoice)
        return invoice

    def plan(self) -> FinancePlan:
        """The billing as the tests' plan: charges as events, invoices as payouts."""
        events = [
            SeedEvent(
                t["transaction_id"],
                "charge",
                _time(t["charge_date"]),
                "USD",
                fee=-Decimal(str(t["amount"])),
                payout_id=str(t["invoice_id"]) if t["invoice_id"] else None,
            )
            for t in self.transactions()
            if t not in self.extra
        ]
        payouts = []
        for invoice in self.invoices:
            paid = [e for e in events if e.payout_id == str(invoice["invoice_id"])]
            at = _time(invoice["invoice_date"])
            amount = -Decimal(str(invoice["amount"]))
            payouts.append(SeedPayout(str(invoice["invoice_id"]), "USD", at, at, amount, paid))
        error = str(self.invoices[1]["invoice_id"]) if len(self.invoices) > 1 else None
        return FinancePlan(events=events, payouts=payouts, payout_error=error)


def _page(items: list[dict[str, Any]], cursor: str | None, size: int) -> dict[str, Any]:
    start = int(base64.b64decode(cursor).decode()) if cursor else 0
    end = start + size
    more = end < len(items)
    return {
        "items": items[start:end],
        "next": base64.b64encode(str(end).encode()).decode() if more else None,
        "prev": None,
        "first": None,
        "last": None,
    }


def add_billing_routes(app: FastAPI, billing: ShipBobBilling) -> None:
    """Register the three Billing operations and the ``/_sim/billing/bill`` control."""

    @app.post(f"{PREFIX}/transactions:query")
    async def query_transactions(request: Request, Cursor: str | None = None) -> Response:
        body = await request.json()
        found = billing.transactions()
        if body.get("from_date"):
            found = [
                t
                for t in found
                if t in billing.extra or _time(t["charge_date"]) >= _time(body["from_date"])
            ]
        if body.get("to_date"):
            found = [
                t
                for t in found
                if t in billing.extra or _time(t["charge_date"]) < _time(body["to_date"])
            ]
        return JSONResponse(_page(found, Cursor, int(body.get("page_size") or 100)))

    @app.get(f"{PREFIX}/invoices")
    async def list_invoices(
        FromDate: str | None = None,
        ToDate: str | None = None,
        PageSize: int = 100,
        Cursor: str | None = None,
    ) -> Response:
        found = [
            i
            for i in billing.invoices
            if (FromDate is None or _time(i["invoice_date"]) >= _time(FromDate))
            and (ToDate is None or _time(i["invoice_date"]) < _time(ToDate))
        ]
        return JSONResponse(_page(found, Cursor, PageSize))

    @app.get(PREFIX + "/invoices/{invoice_id}/transactions")
    async def invoice_transactions(
        invoice_id: int, PageSize: int = 100, Cursor: str | None = None
    ) -> Response:
        if not any(i["invoice_id"] == invoice_id for i in billing.invoices):
            return JSONResponse({"title": "Invoice not found", "status": 404}, status_code=404)
        found = [t for t in billing.transactions() if t.get("invoice_id") == invoice_id]
        return JSONResponse(_page(found, Cursor, PageSize))

    @app.post("/_sim/billing/bill")
    async def bill() -> Response:
        return JSONResponse(billing.bill())
