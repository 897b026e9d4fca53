"""Pagination helpers yield one page at a time with the cursor to resume after it."""

from __future__ import annotations

from typing import Any

import pytest

from channelhub.connectors.errors import ContractViolation
from channelhub.connectors.http.pagination import (
    paginate_cursor,
    paginate_next_token,
    paginate_next_url,
    paginate_page_number,
    same_host_path,
)


@pytest.mark.anyio
async def test_next_token_yields_resume_points_and_passes_only_the_token() -> None:
    pages = {None: ("a", "T1"), "T1": ("b", "T2"), "T2": ("c", None)}
    asked: list[str | None] = []

    async def fetch(token: str | None) -> tuple[str, str | None]:
        asked.append(token)
        return pages[token]

    got = [
        (p.page[0], p.resume, p.number) async for p in paginate_next_token(fetch, lambda p: p[1])
    ]
    assert got == [("a", "T1", 1), ("b", "T2", 2), ("c", None, 3)]
    assert asked == [None, "T1", "T2"]
    resumed = [p.page[0] async for p in paginate_next_token(fetch, lambda p: p[1], start="T2")]
    assert resumed == ["c"]


@pytest.mark.anyio
async def test_a_repeated_cursor_is_a_contract_violation_not_a_loop() -> None:
    async def fetch(token: str | None) -> str:
        return "same"

    with pytest.raises(ContractViolation, match="repeated"):
        async for _ in paginate_next_token(fetch, lambda p: "T"):
            pass


@pytest.mark.anyio
async def test_graphql_cursor_pagination_reads_page_info() -> None:
    async def fetch(after: str | None) -> dict[str, Any]:
        has_next = after is None
        return {"pageInfo": {"hasNextPage": has_next, "endCursor": "c1" if has_next else None}}

    got = [p.resume async for p in paginate_cursor(fetch, lambda p: p["pageInfo"])]
    assert got == ["c1", None]


@pytest.mark.anyio
async def test_next_url_stays_on_our_host() -> None:
    assert same_host_path("https://api.ebay.com/sell/fulfillment/v1/order?limit=2&offset=2") == (
        "/sell/fulfillment/v1/order?limit=2&offset=2"
    )
    links = {None: "https://evil.test/o?offset=2", "/o?offset=2": None}

    async def fetch(path: str | None) -> str | None:
        return links[path]

    assert [p.resume async for p in paginate_next_url(fetch, lambda p: p)] == ["/o?offset=2", None]


@pytest.mark.anyio
async def test_page_numbers_stop_on_a_short_page_and_honour_max_pages() -> None:
    async def fetch(number: int) -> list[int]:
        return [1, 2] if number < 3 else [1]

    got = [(p.page, p.resume) async for p in paginate_page_number(fetch, lambda p, n: len(p) < 2)]
    assert got == [([1, 2], "2"), ([1, 2], "3"), ([1], None)]
    limited = [p.resume async for p in paginate_page_number(fetch, lambda p, n: False, max_pages=2)]
    assert limited == ["2", "3"]
