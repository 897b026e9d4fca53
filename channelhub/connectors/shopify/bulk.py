"""Orders of a long window through one Shopify bulk query: run, poll, stream the JSONL.

A first import or a backfill over months pages through thousands of ``orders`` calls, each
paced by the cost bucket; a bulk query reads the same orders in three requests for any
number of orders (start it, see it COMPLETED, download its file) and costs 10 points. The
file is read as a stream, one order at a time (``__parentId`` rows reassembled by
:class:`~channelhub.mappings.shopify.bulk.OrderAssembler`), and handed on in pages.

Exactly once: each page's cursor names the operation and how many orders of its file were
handed on before it, and it is saved with the page's data. A resumed run asks Shopify for
that operation again, downloads its file once more and skips those orders; when the file is
gone (the operation expired after seven days, or the link was refused) it starts a new
operation for the same window, whose orders already stored are unchanged no-ops of the
guarded upsert.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from channelhub.connectors.errors import ConnectorError, ContractViolation, TransportFailure
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.shopify.transport import ShopifyGraphQL
from channelhub.core.errors import InvalidInput
from channelhub.mappings.shopify import bulk as b

#: First wait before polling again; doubles up to POLL_MAX (a 100,000-order operation takes
#: minutes on Shopify: a handful of polls, not hundreds).
POLL_FIRST = 1.0
POLL_MAX = 30.0
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class BulkFileGone(ConnectorError):
    """The operation's file cannot be downloaded any more (expired or refused link)."""


#: The default ``bulk_after_days``: a window of a week or more is read in bulk. A first
#: import (30 days by default), a re-import after ``reset-cursor --since`` and the scheduled
#: reconciliation (7 days) are such windows; the incremental sync (minutes) and a catch-up
#: after a day or two away stay paged. Below a week a shop with a few dozen orders a day has
#: fewer pages than a bulk query has requests (3, plus a poll per doubling of its run time),
#: and a bulk query's minutes of latency would hold the orders back.
DEFAULT_AFTER_DAYS = 7.0
_OFF = frozenset({"0", "off", "never", "false", "no"})


@dataclass(frozen=True)
class BulkSettings:
    """An account's bulk settings (``bulk_after_days``, ``bulk_page_orders``,
    ``bulk_max_wait_seconds``)."""

    after_days: float | None = DEFAULT_AFTER_DAYS  # None: never (paged reads only)
    page_orders: int = 1000
    max_wait: float = 6 * 3600.0

    @classmethod
    def of(cls, account: str, settings: Any) -> BulkSettings:
        def number(name: str, default: float) -> float:
            value = settings.get(name)
            if value is None:
                return default
            try:
                found = float(value)
            except (TypeError, ValueError):
                found = -1.0
            if found <= 0:
                raise InvalidInput.field(
                    f"shopify account {account!r} setting {name}", value, "is not a positive number"
                )
            return found

        return cls(
            after_days=_after_days(account, settings.get("bulk_after_days")),
            page_orders=int(number("bulk_page_orders", 1000)),
            max_wait=number("bulk_max_wait_seconds", 6 * 3600.0),
        )


def _after_days(account: str, value: object) -> float | None:
    """``bulk_after_days``: unset is the default (a week); 0 (or off/never/false) turns bulk
    reads off for the account."""
    if value is None:
        return DEFAULT_AFTER_DAYS
    if value is False or str(value).strip().lower() in _OFF:
        return None
    try:
        found = float(str(value))
    except ValueError:
        found = -1.0
    if found == 0:
        return None
    if not found > 0:
        raise InvalidInput.field(
            f"shopify account {account!r} setting bulk_after_days",
            value,
            "is not a number of days (0: never read in bulk)",
        )
    return found


