"""Connector registry: built-ins plus plugins from the entry-point group ``channelhub.connectors``.

Built-ins are listed here as lazy ``module:attribute`` strings so importing the registry does
not import every platform (and a platform still being written breaks only itself). Third
parties ship a connector as their own package by declaring an entry point in that group whose
object is a :class:`~channelhub.connectors.plugin.ConnectorPlugin` (or a zero-argument callable
returning one). Every failure names the plugin and says why.

What a platform is (its roles and capabilities) is read from its manifest
(:mod:`channelhub.connectors.manifest`) by :meth:`ConnectorRegistry.about`, without importing
the connector; this module imports no connector machinery either, so a command that only lists
accounts or jobs stays light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, TypeVar

from channelhub.connectors.manifest import (
    BUILTIN_MANIFESTS,
    MANIFEST_ENTRY_POINT_GROUP,
    ConnectorManifest,
    Declared,
)
from channelhub.core.errors import ConfigError, NotFound

if TYPE_CHECKING:
    from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin

ENTRY_POINT_GROUP = "channelhub.connectors"

#: Platform name → "module:attribute" of its ConnectorPlugin. Append one line per built-in (and
#: its roles and capabilities to ``BUILTIN_MANIFESTS`` in :mod:`channelhub.connectors.manifest`).
BUILTIN_CONNECTORS: dict[str, str] = {
    "amazon": "channelhub.connectors.amazon:PLUGIN",
    "ebay": "channelhub.connectors.ebay:PLUGIN",
    "shopify": "channelhub.connectors.shopify:PLUGIN",
    "shipbob": "channelhub.connectors.shipbob:PLUGIN",
    "outbound_protocol": "channelhub.connectors.outbound_protocol:PLUGIN",
    "ups": "channelhub.connectors.ups:PLUGIN",
    "easypost": "channelhub.connectors.easypost:PLUGIN",
    "temu": "channelhub.connectors.temu:PLUGIN",
    "amazon_mcf": "channelhub.connectors.amazon_mcf:PLUGIN",
    "goodcang": "channelhub.connectors.goodcang:PLUGIN",
    "walmart": "channelhub.connectors.walmart:PLUGIN",
    "wish": "channelhub.connectors.wish:PLUGIN",
    "winit": "channelhub.connectors.winit:PLUGIN",
    "fourpx": "channelhub.connectors.fourpx:PLUGIN",
}


class PluginLoadError(ConfigError):
    """A connector plugin is declared but cannot be loaded or is not a ConnectorPlugin."""


def _import_target(target: str) -> object:
    module_name, _, attribute = target.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in attribute.split(".") if attribute else []:
        obj = getattr(obj, part)
    return obj


def _as_plugin(name: str, origin: str, loaded: object) -> ConnectorPlugin:
    from channelhub.connectors.plugin import ConnectorPlugin  # the plugin machinery: httpx

    candidate = loaded
    if not isinstance(candidate, ConnectorPlugin) and callable(candidate):
        candidate = candidate()
    return _declared("plugin", name, origin, candidate, ConnectorPlugin)


def _as_manifest(name: str, origin: str, loaded: object) -> ConnectorManifest:
    return _declared("manifest", name, origin, loaded, ConnectorManifest)


_T = TypeVar("_T", bound=Declared)


def _declared(what: str, name: str, origin: str, loaded: object, kind: type[_T]) -> _T:
    """``loaded`` as the ``kind`` declared under ``name``, or why it is not one."""
    if not isinstance(loaded, kind):
        raise PluginLoadError(
            f"connector {what} {name!r} ({origin}) is a {type(loaded).__name__}, "
            f"not a {kind.__name__}"
        )
    if loaded.platform != name:
        raise PluginLoadError(
            f"connector {what} {name!r} ({origin}) declares platform {loaded.platform!r}"
        )
    return loaded


def _differences(declared: ConnectorManifest, actual: ConnectorManifest) -> list[str]:
    said = []
    for what, claimed, real in (
        ("roles", declared.roles, actual.roles),
        ("capabilities", declared.capabilities, actual.capabilities),
    ):
        if claimed != real:
            said.append(
                f"{what} {', '.join(sorted(claimed)) or 'none'} where the connector has "
                f"{', '.join(sorted(real)) or 'none'}"
            )
    return said


class ConnectorRegistry:
    """Platform name → ConnectorPlugin, loaded on first use and cached per instance; and
    platform name → ConnectorManifest, read without loading the plugin where one is declared.

    ``manifests`` are the built-ins' (default: :data:`BUILTIN_MANIFESTS` with the default
    built-ins, none with others); ``discover_manifests`` lists the plugins' manifest entry
    points (default: the ``channelhub.connector_manifests`` group)."""

    def __init__(
        self,
        builtins: Mapping[str, str] | None = None,
        discover: Callable[[], Iterable[EntryPoint]] | None = None,
        *,
        manifests: Mapping[str, ConnectorManifest] | None = None,
        discover_manifests: Callable[[], Iterable[EntryPoint]] | None = None,
    ) -> None:
        self._builtins = dict(BUILTIN_CONNECTORS if builtins is None else builtins)
        self._discover = discover or (lambda: entry_points(group=ENTRY_POINT_GROUP))
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, ConnectorPlugin] = {}
        if manifests is None:
            manifests = BUILTIN_MANIFESTS if builtins is None else {}
        self._manifests = {k: v for k, v in manifests.items() if k in self._builtins}
        self._discover_manifests = discover_manifests or (
            lambda: entry_points(group=MANIFEST_ENTRY_POINT_GROUP)
        )
        self._manifest_points: dict[str, EntryPoint] | None = None
        self._declared: dict[str, ConnectorManifest] = {}

    def _plugins(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            self._entry_points = self._unique(self._discover(), "plugins")
        return self._entry_points

    def _manifest_entry_points(self) -> dict[str, EntryPoint]:
        if self._manifest_points is None:
            self._manifest_points = self._unique(self._discover_manifests(), "manifests")
        return self._manifest_points

    @staticmethod
    def _unique(points: Iterable[EntryPoint], what: str) -> dict[str, EntryPoint]:
        found: dict[str, EntryPoint] = {}
        for ep in points:
            other = found.get(ep.name)
            if other is not None and other.value != ep.value:
                raise PluginLoadError(
                    f"two connector {what} claim platform {ep.name!r}: {other.value} and {ep.value}"
                )
            found[ep.name] = ep
        return found

    def names(self) -> list[str]:
        """Every platform known, built-in or plugin, sorted."""
        return sorted(set(self._builtins) | set(self._plugins()))

    def _source(self, platform: str) -> tuple[str, Callable[[], object], bool]:
        """(where the plugin comes from, how to load it, whether it is a built-in);
        NotFound for an unknown platform, PluginLoadError for one a plugin would replace."""
        plugin_ep = self._plugins().get(platform)
        builtin = self._builtins.get(platform)
        if plugin_ep is None and builtin is None:
            known = ", ".join(self.names()) or "none"
            raise NotFound(f"no connector for platform {platform!r} (known: {known})")
        if builtin is not None and plugin_ep is not None and plugin_ep.value != builtin:
            raise PluginLoadError(
                f"connector plugin {platform!r} ({plugin_ep.value}) would replace the built-in "
                f"{builtin}; uninstall one of them"
            )
        if builtin is not None:
            return builtin, lambda: _import_target(builtin), True
        assert plugin_ep is not None
        return f"entry point {plugin_ep.value}", plugin_ep.load, False

    def _declared_manifest(self, platform: str, builtin: bool) -> ConnectorManifest | None:
        """The manifest declared for ``platform`` (None: none is; its plugin says it all)."""
        if builtin:
            return self._manifests.get(platform)
        if platform not in self._declared:
            ep = self._manifest_entry_points().get(platform)
            if ep is None:
                return None
            origin = f"entry point {ep.value}"
            try:
                loaded = ep.load()
            except Exception as exc:  # a plugin may fail in any way; name it and keep the cause
                raise PluginLoadError(
                    f"connector manifest {platform!r} ({origin}) failed to load: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            self._declared[platform] = _as_manifest(platform, origin, loaded)
        return self._declared[platform]

    def get(self, platform: str) -> ConnectorPlugin:
        """The plugin for ``platform``; NotFound lists the known ones. A plugin that does not
        match its declared manifest is refused (the manifest is what the jobs plan with)."""
        if platform in self._loaded:
            return self._loaded[platform]
        origin, load, builtin = self._source(platform)
        try:
            loaded = load()
        except Exception as exc:  # a plugin may fail in any way; name it and keep the cause
            raise PluginLoadError(
                f"connector plugin {platform!r} ({origin}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        plugin = _as_plugin(platform, origin, loaded)
        declared = self._declared_manifest(platform, builtin)
        if declared is not None:
            wrong = _differences(declared, ConnectorManifest.of(plugin))
            if wrong:
                raise PluginLoadError(
                    f"connector plugin {platform!r} ({origin}): its manifest declares "
                    + "; ".join(wrong)
                )
        self._loaded[platform] = plugin
        return plugin

    def about(self, platform: str) -> ConnectorManifest:
        """``platform``'s roles and capabilities: its declared manifest, read without
        importing the connector, or else its loaded plugin's. Fails as :meth:`get` does for
        an unknown platform or a plugin that would replace a built-in."""
        if platform in self._loaded:
            return ConnectorManifest.of(self._loaded[platform])
        _, _, builtin = self._source(platform)
        declared = self._declared_manifest(platform, builtin)
        return declared if declared is not None else ConnectorManifest.of(self.get(platform))

    def create(self, context: ConnectorContext) -> object:
        """Build the connector for one account (``context.platform`` picks the plugin)."""
        return self.get(context.platform).create(context)
