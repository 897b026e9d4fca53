"""The engine bench at its smallest: one seller's whole flow (import, pipeline, dispatch,
the warehouse's callbacks, tracking push, stock push) on one real ``channelhub worker``
against the simulators process, checked against the platforms' state. It also guards the
events a worker's own commits defer: without them the dispatch never runs here (nothing
is on a timer), and the run ends on its deadline."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.bench_engine import flow_run
from bench.engine_world import hub_home, prime

pytestmark = pytest.mark.postgres


def test_one_seller_flow_on_one_worker_is_done_once(engine_db: str, tmp_path: Path) -> None:
    with hub_home(tmp_path / "home", engine_db, sellers=1, orders=2, latency=0.01) as hub:
        asyncio.run(prime(hub))
        _, checked, _ = flow_run(hub, "procrastinate", 1, tmp_path / "logs", debounce=0, within=60)
    assert checked.orders == 2
    assert checked.requests > 0 and checked.repeated_creates == 0
