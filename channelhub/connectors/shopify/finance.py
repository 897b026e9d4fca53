"""Shopify Payments money: ``shopifyPaymentsAccount { balanceTransactions }`` then
``{ payouts }`` over the finance window (:mod:`channelhub.connectors.finance`), mapped by
:mod:`channelhub.mappings.shopify.finance`. Paced by the shop's cost bucket like every Admin
GraphQL call (:class:`ShopifyGraphQL`). Each payout read is followed by its transactions
(``payments_transfer_id:{id}``), so one first read pending is released with its payout.
Needs the ``read_shopify_payments_payouts`` scope
(Shopify grants it to apps on shops that use Shopify Payments).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import Any

from channelhub.connectors.finance import FinanceWindow, windowed_pages
from channelhub.connectors.records import PageRecords
from channelhub.connectors.results import PageOf, RawRecord
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.core.settlement import ProviderRecord
from channelhub.mappings import shopify as m
from channelhub.mappings.shopify import finance as money

STREAMS = ("balanceTransactions", "payouts")


class MoneyPull:
    """The money half of the Shopify connector (mixed into :class:`ShopifyConnector`)."""

    account: str
    _gql: ShopifyGraphQL
    _finance_window: FinanceWindow
    _now: Callable[[], datetime]

    def _raw(self, kind: str, external_id: str | None, node: Any) -> RawRecord:
        raise NotImplementedError  # the connector's

    async def _money_page(
        self, stream: str, after: datetime, before: datetime, token: str | None
    ) -> tuple[PageRecords[ProviderRecord], str | None]:
        if stream == "balanceTransactions":
            body = money.balance_transactions_request(after, before, token)
            mapping: Callable[..., ProviderRecord] = money.balance_transaction_record
            kind = "money_balance_transaction"
        else:
            body = money.payouts_request(after, before, token)
            mapping, kind = money.payout_record, "money_payout"
        records: PageRecords[ProviderRecord] = PageRecords()
        following = await self._read(stream, body, kind, mapping, records)
        if stream == "payouts":  # each payout's transactions again, as released now
            refs = {line.payout_ref for r in records.items for line in r.lines}
            for payout in sorted(ref for ref in refs if ref is not None):
                after_cursor: str | None = None
                while True:
                    request = money.payout_transactions_request(payout, after_cursor)
                    after_cursor = await self._read(
                        "balanceTransactions",
                        request,
                        "money_balance_transaction",
                        money.balance_transaction_record,
                        records,
                    )
                    if after_cursor is None:
                        break
        return records, following

    async def _read(
        self,
        stream: str,
        body: dict[str, Any],
        kind: str,
        mapping: Callable[..., ProviderRecord],
        records: PageRecords[ProviderRecord],
    ) -> str | None:
        """One page of ``stream`` into ``records``; the next page's cursor (None: the last)."""
        answer = await self._gql.call(stream, body)
        account = m.data_of(answer, stream).get("shopifyPaymentsAccount")
        connection = account.get(stream) if isinstance(account, Mapping) else None
        more, end_cursor = m.page_info(connection, stream)
        edges = connection.get("edges") if isinstance(connection, Mapping) else None
        for edge in edges or []:
            node = edge.get("node") if isinstance(edge, Mapping) else None
            raw = self._raw(kind, money.numeric_id((node or {}).get("id")), node)
            if isinstance(node, Mapping):
                records.take_one(raw, mapping, node)
            else:
                records.refuse(raw, f"{stream} edge has no node")
        return end_cursor if more and end_cursor else None

    async def pull_money(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[ProviderRecord]]:
        """Balance transactions, then payouts, of the finance window."""
        async for page in windowed_pages(
            STREAMS,
            self._money_page,
            cursor,
            since=since,
            now=self._now(),
            window=self._finance_window,
            account=self.account,
        ):
            yield page
