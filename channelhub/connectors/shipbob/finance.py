"""ShipBob billing read as money: ``POST /2026-01/transactions:query`` by charge date, then
``GET /2026-01/invoices`` by invoice date, each invoice followed by its transactions
(``GET /2026-01/invoices/{id}/transactions``) so a charge first read unbilled is released with
the invoice that bills it. Mapped by :mod:`channelhub.mappings.shipbob_finance`; under the
account's ShipBob rate limit (its documented per-minute budget). The PAT needs the billing
read scope (``billing_read``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.records import NextTokens, PageRecords
from channelhub.connectors.results import RawRecord
from channelhub.core.settlement import ProviderRecord
from channelhub.mappings.shipbob_finance import invoice_record, transaction_record

PREFIX = "/2026-01"
STREAMS = ("transactions", "invoices")
PAGE_SIZE = 250
Raw = Callable[[str, str | None, object], RawRecord]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ShipBobFinance:
    """The billing calls of one ShipBob account."""

    def __init__(self, http: ConnectorHttpClient, raw: Raw, account: str) -> None:
        self.http, self._raw, self.account = http, raw, account

    def _take(self, body: Any, kind: str, into: PageRecords[ProviderRecord]) -> str | None:
        items = body.get("items") if isinstance(body, Mapping) else None
        if not isinstance(items, list | type(None)):
            raise ContractViolation(f"ShipBob answered {kind}s without an 'items' list")
        key, mapping = (
            ("transaction_id", transaction_record)
            if kind == "transaction"
            else ("invoice_id", invoice_record)
        )
        for data in items or []:
            ident = data.get(key) if isinstance(data, Mapping) else None
            raw = self._raw(f"money_{kind}", None if ident is None else str(ident), data)
            if isinstance(data, Mapping):
                into.take_one(raw, mapping, data)
            else:
                into.refuse(raw, f"{kind} is not an object")
        following = body.get("next") if isinstance(body, Mapping) else None
        return following if isinstance(following, str) and following else None

    async def page(
        self, stream: str, after: datetime, before: datetime, token: str | None
    ) -> tuple[PageRecords[ProviderRecord], str | None]:
        """One page of ``stream`` over [after, before)."""
        records: PageRecords[ProviderRecord] = PageRecords()
        params = {"Cursor": token} if token else None
        if stream == "transactions":
            body = {
                "from_date": iso(after),
                "to_date": iso(before),
                "page_size": PAGE_SIZE,
                "sort_order": "Ascending",
            }
            response = await self.http.request(
                "transactions_query",
                "POST",
                f"{PREFIX}/transactions:query",
                json=body,
                params=params,
            )
            return records, self._take(response.json(), "transaction", records)
        query = {"FromDate": iso(after), "ToDate": iso(before), "PageSize": str(PAGE_SIZE)}
        if token:
            query["Cursor"] = token
        response = await self.http.request(
            "get_invoices", "GET", f"{PREFIX}/invoices", params=query
        )
        following = self._take(response.json(), "invoice", records)
        invoices = [r.payload.get("invoice_id") for r in list(records.items)]
        for invoice in invoices:
            if isinstance(invoice, int):
                await self._invoice_transactions(invoice, records)
        return records, following

    async def _invoice_transactions(self, invoice: int, into: PageRecords[ProviderRecord]) -> None:
        cursor: str | None = None
        tokens = NextTokens("invoice transactions", self.account)
        while True:
            query = {"PageSize": str(PAGE_SIZE), **({"Cursor": cursor} if cursor else {})}
            response = await self.http.request(
                "get_invoice_transactions",
                "GET",
                f"{PREFIX}/invoices/{invoice}/transactions",
                params=query,
            )
            cursor = self._take(response.json(), "transaction", into)
            if cursor is None:
                return
            tokens.follow(cursor)
