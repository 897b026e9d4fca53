"""Redaction by value: what it costs the sinks (a payload scanned, a row stored).

Figures: MB/s of :meth:`SecretRedactor.redact` over a 100 KB JSON page with no secret in it
(the common case) for one account's 5 secrets and for 512 values (the most one scope keeps),
beside the plain baseline of one ``str.count`` pass over the same text; and raw payloads
(10 KB) stored per second on SQLite with and without an active redactor (the database hook).
``--scale 0.1`` does a tenth of the work.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.run import Figure
from channelhub.core.redaction import SecretRedactor, redacting
from channelhub.store.db import make_engine, make_session_factory, upgrade
from channelhub.store.repos.payloads import store_raw_payload

TRACE_MEMORY = False
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _page(size: int) -> str:
    orders = []
    while len(json.dumps(orders)) < size:
        n = len(orders)
        orders.append({"id": f"{n:019d}", "sku": f"SKU-{n}", "title": "A mug " * 8, "qty": n})
    return json.dumps({"orders": orders})


def _redactor(values: int) -> SecretRedactor:
    redactor = SecretRedactor("bench")
    redactor.add(*(f"secret-{i:04d}/+=abcdefghijklmnop" for i in range(values)))
    return redactor


def _rate(fn: object, text: str, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn(text)  # type: ignore[operator]
    return len(text) * repeat / (time.perf_counter() - started) / 1e6


def _store(count: int, body: bytes, redactor: SecretRedactor | None) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'b.db'}")
        upgrade(engine)
        factory = make_session_factory(engine)
        started = time.perf_counter()
        for i in range(count):
            with factory.begin() as session:
                if redactor is None:
                    store_raw_payload(session, platform="p", account="a", kind="k",
                                      body=body + str(i).encode(), received_at=NOW)  # fmt: skip
                else:
                    with redacting(redactor):
                        store_raw_payload(session, platform="p", account="a", kind="k",
                                          body=body + str(i).encode(), received_at=NOW)  # fmt: skip
        elapsed = time.perf_counter() - started
        engine.dispose()
    return count / elapsed


def run(args: argparse.Namespace) -> list[Figure]:
    repeat = max(1, int(200 * args.scale))
    page = _page(100_000)
    one, many = _redactor(5), _redactor(512)
    rows = max(10, int(1000 * args.scale))
    body = _page(10_000).encode()
    return [
        Figure("baseline: one str.count pass over 100 KB", _rate(lambda t: t.count("zz"), page, repeat), "MB/s"),  # noqa: E501
        Figure("redact 100 KB, 5 secrets (one account)", _rate(one.redact, page, repeat), "MB/s"),
        Figure("redact 100 KB, 512 values (the most one scope keeps)", _rate(many.redact, page, max(1, repeat // 20)), "MB/s"),  # noqa: E501
        Figure("store 10 KB raw payloads, no redactor", _store(rows, body, None), "rows/s"),
        Figure("store 10 KB raw payloads, 5 secrets", _store(rows, body, one), "rows/s"),
    ]  # fmt: skip