class BulkOrders:
    """One account's bulk order reads (the connector's ``pull_orders`` decides when)."""

    def __init__(self, context: ConnectorContext, gql: ShopifyGraphQL) -> None:
        self._context = context
        self._gql = gql
        self.settings = BulkSettings.of(context.account, context.settings)

    def wanted(self, since: datetime, until: datetime) -> bool:
        """Whether a window is long enough to read in bulk (``bulk_after_days``)."""
        days = self.settings.after_days
        return days is not None and (until - since).total_seconds() >= days * 86400

    async def start(self, since: datetime, until: datetime) -> b.BulkOperation:
        """Start the bulk query for orders updated in ``[since, until)``. A bulk query of
        ours for the same window already running (a run killed right after starting it) is
        taken over; another one is waited out, since a shop runs one at a time."""
        query = b.bulk_orders_query(since, until)
        while True:
            answer = await self._gql.call("bulkOperationRunQuery", b.bulk_run_request(query))
            try:
                return b.bulk_run_result(answer)
            except b.BulkRefused as refused:
                if refused.code != "OPERATION_IN_PROGRESS":
                    raise ContractViolation(f"Shopify refused the bulk query: {refused}") from None
            running = await self.current()
            if running is not None and running.query == query and not running.finished:
                return running
            if running is not None and not running.finished:
                await self.wait(running)

    async def current(self) -> b.BulkOperation | None:
        answer = await self._gql.call("currentBulkOperation", b.current_bulk_request())
        return _read(b.current_bulk_operation, answer)

    async def lookup(self, operation_id: str) -> b.BulkOperation | None:
        answer = await self._gql.call("bulkOperation", b.bulk_operation_request(operation_id))
        return _read(b.bulk_operation_node, answer)

    async def wait(self, operation: b.BulkOperation) -> b.BulkOperation:
        """Poll ``currentBulkOperation`` (injected sleep, doubling waits) until it finishes;
        the first poll is immediate, as a small operation is often done by then. Each pause
        ends early when Shopify's ``bulk_operations/finish`` webhook for this operation is
        taken in by this process (the context's ``wakes``): the operation is then read back
        by its id (the webhook is a hint, not its state)."""
        waited, pause, woken = 0.0, POLL_FIRST, False
        while not operation.finished:
            found = await self.lookup(operation.id) if woken else await self.current()
            if found is not None and found.id != operation.id:
                found = await self.lookup(operation.id)  # another query took "current"
            if found is None:
                raise ContractViolation(f"Shopify lost bulk operation {operation.id}")
            operation = found
            if operation.finished:
                break
            if waited >= self.settings.max_wait:
                raise ConnectorError(
                    f"Shopify bulk operation {operation.id} still {operation.status} after "
                    f"{waited:.0f} s (bulk_max_wait_seconds); the next run tries again"
                )
            woken = await self._pause(operation.id, pause)
            if not woken:
                waited += pause
                pause = min(pause * 2, POLL_MAX)
        return operation

    async def _pause(self, operation_id: str, seconds: float) -> bool:
        """Sleep between polls; True when the finish webhook ended the pause early."""
        wakes = self._context.wakes
        if wakes is None:
            await self._context.sleep(seconds)
            return False
        return await wakes.pause(self._context.account, operation_id, seconds, self._context.sleep)

    async def orders(self, operation: b.BulkOperation) -> AsyncIterator[dict[str, Any]]:
        """Each order node of a COMPLETED operation's file, streamed in file order."""
        if operation.status != "COMPLETED":
            why = f" ({operation.error_code})" if operation.error_code else ""
            raise ConnectorError(
                f"Shopify bulk operation {operation.id} ended {operation.status}{why}; "
                "nothing of it was stored, the next run starts the window again"
            )
        if operation.url is None:  # a completed operation with no match has no file
            return
        assembler = b.OrderAssembler()
        async for row in self._rows(operation.url):
            done = _assembled(assembler.feed, row)
            if done is not None:
                yield done
        last = assembler.finish()
        if last is not None:
            yield last

    async def _rows(self, url: str) -> AsyncIterator[object]:
        """The JSONL file, line by line, from a streaming GET: outside the GraphQL endpoint
        and its cost bucket, without the access token (the link is signed)."""
        client = httpx.AsyncClient(transport=self._context.transport, timeout=DOWNLOAD_TIMEOUT)
        try:
            async with client.stream("GET", url) as response:
                if response.status_code in {400, 401, 403, 404, 410}:
                    raise BulkFileGone(
                        "the bulk operation's file link expired or was refused",
                        status=response.status_code,
                        platform="shopify",
                    )
                if response.status_code != 200:
                    raise TransportFailure(
                        "the bulk file download failed",
                        status=response.status_code,
                        platform="shopify",
                    )
                async for line in response.aiter_lines():
                    if line.strip():
                        yield _json_line(line)
        except httpx.HTTPError as exc:
            raise TransportFailure(
                f"the bulk file download broke off: {type(exc).__name__}", platform="shopify"
            ) from exc
        finally:
            await client.aclose()


def _json_line(line: str) -> object:
    try:
        return json.loads(line)
    except ValueError:
        raise ContractViolation("a line of the bulk file is not JSON", platform="shopify") from None


def _assembled(
    feed: Callable[[object], dict[str, Any] | None], row: object
) -> dict[str, Any] | None:
    try:
        return feed(row)
    except InvalidInput as exc:  # the file's shape, not one order: the whole read stops
        raise ContractViolation(f"the bulk file cannot be read: {exc}") from exc


def _read(
    reader: Callable[[object], b.BulkOperation | None], answer: object
) -> b.BulkOperation | None:
    try:
        return reader(answer)
    except InvalidInput as exc:
        raise ContractViolation(f"Shopify's bulk operation answer: {exc}") from exc
