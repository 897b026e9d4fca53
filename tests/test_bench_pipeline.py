"""The pipeline benchmark runs end to end at a tiny scale (figures are printed, not asserted)."""

from __future__ import annotations

import argparse
import tracemalloc

import pytest

from bench.bench_pipeline import make_order, run


def test_generated_orders_are_valid_and_varied() -> None:
    orders = [make_order(n) for n in range(40)]
    assert len({o.external_id for o in orders}) == 40
    assert {o.lines[0].channel_sku for o in orders} == {"MUG", "SPOON", "SET", "LID"}
    assert sum(o.payment.cash_on_delivery for o in orders) == 2


def test_benchmark_runs_on_sqlite_and_restores_tracing(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CHANNELHUB_BENCH_POSTGRES_URL", "CHANNELHUB_TEST_POSTGRES_URL"):
        monkeypatch.delenv(var, raising=False)
    tracemalloc.start()
    try:
        figures = run(argparse.Namespace(scale=0.0002))
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()
    named = {f.name: f.value for f in figures}
    assert named["sqlite: allocated of 20"] == 19  # the one COD order is held
    assert named["sqlite: raw insert of the same orders"] > 0
    assert all(not name.startswith("postgresql") for name in named)
