"""Reconciliation: 1,000,000 orders and 100,000 stock rows merge-joined in bounded memory.

Both sides are generated lazily and deterministically (no list of a million rows is ever
built), with a known number of injected discrepancies of every class; the figures show the
rate, and found = injected per class (a mismatch raises: a fast wrong answer is no answer).
``--scale 0.01`` runs 10,000 orders and 1,000 stock rows.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator

from bench.run import Figure
from channelhub.core.discrepancy import DiscrepancyClass
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import ChannelOrderState
from channelhub.core.reconcile import (
    ChannelOrderView,
    HubOrderView,
    StockCount,
    reconcile_orders,
    reconcile_stock,
)

ORDERS = 1_000_000
STOCK_ROWS = 100_000
ORDER_EVERY = 997  # one order in ORDER_EVERY carries an injected difference
STOCK_EVERY = 101
C = DiscrepancyClass
CS = ChannelOrderState
H = HubStatus
SHIPPED = frozenset({"TN"})

#: (channel state, hub status or None for "missing", channel tracking, hub tracking)
ORDER_INJECTIONS: list[tuple[C, tuple[CS, H | None, frozenset[str] | None, frozenset[str]]]] = [
    (C.ORDER_MISSING_IN_HUB, (CS.UNSHIPPED, None, None, frozenset())),
    (C.CANCELLED_ON_CHANNEL, (CS.CANCELLED, H.APPROVED, None, frozenset())),
    (C.CANCELLED_IN_HUB, (CS.UNSHIPPED, H.CANCELLED, None, frozenset())),
    (C.SHIPMENT_NOT_ON_CHANNEL, (CS.UNSHIPPED, H.SHIPPED, None, SHIPPED)),
    (C.TRACKING_MISMATCH, (CS.SHIPPED, H.SHIPPED, frozenset({"XX"}), SHIPPED)),
]
AGREEING = [
    (CS.UNSHIPPED, H.ALLOCATED, None, frozenset()),
    (CS.SHIPPED, H.SHIPPED, SHIPPED, SHIPPED),
    (CS.DELIVERED, H.DELIVERED, None, SHIPPED),
    (CS.CANCELLED, H.CANCELLED, None, frozenset()),
]
#: (warehouse drift, in flight): warehouse higher, ledger higher, explained in flight
STOCK_INJECTIONS = [
    (C.WAREHOUSE_HIGHER, (3, 0)),
    (C.LEDGER_HIGHER, (-5, 1)),
    (C.STOCK_IN_FLIGHT, (-2, 2)),
]


def _order_case(
    i: int,
) -> tuple[C | None, tuple[CS, H | None, frozenset[str] | None, frozenset[str]]]:
    if i % ORDER_EVERY == 0:
        klass, case = ORDER_INJECTIONS[(i // ORDER_EVERY) % len(ORDER_INJECTIONS)]
        return klass, case
    return None, AGREEING[i % len(AGREEING)]


def channel_orders(n: int) -> Iterator[ChannelOrderView]:
    for i in range(n):
        _, (state, _, seen, _) = _order_case(i)
        yield ChannelOrderView(f"{i:09d}", state, seen)


def hub_orders(n: int) -> Iterator[HubOrderView]:
    for i in range(n):
        _, (_, status, _, shipped) = _order_case(i)
        if status is not None:
            yield HubOrderView(f"{i:09d}", status, shipped)


def injected_orders(n: int) -> Counter[str]:
    return Counter(k.value for i in range(0, n, ORDER_EVERY) if (k := _order_case(i)[0]))


def _stock_case(i: int) -> tuple[C | None, int, int]:
    if i % STOCK_EVERY == 0:
        klass, (drift, flight) = STOCK_INJECTIONS[(i // STOCK_EVERY) % len(STOCK_INJECTIONS)]
        return klass, drift, flight
    return None, 0, 0


def _stock_key(i: int) -> tuple[str, str]:
    return f"WH{i % 4}", f"SKU{i // 4:07d}"


def stock_keys(n: int) -> Iterator[int]:
    """Row numbers in (warehouse, sku) order."""
    per_warehouse = (n + 3) // 4
    for wh in range(4):
        for j in range(per_warehouse):
            i = j * 4 + wh
            if i < n:
                yield i


def warehouse_levels(n: int) -> Iterator[StockCount]:
    for i in stock_keys(n):
        wh, sku = _stock_key(i)
        yield StockCount(wh, sku, 50 + i % 7 + _stock_case(i)[1])


def ledger_balances(n: int) -> Iterator[StockCount]:
    for i in stock_keys(n):
        wh, sku = _stock_key(i)
        yield StockCount(wh, sku, 50 + i % 7)


def in_flight(n: int) -> Iterator[StockCount]:
    for i in stock_keys(n):
        flight = _stock_case(i)[2]
        if flight:
            yield StockCount(*_stock_key(i), flight)


def injected_stock(n: int) -> Counter[str]:
    return Counter(k.value for i in range(0, n, STOCK_EVERY) if (k := _stock_case(i)[0]))


def run(args: argparse.Namespace) -> list[Figure]:
    scale = getattr(args, "scale", 1.0)
    n_orders, n_stock = max(int(ORDERS * scale), 10), max(int(STOCK_ROWS * scale), 10)
    figures: list[Figure] = []

    started = time.perf_counter()
    found = Counter(
        d.discrepancy_class.value
        for d in reconcile_orders(channel_orders(n_orders), hub_orders(n_orders))
    )
    elapsed = time.perf_counter() - started
    figures += [
        Figure("orders reconciled", n_orders, "orders"),
        Figure("orders: time", elapsed, "s"),
        Figure("orders: rate", n_orders / elapsed, "orders/s"),
    ]
    figures += _check("orders", found, injected_orders(n_orders))

    started = time.perf_counter()
    found = Counter(
        d.discrepancy_class.value
        for d in reconcile_stock(
            warehouse_levels(n_stock), ledger_balances(n_stock), in_flight(n_stock), tolerance=3
        )
    )
    elapsed = time.perf_counter() - started
    figures += [
        Figure("stock rows reconciled", n_stock, "rows"),
        Figure("stock: time", elapsed, "s"),
        Figure("stock: rate", n_stock / elapsed, "rows/s"),
    ]
    figures += _check("stock", found, injected_stock(n_stock))
    return figures


def _check(what: str, found: Counter[str], injected: Counter[str]) -> list[Figure]:
    if found != injected:
        raise AssertionError(f"{what}: found {dict(found)} but injected {dict(injected)}")
    return [
        Figure(f"{what}: {klass} found (= injected)", count, "")
        for klass, count in sorted(found.items())
    ]
