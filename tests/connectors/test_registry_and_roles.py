"""The registry loads plugins from entry points; roles are checkable protocols."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from channelhub.connectors import registry as registry_module
from channelhub.connectors.errors import CapabilityMissing
from channelhub.connectors.plugin import ConnectorContext
from channelhub.connectors.registry import ENTRY_POINT_GROUP, ConnectorRegistry, PluginLoadError
from channelhub.connectors.roles import Capability, Carrier, SalesChannel, Warehouse, require
from channelhub.core.errors import ConfigError, NotFound
from tests.connectors.fake_plugin import PLUGIN, AcmeChannel


def ep(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def test_plugin_is_loaded_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    def fake_entry_points(*, group: str) -> list[EntryPoint]:
        asked.append(group)
        return (
            [ep("acme", "tests.connectors.fake_plugin:PLUGIN")]
            if group == ENTRY_POINT_GROUP
            else []
        )

    monkeypatch.setattr(registry_module, "entry_points", fake_entry_points)
    registry = ConnectorRegistry(builtins={})
    assert registry.names() == ["acme"]
    assert registry.get("acme") is PLUGIN
    assert asked == ["channelhub.connectors", "channelhub.connector_manifests"]  # it has none
    connector = registry.create(ConnectorContext(platform="acme", account="shop-1"))
    assert isinstance(connector, SalesChannel) and connector.account == "shop-1"


def test_a_factory_function_is_accepted_and_builtins_are_listed() -> None:
    registry = ConnectorRegistry(
        builtins={"acme": "tests.connectors.fake_plugin:make_plugin"}, discover=lambda: []
    )
    assert registry.get("acme") is PLUGIN


def test_unknown_platform_names_the_known_ones() -> None:
    registry = ConnectorRegistry(
        builtins={}, discover=lambda: [ep("acme", "tests.connectors.fake_plugin:PLUGIN")]
    )
    with pytest.raises(NotFound, match=r"no connector for platform 'nope' \(known: acme\)"):
        registry.get("nope")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("tests.connectors.missing_module:PLUGIN", "failed to load: ModuleNotFoundError"),
        ("tests.connectors.fake_plugin:ABSENT", "failed to load: AttributeError"),
        ("tests.connectors.fake_plugin:NOT_A_PLUGIN", "is a dict, not a ConnectorPlugin"),
    ],
)
def test_a_broken_plugin_is_named_in_the_error(value: str, why: str) -> None:
    registry = ConnectorRegistry(builtins={}, discover=lambda: [ep("acme", value)])
    with pytest.raises(PluginLoadError, match="connector plugin 'acme'") as caught:
        registry.get("acme")
    assert why in str(caught.value)
    assert isinstance(caught.value, ConfigError)  # the CLI prints it as one line


def test_a_plugin_cannot_silently_replace_a_builtin() -> None:
    registry = ConnectorRegistry(
        builtins={"acme": "tests.connectors.fake_plugin:PLUGIN"},
        discover=lambda: [ep("acme", "evil.module:PLUGIN")],
    )
    with pytest.raises(PluginLoadError, match="would replace the built-in"):
        registry.get("acme")


def test_a_plugin_declaring_another_platform_is_refused() -> None:
    registry = ConnectorRegistry(
        builtins={}, discover=lambda: [ep("other", "tests.connectors.fake_plugin:PLUGIN")]
    )
    with pytest.raises(PluginLoadError, match="declares platform 'acme'"):
        registry.get("other")


def test_roles_are_structural_and_capabilities_are_enforced() -> None:
    channel = AcmeChannel(ConnectorContext(platform="acme", account="shop-1"))
    assert isinstance(channel, SalesChannel)
    assert not isinstance(channel, Warehouse)
    assert not isinstance(channel, Carrier)
    require(channel, Capability.PUSH_QUANTITIES)
    with pytest.raises(CapabilityMissing, match="acme account 'shop-1' cannot push_fulfilment"):
        require(channel, Capability.PUSH_QUANTITIES, Capability.PUSH_FULFILMENT)


def test_context_credentials_are_secret_and_required() -> None:
    from pydantic import SecretStr

    context = ConnectorContext(
        platform="acme", account="shop-1", credentials={"api_key": SecretStr("s3cret")}
    )
    assert "s3cret" not in repr(context)
    assert context.credential("api_key").get_secret_value() == "s3cret"
    with pytest.raises(ConfigError, match="acme account 'shop-1' has no credential 'token'"):
        context.credential("token")
