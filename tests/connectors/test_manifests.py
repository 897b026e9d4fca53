"""A platform's roles and capabilities are read from its manifest without importing it; a
connector that disagrees with its manifest is refused when it loads."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from channelhub.connectors.manifest import (
    BUILTIN_MANIFESTS,
    MANIFEST_ENTRY_POINT_GROUP,
    ConnectorManifest,
)
from channelhub.connectors.registry import (
    BUILTIN_CONNECTORS,
    ENTRY_POINT_GROUP,
    ConnectorRegistry,
    PluginLoadError,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.core.errors import NotFound
from tests.connectors.fake_plugin import PLUGIN

#: The fake plugin's manifest, as its package would declare it.
ACME = ConnectorManifest("acme", frozenset({Role.SALES_CHANNEL}), PLUGIN.capabilities)
#: A target that fails to import: reading it would raise.
NOWHERE = "tests.connectors.no_such_module:PLUGIN"


def ep(name: str, value: str, group: str = ENTRY_POINT_GROUP) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=group)


def manifest_ep(name: str, value: str) -> EntryPoint:
    return ep(name, value, MANIFEST_ENTRY_POINT_GROUP)


def test_every_builtin_has_a_manifest_that_matches_its_plugin() -> None:
    assert set(BUILTIN_MANIFESTS) == set(BUILTIN_CONNECTORS)
    registry = ConnectorRegistry(discover=lambda: [])
    for name in BUILTIN_CONNECTORS:
        plugin = registry.get(name)  # refused if the manifest disagrees
        assert registry.about(name) == ConnectorManifest.of(plugin) == BUILTIN_MANIFESTS[name]


def test_a_builtin_s_manifest_is_read_without_importing_it() -> None:
    registry = ConnectorRegistry(
        builtins={"acme": NOWHERE}, discover=lambda: [], manifests={"acme": ACME}
    )
    assert registry.about("acme") is ACME
    with pytest.raises(PluginLoadError, match="failed to load: ModuleNotFoundError"):
        registry.get("acme")  # only building a connector imports it


def test_a_plugin_s_manifest_entry_point_is_read_without_importing_the_plugin() -> None:
    registry = ConnectorRegistry(
        builtins={},
        discover=lambda: [ep("acme", NOWHERE)],
        discover_manifests=lambda: [manifest_ep("acme", "tests.connectors.test_manifests:ACME")],
    )
    assert registry.about("acme") == ACME


def test_a_plugin_without_a_manifest_is_loaded_to_be_asked() -> None:
    registry = ConnectorRegistry(
        builtins={},
        discover=lambda: [ep("acme", "tests.connectors.fake_plugin:PLUGIN")],
        discover_manifests=lambda: [],
    )
    assert registry.about("acme") == ACME


def test_a_connector_that_disagrees_with_its_manifest_is_refused() -> None:
    claims_money = ConnectorManifest(
        "acme", ACME.roles, ACME.capabilities | {Capability.READ_MONEY}
    )
    registry = ConnectorRegistry(
        builtins={"acme": "tests.connectors.fake_plugin:PLUGIN"},
        discover=lambda: [],
        manifests={"acme": claims_money},
    )
    with pytest.raises(PluginLoadError) as caught:
        registry.get("acme")
    assert str(caught.value) == (
        "connector plugin 'acme' (tests.connectors.fake_plugin:PLUGIN): its manifest declares "
        "capabilities push_quantities, read_money where the connector has push_quantities"
    )


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("tests.connectors.fake_plugin:PLUGIN", "is a ConnectorPlugin, not a ConnectorManifest"),
        ("tests.connectors.no_such_module:ACME", "failed to load: ModuleNotFoundError"),
        ("tests.connectors.test_manifests:OTHER", "declares platform 'other'"),
    ],
)
def test_a_broken_manifest_is_named_in_the_error(value: str, why: str) -> None:
    registry = ConnectorRegistry(
        builtins={},
        discover=lambda: [ep("acme", "tests.connectors.fake_plugin:PLUGIN")],
        discover_manifests=lambda: [manifest_ep("acme", value)],
    )
    with pytest.raises(PluginLoadError, match=f"connector manifest 'acme' .*{why}"):
        registry.about("acme")


def test_about_fails_like_get_for_an_unknown_platform_or_a_replaced_builtin() -> None:
    registry = ConnectorRegistry(
        builtins={"acme": NOWHERE},
        discover=lambda: [ep("acme", "evil.module:PLUGIN")],
        manifests={"acme": ACME},
    )
    with pytest.raises(NotFound, match=r"no connector for platform 'nope' \(known: acme\)"):
        registry.about("nope")
    with pytest.raises(PluginLoadError, match="would replace the built-in"):
        registry.about("acme")


OTHER = ConnectorManifest("other", frozenset({Role.CARRIER}))
