"""One demo run (small size, virtual time) shared by the demo tests that read its summary and
the hub it leaves behind; the tests that change that hub work on a copy."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from channelhub.demo.runner import run_demo
from channelhub.demo.summary import DemoSummary
from tests.demo import SIZE


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "home"


@pytest.fixture(scope="session")
def summary(demo_home: Path) -> DemoSummary:
    return asyncio.run(run_demo(demo_home, size=SIZE, speed=0))
