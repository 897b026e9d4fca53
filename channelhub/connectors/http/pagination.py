"""Pagination helpers: each yields one page at a time so the caller can checkpoint after it.

A job that pulls 40 pages and crashes on page 41 must resume at page 41, so every helper
yields a :class:`Paged` carrying the page and the cursor to resume *after* it (``None`` once
the end is reached). The caller commits its data and that cursor in one transaction, then
asks for the next page. The helpers guard against a platform repeating a cursor (which would
loop for ever) and follow ``next`` links only on the configured base URL, so credentials
never go to a host named in a response body.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from channelhub.connectors.errors import ContractViolation

P = TypeVar("P")


@dataclass(frozen=True)
class Paged(Generic[P]):
    """One page: ``page`` as the fetcher returned it; ``resume`` to continue after it."""

    page: P
    resume: str | None  # next token / cursor / path / page number as text; None at the end
    number: int  # 1-based position within this run


async def _follow(
    fetch: Callable[[str | None], Awaitable[P]],
    next_of: Callable[[P], str | None],
    start: str | None,
    max_pages: int | None,
) -> AsyncIterator[Paged[P]]:
    seen: set[str] = set()
    cursor = start
    number = 0
    while True:
        page = await fetch(cursor)
        number += 1
        following = next_of(page) or None
        if following is not None:
            if following in seen or following == cursor:
                raise ContractViolation(f"the platform repeated the page cursor {following!r}")
            seen.add(following)
        yield Paged(page=page, resume=following, number=number)
        if following is None or (max_pages is not None and number >= max_pages):
            return
        cursor = following


def paginate_next_token(
    fetch: Callable[[str | None], Awaitable[P]],
    next_token: Callable[[P], str | None],
    *,
    start: str | None = None,
    max_pages: int | None = None,
) -> AsyncIterator[Paged[P]]:
    """Next-token pagination (Amazon ``NextToken``): ``fetch(None)`` first, then the token.

    Pass only the token on follow-up calls (Amazon rejects other filters beside it); that is
    ``fetch``'s job, which sees ``None`` for the first page.
    """
    return _follow(fetch, next_token, start, max_pages)


def paginate_cursor(
    fetch: Callable[[str | None], Awaitable[P]],
    page_info: Callable[[P], Mapping[str, Any]],
    *,
    start: str | None = None,
    max_pages: int | None = None,
) -> AsyncIterator[Paged[P]]:
    """GraphQL connection pagination (Shopify ``first``/``after`` + ``pageInfo``).

    ``page_info(page)`` returns the connection's ``pageInfo`` (``hasNextPage``, ``endCursor``).
    """

    def next_of(page: P) -> str | None:
        info = page_info(page)
        if not info.get("hasNextPage"):
            return None
        cursor = info.get("endCursor")
        if not isinstance(cursor, str) or not cursor:
            raise ContractViolation("pageInfo says hasNextPage but gives no endCursor")
        return cursor

    return _follow(fetch, next_of, start, max_pages)


def same_host_path(next_url: str) -> str:
    """The path and query of a ``next`` link, to be sent to *our* base URL.

    eBay answers ``https://api.ebay.com/sell/…?offset=200``; against a sandbox or simulator
    the host must stay the configured one, and a token must never follow a foreign link.
    """
    parts = urlsplit(next_url)
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def paginate_next_url(
    fetch: Callable[[str | None], Awaitable[P]],
    next_url: Callable[[P], str | None],
    *,
    start: str | None = None,
    max_pages: int | None = None,
) -> AsyncIterator[Paged[P]]:
    """Follow-``next`` pagination (eBay): ``fetch(None)`` first, then ``fetch(path_and_query)``.

    The ``next`` link is reduced to its path and query (see :func:`same_host_path`); never
    compute offsets yourself.
    """

    def next_of(page: P) -> str | None:
        link = next_url(page)
        return same_host_path(link) if link else None

    return _follow(fetch, next_of, start, max_pages)


async def paginate_page_number(
    fetch: Callable[[int], Awaitable[P]],
    is_last: Callable[[P, int], bool],
    *,
    start: int = 1,
    max_pages: int | None = None,
) -> AsyncIterator[Paged[P]]:
    """Page-number pagination (Temu ``pageNumber`` from 1): ``is_last(page, number)`` stops it.

    A typical ``is_last`` is "fewer items than the page size" or "number × size ≥ total".
    ``resume`` is the next page number as text.
    """
    page_number = start
    count = 0
    while True:
        page = await fetch(page_number)
        count += 1
        last = is_last(page, page_number)
        yield Paged(page=page, resume=None if last else str(page_number + 1), number=count)
        if last or (max_pages is not None and count >= max_pages):
            return
        page_number += 1
