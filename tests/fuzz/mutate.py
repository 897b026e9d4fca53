"""Mutations of published example payloads: what a careless or hostile platform could send.

Each mutation takes a JSON document and a ``random.Random`` and returns a changed deep copy:
a leaf replaced by a hostile value (huge numbers, ``1e999999``, exotic unicode digits, negative
values, a dict where text belongs, megabyte strings, deep nesting), a key removed or added, a
list emptied or doubled, or a currency changed on one amount only (a mixed sum). Driven by a
seeded ``Random`` so the same seed gives the same payload (hypothesis draws the seed in tests;
the bench walks seeds 0..N).
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable
from typing import Any

Path = tuple[str | int, ...]

#: Values that have broken mappings, or could: each is put where any leaf was.
HOSTILE: tuple[object, ...] = (
    "1e999999",
    "-1e999999",
    "9" * 5_000,
    10**40,
    -(10**40),
    10**5000,
    "²",
    "²³",
    "٣",
    "１２",
    "Ⅻ",
    "-1",
    -1,
    -5,
    "-0.01",
    "-12.50",
    0,
    "0",
    "NaN",
    "Infinity",
    "sNaN",
    1.5,
    1e308,
    True,
    False,
    None,
    "",
    "   ",
    {"a": 1},
    ["x", {"y": 2}],
    [],
    {},
    "x" * 1_000_000,
    "\x00",
    "\ud800",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-13-45T99:00:00Z",
    "2026-01-15T10:00:00",
    "12.345678",
    "0.00001",
    "1_000",
    " 12 ",
    "0x1F",
    "1e3",
    "EUR",
    "JPY",
    "XXX",
    "usd",
    "ZZ",
    "𝟙𝟚",
)

_CURRENCY_KEYS = {"currency", "currencyCode", "currency_code", "invoice_currency_code"}


def paths(document: object, prefix: Path = (), limit: int = 2_000) -> list[Path]:
    """Every path to a node of ``document`` (objects' keys and lists' indexes), breadth-bounded."""
    found: list[Path] = []
    stack: list[tuple[Path, object]] = [(prefix, document)]
    while stack and len(found) < limit:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((*where, key))
                stack.append(((*where, key), value))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                found.append((*where, index))
                stack.append(((*where, index), value))
    return found


def _parent(document: Any, path: Path) -> Any:
    node = document
    for step in path[:-1]:
        node = node[step]
    return node


def deep(depth: int) -> object:
    """A list nested ``depth`` deep (a recursive walker's stack overflow)."""
    node: object = "leaf"
    for _ in range(depth):
        node = [node]
    return node


def _replace(document: Any, rng: random.Random) -> None:
    where = paths(document)
    if not where:
        return
    path = rng.choice(where)
    parent = _parent(document, path)
    choice = rng.random()
    if choice < 0.08:
        parent[path[-1]] = deep(rng.choice((50, 1_000, 20_000)))
    elif choice < 0.16:
        value = parent[path[-1]]
        if isinstance(value, str):  # the same text, grown long
            parent[path[-1]] = value * rng.choice((100, 10_000))
        elif isinstance(value, int) and not isinstance(value, bool):
            parent[path[-1]] = rng.choice((-value, value * 10**12, str(value) + "e999"))
        else:
            parent[path[-1]] = rng.choice(HOSTILE)
    else:
        parent[path[-1]] = rng.choice(HOSTILE)


def _remove(document: Any, rng: random.Random) -> None:
    where = paths(document)
    if not where:
        return
    path = rng.choice(where)
    parent = _parent(document, path)
    if isinstance(parent, dict):
        del parent[path[-1]]
    elif parent:
        parent.pop(path[-1])


def _extra(document: Any, rng: random.Random) -> None:
    objects = [p for p in paths(document) if isinstance(_get(document, p), dict)]
    target = _get(document, rng.choice(objects)) if objects else document
    if isinstance(target, dict):
        target[rng.choice(("extra", "__proto__", "x" * 300, "id", "quantity"))] = rng.choice(
            HOSTILE
        )


def _get(document: Any, path: Path) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _lists(document: Any, rng: random.Random) -> None:
    lists = [p for p in paths(document) if isinstance(_get(document, p), list)]
    if not lists:
        return
    target = _get(document, rng.choice(lists))
    action = rng.random()
    if action < 0.3:
        target.clear()
    elif target:
        target.extend(copy.deepcopy(target) * rng.choice((1, 3)))


def _currency(document: Any, rng: random.Random) -> None:
    spots = [
        p
        for p in paths(document)
        if isinstance(p[-1], str) and p[-1] in _CURRENCY_KEYS and isinstance(_get(document, p), str)
    ]
    if spots:
        path = rng.choice(spots)
        _parent(document, path)[path[-1]] = rng.choice(("EUR", "JPY", "GBP", "SAR"))


def _numbers(document: Any, rng: random.Random) -> None:
    """A numeric leaf (or number text) made negative, huge or exotic."""
    spots = [
        p
        for p in paths(document)
        if (isinstance(_get(document, p), int | float) and not isinstance(_get(document, p), bool))
        or (isinstance(_get(document, p), str) and _get(document, p).replace(".", "").isdigit())
    ]
    if spots:
        path = rng.choice(spots)
        value = _get(document, path)
        if isinstance(value, int) and value.bit_length() > 1_000:
            value = 1
        _parent(document, path)[path[-1]] = rng.choice(
            (
                f"-{value}",
                -abs(value) if isinstance(value, int | float) else f"-{value}",
                "1e999999",
                "9" * rng.choice((20, 400, 5_000)),
                10 ** rng.choice((10, 40, 400)),
                "²",
                "٣",
                f"{value}.0000001",
                f"{value}e5",
            )
        )


def _digits_in_text(document: Any, rng: random.Random) -> None:
    """Digits inside a text (a date, an offset, an id) made huge, exotic or negative."""
    spots = [
        p
        for p in paths(document)
        if isinstance(_get(document, p), str) and any(c.isdigit() for c in _get(document, p)[:64])
    ]
    if spots:
        path = rng.choice(spots)
        value = _get(document, path)[:64]
        swap = rng.choice(("9" * 20, "²", "٣", "0", "-1", "99999999999", "00"))
        _parent(document, path)[path[-1]] = re.sub(r"[0-9]+", swap, value, count=rng.randint(1, 3))


MUTATIONS: tuple[Callable[[Any, random.Random], None], ...] = (
    _replace,
    _replace,
    _numbers,
    _numbers,
    _digits_in_text,
    _currency,
    _remove,
    _extra,
    _lists,
)


def mutate(seed_document: object, rng: random.Random, *, rounds: int | None = None) -> object:
    """A deep copy of ``seed_document`` with one to three mutations applied."""
    document = copy.deepcopy(seed_document)
    for _ in range(rounds or rng.choice((1, 1, 2, 3))):
        try:
            rng.choice(MUTATIONS)(document, rng)
        except RecursionError:  # copying a deep nest made by an earlier round: keep it as is
            break
    return document
