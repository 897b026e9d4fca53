"""What ``run`` and ``worker`` set up once: quiet loggers, and the startup heap frozen out of
the garbage collector's walks."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from channelhub.cli.runtime import start_long_running
from channelhub.settings import Settings


@pytest.fixture
def restored() -> Iterator[None]:
    level = logging.getLogger("httpx").level
    yield
    gc.unfreeze()
    logging.getLogger("httpx").setLevel(level)


def test_the_startup_heap_is_frozen_and_url_loggers_quieted(restored: None, tmp_path: Path) -> None:
    gc.unfreeze()
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    start_long_running(Settings(home=tmp_path), quiet=("httpx",))
    assert gc.get_freeze_count() > 1_000  # the imported modules at least
    assert logging.getLogger("httpx").level == logging.WARNING
