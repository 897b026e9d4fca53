"""Answering GraphQL documents against the real schema with the seeded shop data.

graphql-core executes each (already validated) document over the published schema; the
shop's objects are plain dicts, a connection field's value is a list that is paged here
(``first``/``after``, opaque cursors, ``pageInfo``), and root fields are callables.
"""

from __future__ import annotations

import base64
import json
import operator
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from graphql import get_named_type

from channelhub.simulators.shopify.seed import ShopData, num

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "": operator.eq,
}
_TERM = re.compile(r"(\w+):(>=|<=|>|<)?'?([^'\s]+)'?")


def encode_cursor(payload: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        value = json.loads(base64.b64decode(cursor.encode(), validate=True))
    except ValueError as exc:
        raise ValueError(f"Invalid cursor for current pagination sort: {cursor}") from exc
    if not isinstance(value, dict):
        raise ValueError(f"Invalid cursor for current pagination sort: {cursor}")
    return value


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def search_filter(query: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for Shopify's search syntax, as far as channelhub uses it:
    ``updated_at:>='…' AND updated_at:<'…'`` (and ``created_at``, ``id``)."""
    if not query:
        return lambda _: True
    terms: list[tuple[str, Callable[[Any, Any], bool], Any]] = []
    for field_name, op, raw in _TERM.findall(query):
        if field_name in {"updated_at", "created_at"}:
            key = "updatedAt" if field_name == "updated_at" else "createdAt"
            terms.append((key, _COMPARE[op], _parse_time(raw)))
        elif field_name == "id":
            terms.append(("id", operator.eq, raw))

    def keep(obj: dict[str, Any]) -> bool:
        for key, compare, bound in terms:
            value = num(obj["id"]) if key == "id" else _parse_time(obj[key])
            if not compare(value, bound):
                return False
        return True

    return keep


_UNBOUNDED: ContextVar[bool] = ContextVar("shopify_bulk_unbounded", default=False)


@contextmanager
def unbounded() -> Iterator[None]:
    """While a bulk query runs: connections read without ``first`` return every node."""
    token = _UNBOUNDED.set(True)
    try:
        yield
    finally:
        _UNBOUNDED.reset(token)


def paginate(
    items: list[dict[str, Any]], args: dict[str, Any], *, sort_key: str | None = None
) -> dict[str, Any]:
    """A Relay connection over ``items`` (already filtered and sorted).

    Cursors name the last item's sort value and id, as Shopify's do, so an item updated
    between two pages moves rather than shifting every later page.
    """
    first = args.get("first") or args.get("last")
    bulk = _UNBOUNDED.get()
    if first is None and bulk:
        first = len(items)
    if first is None:
        raise ValueError("you must provide one of first or last")
    if first > 250 and not bulk:
        raise ValueError("The first argument must be at most 250")

    def key_of(item: dict[str, Any]) -> list[Any]:
        return [item.get(sort_key) if sort_key else None, int(num(item["id"]))]

    start = 0
    if args.get("after"):
        after = decode_cursor(args["after"])
        last = [after.get("last_value"), after.get("last_id")]
        start = next((i for i, it in enumerate(items) if key_of(it) > last), len(items))
    page = items[start : start + first]
    edges = [
        {
            "cursor": encode_cursor({"last_id": key_of(it)[1], "last_value": key_of(it)[0]}),
            "node": it,
        }
        for it in page
    ]
    return {
        "edges": edges,
        "nodes": page,
        "pageInfo": {
            "hasNextPage": start + first < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }


def field_resolver(source: Any, info: Any, **args: Any) -> Any:
    """Dict lookup; callables are called; lists under connection fields become connections."""
    value = source.get(info.field_name) if isinstance(source, dict) else None
    if callable(value):
        return value(info, **args)
    named = get_named_type(info.return_type)
    if isinstance(value, list) and named.name.endswith("Connection"):
        return paginate(value, args)
    if isinstance(value, list) and args.get("first") is not None:
        return value[: args["first"]]
    return value


def query_root(data: ShopData) -> dict[str, Any]:
    """Root query fields the simulator answers (what channelhub's documents ask for)."""

    def orders(info: Any, **args: Any) -> dict[str, Any]:
        keep = search_filter(args.get("query"))
        sort = "updatedAt" if args.get("sortKey") == "UPDATED_AT" else "createdAt"
        found = sorted(
            (o for o in data.orders.values() if keep(o)), key=lambda o: (o[sort], int(num(o["id"])))
        )
        if args.get("reverse"):
            found.reverse()
        return paginate(found, args, sort_key=sort)

    def order(info: Any, **args: Any) -> dict[str, Any] | None:
        return data.orders.get(num(args["id"]))

    def products(info: Any, **args: Any) -> dict[str, Any]:
        keep = search_filter(args.get("query"))
        found = sorted(
            (p for p in data.products if keep(p)), key=lambda p: (p["updatedAt"], int(num(p["id"])))
        )
        return paginate(found, args, sort_key="updatedAt")

    def locations(info: Any, **args: Any) -> dict[str, Any]:
        return paginate(list(data.locations), args)

    def nodes(info: Any, **args: Any) -> list[dict[str, Any] | None]:
        found: list[dict[str, Any] | None] = []
        for global_id in args["ids"]:
            kind, ident = global_id.split("/")[-2:]
            if kind == "InventoryItem":
                found.append(data.inventory_item(ident))
            elif kind == "Order":
                found.append(data.orders.get(ident))
            else:
                found.append(None)
        return found

    return {
        "shop": {
            "__typename": "Shop",
            "currencyCode": data.currency,
            "name": data.name,
            "myshopifyDomain": data.domain,
        },
        "currentAppInstallation": {
            "__typename": "AppInstallation",
            "accessScopes": [{"handle": scope} for scope in data.scopes],
        },
        "orders": orders,
        "order": order,
        "products": products,
        "locations": locations,
        "nodes": nodes,
    }
