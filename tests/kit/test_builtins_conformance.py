"""Every built-in connector runs the conformance suite (issue 16's done-when): a new built-in
sales channel without ``tests/<platform>/test_conformance.py``, or a new built-in warehouse or
carrier without a suite of its role anywhere in ``tests/**/test_*conformance.py``, fails here,
not in review."""

from __future__ import annotations

import importlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import pytest

from channelhub.connectors.registry import BUILTIN_CONNECTORS, ConnectorRegistry
from channelhub.connectors.roles import Role
from channelhub.testing import (
    CarrierHarness,
    ConformanceSuite,
    Harness,
    WarehouseHarness,
    checks_for,
)

REGISTRY = ConnectorRegistry(discover=lambda: ())
TESTS = Path(__file__).resolve().parents[1]
CHANNELS = sorted(
    name for name in BUILTIN_CONNECTORS if Role.SALES_CHANNEL in REGISTRY.get(name).roles
)
#: the logistics roles and the harness a suite of that role declares
LOGISTICS: Mapping[Role, type[Harness]] = {
    Role.WAREHOUSE: WarehouseHarness,
    Role.CARRIER: CarrierHarness,
}
LOGISTICS_BUILTINS = sorted(
    (name, role)
    for name in BUILTIN_CONNECTORS
    for role in REGISTRY.get(name).roles
    if role in LOGISTICS
)


def _suites(module: ModuleType) -> list[type[ConformanceSuite]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, ConformanceSuite)
        and value is not ConformanceSuite and not value.__name__.startswith("_")
    ]  # fmt: skip


def _conformance_modules() -> list[ModuleType]:
    """Every ``tests/**/test_*conformance.py`` module (this one aside), imported."""
    names = sorted(
        ".".join(("tests", *path.relative_to(TESTS).with_suffix("").parts))
        for path in TESTS.rglob("test_*conformance.py")
        if path.resolve() != Path(__file__).resolve()
    )
    return [importlib.import_module(name) for name in names]


def suites_by_platform(modules: Iterable[ModuleType]) -> dict[str, list[type[ConformanceSuite]]]:
    """Platform -> the conformance suites (test classes) that run it."""
    found: dict[str, list[type[ConformanceSuite]]] = defaultdict(list)
    for module in modules:
        for suite in _suites(module):
            found[suite.harness.platform].append(suite)
    return dict(found)


def missing_suites(
    builtins: Iterable[tuple[str, Role]],
    suites: Mapping[str, list[type[ConformanceSuite]]],
    registry: ConnectorRegistry,
) -> list[str]:
    """Each built-in warehouse or carrier no suite of its role runs on its own plugin."""
    missing = []
    for name, role in builtins:
        plugin = registry.get(name)
        kind = LOGISTICS[role]
        if not any(
            isinstance(s.harness, kind) and s.harness.plugin is plugin for s in suites.get(name, [])
        ):
            missing.append(f"{name} ({role}): no ConformanceSuite with a {kind.__name__}")
    return missing


@pytest.fixture(scope="module")
def suites() -> dict[str, list[type[ConformanceSuite]]]:
    return suites_by_platform(_conformance_modules())


@pytest.mark.parametrize("platform", CHANNELS)
def test_the_built_in_channel_runs_the_suite_on_its_own_plugin(platform: str) -> None:
    module = importlib.import_module(f"tests.{platform}.test_conformance")
    suites = _suites(module)
    assert suites, f"tests/{platform}/test_conformance.py declares no ConformanceSuite"
    assert all(s.harness.plugin is REGISTRY.get(platform) for s in suites)


@pytest.mark.parametrize(("platform", "role"), LOGISTICS_BUILTINS)
def test_the_built_in_warehouse_or_carrier_runs_the_suite_of_its_role(
    platform: str, role: Role, suites: dict[str, list[type[ConformanceSuite]]]
) -> None:
    missing = missing_suites([(platform, role)], suites, REGISTRY)
    assert not missing, f"{missing[0]}: add tests/<folder>/test_{platform}_conformance.py"
    for suite in suites[platform]:
        harness = suite.harness
        checks = {check.name for check in checks_for(harness)}
        assert checks, f"{platform}: its capabilities call for no check"
        assert checks - set(harness.known_gaps), f"{platform}: every check is a known gap"


def test_a_built_in_without_a_suite_is_named(
    suites: dict[str, list[type[ConformanceSuite]]],
) -> None:
    # goodcang has a warehouse suite but none of a carrier's; shipbob's taken away
    found = missing_suites(
        [("goodcang", Role.WAREHOUSE), ("goodcang", Role.CARRIER), ("shipbob", Role.WAREHOUSE)],
        {**suites, "shipbob": []},
        REGISTRY,
    )
    assert found == [
        "goodcang (carrier): no ConformanceSuite with a CarrierHarness",
        "shipbob (warehouse): no ConformanceSuite with a WarehouseHarness",
    ]


def test_the_roles_include_every_logistics_built_in() -> None:
    assert {"amazon_mcf", "goodcang", "fourpx", "outbound_protocol", "shipbob", "winit"} <= {
        name for name, role in LOGISTICS_BUILTINS if role is Role.WAREHOUSE
    }
    carriers = {name for name, role in LOGISTICS_BUILTINS if role is Role.CARRIER}
    assert {"easypost", "ups"} <= carriers


def test_the_channels_include_walmart_and_wish() -> None:
    assert {"amazon", "ebay", "shopify", "temu", "walmart", "wish"} <= set(CHANNELS)
