"""Answers the SP-API specs allow that the connector must survive (issue 18, item 12).

- ``nextToken`` / ``paginationToken`` are free strings: nothing stops a page from naming a
  token already followed. The pull keeps what it read and stops with a clear error instead
  of reading the same pages forever (orders and listings).
- a package's ``packageItems[].quantity`` is a bare integer: 0 is valid. That line is left
  out with its reason; the package still counts, so a push that reads the order's packages
  first is neither refused nor doubled.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.results import FulfilmentPush
from channelhub.core.models import Package, PackageLine
from channelhub.mappings.amazon import requests as build
from tests.amazon.harness import Rig, make_rig

pytestmark = pytest.mark.anyio

Rewrite = Callable[[dict[str, list[str]], Any], Any]


class RewriteAnswers:
    """The simulator, with the JSON answers to one path rewritten by ``rewrite``."""

    def __init__(self, app: Any, path: str, rewrite: Rewrite) -> None:
        self.app, self.path, self.rewrite = app, path, rewrite

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.path):
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope["query_string"].decode())
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def collect(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if started["status"] == 200:
                body = json.dumps(self.rewrite(query, json.loads(body))).encode()
            headers = [(k, v) for k, v in started["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**started, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def _rewired(rig: Rig, path: str, rewrite: Rewrite) -> Rig:
    return Rig(
        sim=rig.sim,
        time=rig.time,
        transport=httpx.ASGITransport(app=RewriteAnswers(rig.sim, path, rewrite)),
    )


def repeat_token(query: dict[str, list[str]], body: Any) -> Any:
    """A page asked for with a token names that same token as the next one."""
    asked = (query.get("paginationToken") or query.get("pageToken") or [None])[0]
    if asked is None:
        return body
    if "pagination" in body:
        body["pagination"]["nextToken"] = asked
    return body


async def test_a_repeated_orders_next_token_stops_the_pull_and_keeps_what_was_read() -> None:
    rig = make_rig(order_count=60)
    rewired = _rewired(rig, build.SEARCH_ORDERS_PATH, repeat_token)
    connector = rewired.connector(page_size=10)
    pages = []
    with pytest.raises(ContractViolation, match="already given") as raised:
        async for page in connector.pull_orders(None, since=rig.time.now - timedelta(days=60)):
            pages.append(page)
    assert len(pages) == 2  # the first page and the one that repeated its token: both kept
    assert all(len(p.items) == 10 for p in pages) and not any(p.done for p in pages)
    assert "searchOrders" in str(raised.value) and len(str(raised.value)) < 600
    asked = [e for e in rig.sim.journal.entries if e.path == build.SEARCH_ORDERS_PATH]
    assert len(asked) == 2  # never followed a third time
    await connector.aclose()


async def test_a_repeated_listings_next_token_stops_the_pull() -> None:
    rig = make_rig(order_count=1, listing_count=70)
    rewired = _rewired(rig, "/listings/2021-08-01/items/", repeat_token)
    connector = rewired.connector()
    pages = []
    with pytest.raises(ContractViolation, match="searchListingsItems"):
        async for page in connector.pull_listings(None):
            pages.append(page)
    assert len(pages) == 2 and sum(len(p.items) for p in pages) == 40
    await connector.aclose()


async def test_a_package_line_of_quantity_zero_is_left_out_and_the_push_goes_on() -> None:
    rig = make_rig(seed=2, order_count=60)
    connector = rig.connector()
    order = rig.unshipped_order(lambda n: n >= 2)
    first, second = order["orderItems"][:2]

    def push(number: str, item: dict[str, Any]) -> FulfilmentPush:
        line = PackageLine(
            sku=item["product"]["sellerSku"],
            quantity=item["quantityOrdered"],
            order_line_id=item["orderItemId"],
        )
        package = Package(tracking_number=number, carrier="ups", lines=[line])
        return FulfilmentPush(
            order_external_id=order["orderId"], packages=(package,), shipped_at=rig.time.now
        )

    (done,) = await connector.push_fulfilment(push("1ZFIRST", first))
    assert done.accepted
    for package in rig.sim.state.packages[order["orderId"]].values():
        for entry in package["packageItems"]:
            entry["quantity"] = 0  # what the spec's bare integer allows

    (next_one,) = await connector.push_fulfilment(push("1ZSECOND", second))
    assert next_one.accepted and not next_one.already_present
    (again,) = await connector.push_fulfilment(push("1ZFIRST", first))
    assert again.already_present  # the package with a 0 line still counts: not sent twice
    read = {f.tracking_number: f for f in await connector.get_fulfilments(order["orderId"])}
    assert read["1ZFIRST"].lines == ()
    assert "quantity 0 is not a positive whole number" in read["1ZFIRST"].skipped[0]
    await connector.aclose()
