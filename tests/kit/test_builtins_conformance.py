"""Every built-in sales channel runs the conformance suite (issue 16's done-when): a new
built-in without ``tests/<platform>/test_conformance.py`` fails here, not in review."""

from __future__ import annotations

import importlib

import pytest

from channelhub.connectors.registry import BUILTIN_CONNECTORS, ConnectorRegistry
from channelhub.connectors.roles import Role
from channelhub.testing import ConformanceSuite

REGISTRY = ConnectorRegistry(discover=lambda: ())
CHANNELS = sorted(
    name for name in BUILTIN_CONNECTORS if Role.SALES_CHANNEL in REGISTRY.get(name).roles
)


@pytest.mark.parametrize("platform", CHANNELS)
def test_the_built_in_channel_runs_the_suite_on_its_own_plugin(platform: str) -> None:
    module = importlib.import_module(f"tests.{platform}.test_conformance")
    suites = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ConformanceSuite)
        and value is not ConformanceSuite
    ]  # fmt: skip
    assert suites, f"tests/{platform}/test_conformance.py declares no ConformanceSuite"
    assert all(s.harness.plugin is REGISTRY.get(platform) for s in suites)
    assert not [s for s in suites if s.__name__.startswith("_")]


def test_the_channels_include_walmart_and_wish() -> None:
    assert {"amazon", "ebay", "shopify", "temu", "walmart", "wish"} <= set(CHANNELS)
