"""Shared test fixtures: the async backend and where the published contracts live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio (the backend channelhub runs on)."""
    return "asyncio"
