"""Shopify bulk queries: request bodies, the operation's state, and orders from JSONL rows.

A bulk query reads every order of a window in one background operation, outside the cost
bucket; its result is a JSONL file where each connection node is one line and a nested
connection's nodes (an order's line items) are lines of their own carrying ``__parentId``.
:class:`OrderAssembler` puts an order back together in the shape the paged query answers
(``lineItems { pageInfo nodes }``), so :func:`~channelhub.mappings.shopify.orders.order_from_node`
builds the same canonical order from either. Pure: no I/O, no clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channelhub.mappings.shopify._wire import fail, obj
from channelhub.mappings.shopify.queries import (
    BULK_OPERATION_QUERY,
    BULK_ORDERS_TEMPLATE,
    BULK_RUN_QUERY,
    CURRENT_BULK_OPERATION_QUERY,
)
from channelhub.mappings.shopify.requests import GraphQLBody, orders_search

#: The webhook Shopify sends when a bulk operation of the app finishes (the subscription
#: topic ``BULK_OPERATIONS_FINISH``); its body names the operation, not its file.
FINISH_TOPIC = "bulk_operations/finish"
#: Statuses after which the operation never changes again.
FINISHED = frozenset({"COMPLETED", "FAILED", "CANCELED", "EXPIRED"})
PARENT_KEY = "__parentId"


@dataclass(frozen=True)
class BulkOperation:
    """What Shopify says of one bulk operation."""

    id: str
    status: str
    error_code: str | None = None
    url: str | None = None
    partial_data_url: str | None = None
    object_count: int = 0
    root_object_count: int = 0
    query: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


class BulkRefused(ValueError):
    """``bulkOperationRunQuery`` answered userErrors (``code``: INVALID, OPERATION_IN_PROGRESS)."""

    def __init__(self, code: str | None, message: str) -> None:
        self.code = code
        super().__init__(message)


def bulk_orders_query(updated_since: datetime, updated_before: datetime | None) -> str:
    """The bulk document for orders updated in ``[since, before)``: the paged selection."""
    search = orders_search(updated_since, updated_before)
    return BULK_ORDERS_TEMPLATE.replace("$SEARCH", json.dumps(search))


def bulk_run_request(query: str) -> GraphQLBody:
    return {"query": BULK_RUN_QUERY, "variables": {"query": query}}


def current_bulk_request() -> GraphQLBody:
    return {"query": CURRENT_BULK_OPERATION_QUERY, "variables": {}}


def bulk_operation_request(operation_id: str) -> GraphQLBody:
    return {"query": BULK_OPERATION_QUERY, "variables": {"id": operation_id}}


def _data(answer: object) -> Any:
    return obj(obj(answer, "answer").get("data"), "data")


def _operation(node: object, path: str) -> BulkOperation | None:
    if node is None:
        return None
    found = obj(node, path)
    if not isinstance(found.get("id"), str) or not isinstance(found.get("status"), str):
        raise fail(path, node, "is not a bulk operation (no id or status)")

    def count(name: str) -> int:
        value = found.get(name)
        return int(value) if isinstance(value, str | int) and str(value).isdigit() else 0

    return BulkOperation(
        id=found["id"],
        status=found["status"],
        error_code=found.get("errorCode"),
        url=found.get("url"),
        partial_data_url=found.get("partialDataUrl"),
        object_count=count("objectCount"),
        root_object_count=count("rootObjectCount"),
        query=found.get("query"),
    )


def bulk_run_result(answer: object) -> BulkOperation:
    """The started operation from ``bulkOperationRunQuery``'s answer; userErrors raise
    :class:`BulkRefused` with Shopify's words."""
    payload = obj(_data(answer).get("bulkOperationRunQuery"), "bulkOperationRunQuery")
    errors = payload.get("userErrors") or []
    if errors:
        first = obj(errors[0], "bulkOperationRunQuery.userErrors[0]")
        messages = "; ".join(str(obj(e, "userErrors[]").get("message")) for e in errors)
        raise BulkRefused(first.get("code"), messages)
    found = _operation(payload.get("bulkOperation"), "bulkOperationRunQuery.bulkOperation")
    if found is None:
        raise fail("bulkOperationRunQuery.bulkOperation", None, "is missing without userErrors")
    return found


def current_bulk_operation(answer: object) -> BulkOperation | None:
    """``currentBulkOperation`` (None: the shop never ran one)."""
    return _operation(_data(answer).get("currentBulkOperation"), "currentBulkOperation")


def bulk_operation_node(answer: object) -> BulkOperation | None:
    """``node(id:)`` as a bulk operation (None: no such operation any more)."""
    return _operation(_data(answer).get("node"), "node")


class OrderAssembler:
    """Feeds JSONL rows, returns each order once it is complete.

    Shopify writes a parent before its children; an order is complete when the next order
    (a row without ``__parentId``) begins, or at the end of the file (:meth:`finish`). A line
    row for another order than the one being assembled is a file we cannot read safely: it
    raises rather than building an order without its lines.
    """

    def __init__(self) -> None:
        self._order: dict[str, Any] | None = None
        self._lines: list[dict[str, Any]] = []

    def feed(self, row: object) -> dict[str, Any] | None:
        found = dict(obj(row, "bulk row"))
        parent = found.pop(PARENT_KEY, None)
        if parent is None:
            done = self.finish()
            self._order, self._lines = found, []
            return done
        if self._order is None or self._order.get("id") != parent:
            raise fail(PARENT_KEY, parent, "names an order that is not the one being read")
        self._lines.append(found)
        return None

    def finish(self) -> dict[str, Any] | None:
        """The order being assembled (None: none), in the paged query's shape."""
        if self._order is None:
            return None
        order = {
            **self._order,
            "lineItems": {
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "nodes": self._lines,
            },
        }
        self._order, self._lines = None, []
        return order


def finished_operation(payload: object) -> str | None:
    """The operation a ``bulk_operations/finish`` body names (``admin_graphql_api_id``), or
    None when it names none. A hint only: the reader asks Shopify for the operation's state."""
    found = payload.get("admin_graphql_api_id") if isinstance(payload, dict) else None
    return found if isinstance(found, str) and found.startswith("gid://") else None
