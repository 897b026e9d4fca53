"""Amazon money: Finances 2024-06-19 ``listTransactions`` and Transfers 2024-06-01
``listPayouts`` (both 0.5/s, burst 10), read over the finance window
(:mod:`channelhub.connectors.finance`) and mapped by :mod:`channelhub.mappings.amazon.finance`.

``listTransactions`` is read by ``postedAfter``/``postedBefore`` (the end at least two minutes
before now, which the window's lag keeps); a follow-up page repeats the same arguments with
``nextToken``, as the model asks. One order's or one settlement's transactions are read by
``relatedIdentifierName`` ``ORDER_ID`` / ``SETTLEMENT_ID`` (:meth:`AmazonFinance.related`); every
payout read is followed by its settlement's transactions, so a transaction first read
deferred is released in the ledger with its payout whenever it was posted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.http.client import ConnectorResponse
from channelhub.connectors.records import NextTokens, PageRecords
from channelhub.connectors.results import RawRecord
from channelhub.core.settlement import ProviderRecord
from channelhub.mappings.amazon.finance import payout_record, transaction_record

TRANSACTIONS_PATH = "/finances/2024-06-19/transactions"
PAYOUTS_PATH = "/finances/transfers/2024-06-01/payouts"
STREAMS = ("transactions", "payouts")
Call = Callable[..., Awaitable[ConnectorResponse]]
Raw = Callable[[str, str | None, object], RawRecord]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class AmazonFinance:
    """The finance calls of one Amazon account (its connector's ``call`` and raw maker)."""

    def __init__(self, call: Call, raw: Raw, account: str) -> None:
        self._call, self._raw, self.account = call, raw, account

    def _take(
        self, body: Any, key: str, kind: str, id_key: str
    ) -> tuple[PageRecords[ProviderRecord], str | None]:
        if not isinstance(body, Mapping) or not isinstance(body.get(key), list):
            raise ContractViolation(f"Amazon answered without a {key!r} list")
        mapping = transaction_record if kind == "transaction" else payout_record
        records: PageRecords[ProviderRecord] = PageRecords()
        for data in body[key]:
            ident = data.get(id_key) if isinstance(data, Mapping) else None
            raw = self._raw(f"money_{kind}", ident if isinstance(ident, str) else None, data)
            if not isinstance(data, Mapping):
                records.refuse(raw, f"{kind} is not an object")
                continue
            records.take_one(raw, mapping, data)
        token = body.get("nextToken")
        return records, token if isinstance(token, str) and token else None

    async def page(
        self, stream: str, after: datetime, before: datetime, token: str | None
    ) -> tuple[PageRecords[ProviderRecord], str | None]:
        """One page of ``stream`` over [after, before)."""
        if stream == "transactions":
            query = {"postedAfter": iso(after), "postedBefore": iso(before)}
            if token:
                query["nextToken"] = token
            response = await self._call("listTransactions", "GET", TRANSACTIONS_PATH, params=query)
            body = response.json()
            payload = body.get("payload") if isinstance(body, Mapping) else None
            return self._take(payload, "transactions", "transaction", "transactionId")
        query = {"createdAfter": iso(after), "createdBefore": iso(before)}
        if token:
            query["nextToken"] = token
        response = await self._call("listPayouts", "GET", PAYOUTS_PATH, params=query)
        records, token = self._take(response.json(), "payouts", "payout", "id")
        # a payout's transactions again, as released now: those first read deferred (posted
        # long before the payout, outside this window) are released in the ledger with it
        refs = {line.payout_ref for r in records.items for line in r.lines}
        for settlement in sorted(ref for ref in refs if ref is not None):
            found = await self.related("SETTLEMENT_ID", settlement)
            records.items.extend(found.items)
            records.raws.extend(found.raws)
            records.failures.extend(found.failures)
        return records, token

    async def related(self, name: str, value: str) -> PageRecords[ProviderRecord]:
        """Every transaction of one ``ORDER_ID`` or ``SETTLEMENT_ID``, all pages."""
        found: PageRecords[ProviderRecord] = PageRecords()
        token: str | None = None
        tokens = NextTokens("listTransactions", self.account)
        while True:
            query = {"relatedIdentifierName": name, "relatedIdentifierValue": value}
            if token:
                query["nextToken"] = token
            response = await self._call("listTransactions", "GET", TRANSACTIONS_PATH, params=query)
            body = response.json()
            payload = body.get("payload") if isinstance(body, Mapping) else None
            records, token = self._take(payload, "transactions", "transaction", "transactionId")
            found.items.extend(records.items)
            found.raws.extend(records.raws)
            found.failures.extend(records.failures)
            if token is None:
                return found
            tokens.follow(token)
