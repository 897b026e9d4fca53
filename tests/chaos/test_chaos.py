"""kill -9 of import, dispatch, tracking push and stock push at seeded points, then resume:
exactly once against the simulators' own state, on SQLite and PostgreSQL (small sizes; the
larger run is ``python -m bench.run chaos``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.chaos_world import Sizes, chaos_world, run_chaos

pytestmark = pytest.mark.anyio
#: CI size: 2 + 9 orders per channel; per stage one account (seeded) killed once, then resumed.
CI_SIZES = Sizes(orders=2, kills=1, every_account=False, seed=7)


async def test_kill_9_anywhere_then_resume_is_exactly_once(db_url: str, tmp_path: Path) -> None:
    with chaos_world(tmp_path / "home", db_url, CI_SIZES) as chaos:
        report = await run_chaos(chaos)
    print(list(zip(report.log, report.worker_seconds, strict=True)))
    assert len(report.kills) >= 3  # the workers really died mid-flight (5 stages)
    assert report.counts["fulfilments pushed"] > 0 and report.counts["warehouse orders"] > 0
