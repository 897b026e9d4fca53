"""The bound every planning memo keeps: emptied whole when full.

The planner's memos (:class:`~channelhub.core.allocation.Ranking`,
:class:`~channelhub.core.flow.Outcomes`, a :class:`~channelhub.core.bindings.PairingBook`'s
answers, :meth:`~channelhub.core.catalog.Catalog.expand`) hold frozen values that orders
share; they live as long as their owner (a chunk's planner, a book, a catalog). Emptying a full
memo at once, rather than evicting entry by entry (``functools.lru_cache``'s bookkeeping on
every hit), keeps the hit path a plain ``dict.get``: a planner sees a few listings,
warehouses and destinations, so the bound is a guard, not a size planning reaches.
"""

from __future__ import annotations

from typing import TypeVar

#: Entries a planning memo keeps before it forgets them all.
MEMO_LIMIT = 4096

_K = TypeVar("_K")
_V = TypeVar("_V")


def remember(memo: dict[_K, _V], key: _K, value: _V) -> _V:
    """``value`` kept in ``memo`` under ``key`` (``memo`` emptied first when it holds
    :data:`MEMO_LIMIT` entries); returns ``value``."""
    if len(memo) >= MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value
