"""The console benchmark runs (at a small scale) and reports every page it renders."""

from __future__ import annotations

import argparse

from bench import bench_console


def test_console_benchmark_renders_every_page() -> None:
    figures = bench_console.run(argparse.Namespace(scale=0.01))
    names = [figure.name for figure in figures]
    assert names[0].startswith("GET /login (baseline") and "1,000 orders" in names[0]
    assert names[1:4] == [
        "GET / (Home, logged in)",
        "GET /jobs (schedule, dead letters, run log page 1)",
        "GET /jobs?outcome=failed&page=3",
    ]
    assert names[-5:] == [  # Orders and Exceptions come between
        "GET /stock (listings page 1, last push) [200 listings, 1,000 pushes]",
        "GET /stock?page=N (a page a quarter of the way in)",
        "GET /stock?account=shop1&q=sku-0001 (filter + search)",
        "GET /warehouses",
        "GET /reconcile",
    ]
    assert all(figure.value > 0 and figure.unit == "ms" for figure in figures)
