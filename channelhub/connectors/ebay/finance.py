"""eBay money: Sell Finances v1 ``getTransactions`` then ``getPayouts`` over the finance window
(:mod:`channelhub.connectors.finance`), mapped by :mod:`channelhub.mappings.ebay.finance`.

The Finances API lives on its own host, ``apiz.ebay.com`` (``apiz.sandbox.ebay.com`` for the
sandbox): the account's ``api.`` base URL is turned into its ``apiz.`` twin, any other base
URL (a simulator) is used as it is, and the ``finance_base_url`` setting overrides both. Its
calls carry a token of the ``sell.finances`` scope only. Windows filter on
``transactionDate:[a..b]`` / ``payoutDate:[a..b]`` (UTC, milliseconds); pages follow the
answer's ``next`` link, never a computed offset. Each payout read is followed by its
transactions (``filter=payoutId:{id}``), so one first read deferred is released with it.
eBay publishes daily call quotas, not per-second rates: the limits here are conservative.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.http.client import ConnectorHttpClient
from channelhub.connectors.http.ratelimit import RateLimit
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import RawRecord
from channelhub.core.settlement import ProviderRecord
from channelhub.mappings.ebay import FINANCES_BASE
from channelhub.mappings.ebay.finance import payout_record, transaction_record

DEFAULT_FINANCE_URL = "https://apiz.ebay.com"
STREAMS = ("transactions", "payouts")
PAGE_LIMIT = 200
LIMITS: Mapping[str, RateLimit] = {
    "getTransactions": RateLimit(rate=5, burst=10),
    "getPayouts": RateLimit(rate=5, burst=10),
}


def finance_base_url(base_url: str | None, settings: Mapping[str, Any]) -> str:
    """The Finances API host of an account (see the module docstring)."""
    configured = settings.get("finance_base_url")
    if isinstance(configured, str) and configured:
        return configured
    if base_url is None:
        return DEFAULT_FINANCE_URL
    parts = urlsplit(base_url)
    if parts.hostname and parts.hostname.startswith("api.") and parts.hostname.endswith("ebay.com"):
        return f"{parts.scheme}://apiz.{parts.hostname[4:]}"
    return base_url


def ebay_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class EbayFinance:
    """The finance calls of one eBay account."""

    def __init__(self, http: ConnectorHttpClient, raw: Any, page_limit: int = PAGE_LIMIT) -> None:
        self.http, self._raw, self.page_limit = http, raw, page_limit

    async def page(
        self, stream: str, after: datetime, before: datetime, token: str | None
    ) -> tuple[PageRecords[ProviderRecord], str | None]:
        """One page of ``stream`` over [after, before] (eBay's ranges include both ends)."""
        operation, path, field, key = (
            ("getTransactions", "/transaction", "transactionDate", "transactions")
            if stream == "transactions"
            else ("getPayouts", "/payout", "payoutDate", "payouts")
        )
        if token:  # the answer's own next link: its query, on our host
            params: dict[str, str] = dict(parse_qsl(urlsplit(token).query))
        else:
            params = {
                "filter": f"{field}:[{ebay_time(after)}..{ebay_time(before)}]",
                "limit": str(self.page_limit),
            }
        response = await self.http.request(operation, "GET", FINANCES_BASE + path, params=params)
        body = response.json()
        if not isinstance(body, Mapping) or not isinstance(body.get(key, []), list):
            raise ContractViolation(f"{operation} answered without a {key!r} list")
        records: PageRecords[ProviderRecord] = PageRecords()
        id_key = "transactionId" if key == "transactions" else "payoutId"
        mapping = transaction_record if key == "transactions" else payout_record
        for data in body.get(key, []):
            ident = data.get(id_key) if isinstance(data, Mapping) else None
            raw: RawRecord = self._raw(
                f"money_{key[:-1]}", ident if isinstance(ident, str) else None, data
            )
            if isinstance(data, Mapping):
                records.take_one(raw, mapping, data)
            else:
                records.refuse(raw, f"{key[:-1]} is not an object")
        if key == "payouts":  # each payout's transactions again, as released now
            refs = {line.payout_ref for r in records.items for line in r.lines}
            for payout in sorted(ref for ref in refs if ref is not None):
                await self._payout_transactions(payout, records)
        following = body.get("next")
        return records, following if isinstance(following, str) and following else None

    async def _payout_transactions(self, payout: str, into: PageRecords[ProviderRecord]) -> None:
        """Every transaction of one payout (``filter=payoutId:{id}``), all pages."""
        params = {"filter": f"payoutId:{{{payout}}}", "limit": str(self.page_limit)}
        while True:
            response = await self.http.request(
                "getTransactions", "GET", FINANCES_BASE + "/transaction", params=params
            )
            body = response.json()
            items = body.get("transactions", []) if isinstance(body, Mapping) else None
            if not isinstance(items, list):
                raise ContractViolation("getTransactions answered without a 'transactions' list")
            for data in items:
                ident = data.get("transactionId") if isinstance(data, Mapping) else None
                raw = self._raw(
                    "money_transaction", ident if isinstance(ident, str) else None, data
                )
                if isinstance(data, Mapping):
                    into.take_one(raw, transaction_record, data)
                else:
                    into.refuse(raw, "transaction is not an object")
            following = body.get("next")
            if not isinstance(following, str) or not following:
                return
            params = dict(parse_qsl(urlsplit(following).query))
