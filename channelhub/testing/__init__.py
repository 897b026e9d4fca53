"""``channelhub.testing``: the connector conformance suite, as a pytest plugin.

A connector package declares a harness (:class:`ChannelHarness` for a sales channel,
:class:`WarehouseHarness` for a warehouse, :class:`CarrierHarness` for a carrier: how to
build its simulator and connector, seed data, read its platform's side back) and one test
class::

    from channelhub.testing import ConformanceSuite
    from my_connector.harness import MyHarness

    class TestMyConnector(ConformanceSuite):
        harness = MyHarness()

The plugin's ``pytest_generate_tests`` turns that class's one test into one test per check
the connector's capabilities call for (``test_conformance[import_once_under_faults]``, …).
It is registered by channelhub's ``pytest11`` entry point; without the package installed,
add ``pytest_plugins = ["channelhub.testing"]`` to a conftest. See docs/connectors.md.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest

from channelhub.testing.base import Check, FakeTime, Harness, Rig
from channelhub.testing.checks import CHECKS, checks_for
from channelhub.testing.harness import ChannelHarness
from channelhub.testing.logistics import CarrierHarness, WarehouseHarness
from channelhub.testing.transport import LossyTransport


class ConformanceSuite:
    """Subclass with ``harness = YourHarness()``: every applicable check becomes a test."""

    harness: ClassVar[Harness]

    def test_conformance(self, conformance_check: Check) -> None:
        asyncio.run(conformance_check.run(self.harness))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``conformance_check`` by the harness's capabilities."""
    if "conformance_check" not in metafunc.fixturenames:
        return
    harness: Any = getattr(metafunc.cls, "harness", None) or getattr(
        metafunc.module, "HARNESS", None
    )
    if not isinstance(harness, Harness):
        raise pytest.UsageError(
            f"{metafunc.definition.nodeid}: set `harness = YourHarness()` on the test class "
            "(a channelhub.testing ChannelHarness, WarehouseHarness or CarrierHarness)"
        )
    checks = checks_for(harness)
    unknown = set(harness.known_gaps) - {c.name for c in checks}
    if unknown:
        raise pytest.UsageError(f"{harness.platform}: known_gaps names no check: {unknown}")
    params = [
        pytest.param(
            check,
            id=check.name,
            marks=[pytest.mark.xfail(reason=harness.known_gaps[check.name], strict=True)]
            if check.name in harness.known_gaps
            else [],
        )
        for check in checks
    ]
    metafunc.parametrize("conformance_check", params)


__all__ = [
    "CHECKS",
    "CarrierHarness",
    "ChannelHarness",
    "Check",
    "ConformanceSuite",
    "FakeTime",
    "Harness",
    "LossyTransport",
    "Rig",
    "WarehouseHarness",
    "checks_for",
]
