"""The pipeline benchmark runs end to end at a tiny scale (figures are printed, not asserted)."""

from __future__ import annotations

import argparse
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

import bench.pipeline_overlap
from bench.bench_pipeline import _baseline, _overlap, _pipeline, make_order, order_chunks, run
from bench.pipeline_rows import chunked_insert, hub_tables, snapshot
from channelhub.store.db import make_engine


def test_generated_orders_are_valid_and_varied() -> None:
    orders = [make_order(n) for n in range(40)]
    assert len({o.external_id for o in orders}) == 40
    assert {o.lines[0].channel_sku for o in orders} == {"MUG", "SPOON", "SET", "LID"}
    assert sum(o.payment.cash_on_delivery for o in orders) == 2


def test_chunks_are_the_same_orders_in_order() -> None:
    chunks = list(order_chunks(250))
    assert [len(c) for c in chunks] == [100, 100, 50]
    assert [o.external_id for c in chunks for o in c] == [
        make_order(n).external_id for n in range(250)
    ]


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
    assert named["sqlite @20: allocated"] == 19  # the one COD order is held
    assert named["sqlite @20: plain bulk insert of the same rows"] > 0
    assert named["sqlite @20: two-phase (intake, then the pipeline)"] > 0  # same orders
    assert named["sqlite @20: ratio pipeline / same rows"] > 0
    # the domain's floor: planning in memory is faster than planning and storing
    assert named["sqlite @20: planning alone, in memory (no database)"] > 0
    best = named["sqlite @20: best ratio possible, plain / (plain + planning)"]
    assert named["sqlite @20: ratio pipeline / same rows"] < best < 100
    # the baseline writes more than the order and line rows: every table the pipeline wrote
    assert named["sqlite @20:   rows written per order"] > 4
    assert named["sqlite @20: planning, then plain insert, chunk by chunk"] > 0
    assert "sqlite @20:   the thread's gain" in named
    assert all(not name.startswith("postgresql") for name in named)


def test_baseline_writes_exactly_the_rows_the_pipeline_wrote(tmp_path: Path) -> None:
    run = _pipeline(f"sqlite:///{tmp_path / 'hub.db'}", 230, "sqlite")  # three chunks
    assert {"orders", "order_lines", "order_decisions", "stock_movements", "outbox"} <= set(
        run.wrote.rows
    )
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    assert _baseline(plain, run) > 0
    hub, copy = make_engine(f"sqlite:///{tmp_path / 'hub.db'}"), make_engine(plain)
    try:
        tables = hub_tables(hub)
        assert snapshot(copy, tables) == snapshot(hub, tables)  # row for row, every table
    finally:
        hub.dispose()
        copy.dispose()


def test_overlap_writes_every_chunk_both_ways_then_leaves_no_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = _pipeline(f"sqlite:///{tmp_path / 'hub.db'}", 230, "sqlite")  # three chunks
    writes: list[tuple[int, bool]] = []  # (chunk, written in the caller's thread)
    caller = threading.get_ident()

    @contextmanager
    def recorded(*args: object) -> Iterator[Callable[[int], None]]:
        with chunked_insert(*args) as write:  # type: ignore[arg-type]

            def write_and_record(n: int) -> None:
                write(n)
                writes.append((n, threading.get_ident() == caller))

            yield write_and_record

    monkeypatch.setattr(bench.pipeline_overlap, "chunked_insert", recorded)
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    overlap = _overlap(plain, run)
    assert overlap.sequential > 0 and overlap.overlapped > 0
    # one after the other in the caller's thread; then each chunk but the last in a writer
    # thread beside the next chunk's planning
    assert writes == [(0, True), (1, True), (2, True), (0, False), (1, False), (2, True)]
    engine = make_engine(plain)
    try:
        with engine.connect() as connection:  # both ways' rows taken out again
            assert connection.execute(text("SELECT count(*) FROM orders")).scalar() == 0
            assert connection.execute(text("SELECT count(*) FROM stock_movements")).scalar() > 0
    finally:
        engine.dispose()
