"""The stock library benchmark runs at a tiny scale and measures what it says (figures are
printed, not asserted)."""

from __future__ import annotations

import argparse

import pytest

from bench.bench_stock_library import run


def test_benchmark_wakes_pushes_and_counts_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CHANNELHUB_BENCH_POSTGRES_URL", "CHANNELHUB_TEST_POSTGRES_URL"):
        monkeypatch.delenv(var, raising=False)
    figures = {f.name.split(": ", 1)[1]: f.value for f in run(argparse.Namespace(scale=0.004))}
    # the changed single is sold on every account: each wakes
    assert figures["wake, accounts woken"] == 3
    # its own listing and its combo's change; no other listing of the 40
    assert figures["changes push, listings it would push"] == 2
    assert figures["mass-drop guard's count, listings positioned"] == 40
    assert figures["full sweep planning, CPU"] > 0
