"""Where the platforms' published contracts live for tests: ``shared/contracts`` beside the repo.

CI clones the repository with ``shared/`` beside it; a developer's checkout has it at the
same place. ``CHANNELHUB_CONTRACTS`` overrides the location.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[1]


def contracts_dir() -> Path:
    """The contracts folder, or skip the test with a clear reason when it is absent."""
    override = os.environ.get("CHANNELHUB_CONTRACTS")
    candidates = [Path(override)] if override else []
    candidates += [_REPO_ROOT.parent / "shared" / "contracts", _REPO_ROOT / "shared" / "contracts"]
    for path in candidates:
        if (path / "README.md").is_file():
            return path
    pytest.fail("published contracts not found beside the repo (set CHANNELHUB_CONTRACTS)")
    raise AssertionError  # unreachable; pytest.fail raises


def contract_file(*parts: str) -> Path:
    """One file of the contracts folder, e.g. ``contract_file("amazon", "ordersV0.json")``."""
    return contracts_dir().joinpath(*parts)
