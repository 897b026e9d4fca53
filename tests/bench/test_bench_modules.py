"""Every benchmark ``python -m bench.run`` lists imports and has its ``run``: one broken import
stops the whole run at that name (the Shopify bulk bench once named a process-wide wake
registry that had become a per-factory one, and nothing imported it in the tests)."""

from __future__ import annotations

import asyncio
import importlib

import pytest

from bench.run import discover


@pytest.mark.parametrize("name", discover())
def test_the_benchmark_imports_and_has_its_run(name: str) -> None:
    module = importlib.import_module(f"bench.bench_{name}")
    assert callable(module.run)


def test_the_finish_webhook_ends_the_bulk_reads_pause() -> None:
    """The Shopify bulk bench's webhook run, small: an operation Shopify runs 45 s is read at
    45 s when its finish is announced (polled alone, at the next poll: 61 s)."""
    from bench import bench_shopify_bulk

    polled = asyncio.run(bench_shopify_bulk._import(300, 45.0, webhook=False))
    woken = asyncio.run(bench_shopify_bulk._import(300, 45.0, webhook=True))
    assert (polled[0], woken[0]) == (300, 300)
    assert polled[-1] == 61.0
    assert woken[-1] == 45.0
