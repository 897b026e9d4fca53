"""Run every benchmark in ``bench/`` and print its figures: ``python -m bench.run [NAME ...]``.

Each benchmark is a module ``bench/bench_<name>.py`` with ``run(args) -> list[Figure]``.
Figures are printed, never asserted: speed is measured here, not in the tests.
A benchmark whose own timings matter sets ``TRACE_MEMORY = False``: tracemalloc slows Python
code several times over, so such a benchmark gets the process's peak RSS instead.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import resource
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured number with its unit and, where one exists, the contract's minimum."""

    name: str
    value: float
    unit: str
    minimum: float | None = None
    goal: float | None = None  # an upper bound to stay under (a time)

    def line(self) -> str:
        floor = f"   (contract minimum {self.minimum:g})" if self.minimum is not None else ""
        if self.goal is not None:
            floor += f"   (goal < {self.goal:g} {self.unit})"
        return f"  {self.name:<52} {self.value:>14,.2f} {self.unit}{floor}"


def discover() -> list[str]:
    """The benchmark names found beside this file."""
    here = Path(__file__).parent
    return sorted(
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    )


def measure(
    name: str, body: Callable[[], list[Figure]], *, trace_memory: bool = True
) -> list[Figure]:
    """Run one benchmark body, adding its wall time and peak Python memory."""
    if not trace_memory:
        started = time.perf_counter()
        figures = body()
        elapsed = time.perf_counter() - started
        peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        return [
            *figures,
            Figure("wall time", elapsed, "s"),
            Figure("peak RSS of the process", peak_rss, "MiB"),
        ]
    tracemalloc.start()
    started = time.perf_counter()
    figures = body()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return [
        *figures,
        Figure("wall time", elapsed, "s"),
        Figure("peak traced memory", peak / 1_048_576, "MiB"),
    ]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {discover()})")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the workload sizes")
    parser.add_argument(
        "--examples", type=int, default=None, help="payloads per platform (fuzz; default 5000)"
    )
    parser.add_argument(
        "--orders", type=int, default=None, help="orders (reports: 1000000; engine: per seller, 6)"
    )
    parser.add_argument(
        "--latency", type=float, default=None, help="seconds per platform request (engine: 0.1)"
    )
    parser.add_argument(
        "--size", type=int, default=None, help="ledger lines (finance: 100000; full 1000000)"
    )
    parser.add_argument(
        "--database", choices=["sqlite", "postgresql"], default=None, help="only this database"
    )
    parser.add_argument(
        "--data", default=None, help="reports: keep the loaded databases in DIR and reuse them"
    )
    args = parser.parse_args(argv)
    for name in args.names or discover():
        # ``order-latency`` and ``order_latency`` name the same bench_order_latency.py
        module = importlib.import_module(f"bench.bench_{name.replace('-', '_')}")
        print(f"{name}: {module.__doc__.strip().splitlines()[0] if module.__doc__ else ''}")
        trace = getattr(module, "TRACE_MEMORY", True)
        for figure in measure(name, lambda m=module: m.run(args), trace_memory=trace):
            print(figure.line())


if __name__ == "__main__":
    main()
