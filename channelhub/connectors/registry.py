"""Connector registry: built-ins plus plugins from the entry-point group ``channelhub.connectors``.

Built-ins are listed here as lazy ``module:attribute`` strings so importing the registry does
not import every platform (and a platform still being written breaks only itself). Third
parties ship a connector as their own package by declaring an entry point in that group whose
object is a :class:`~channelhub.connectors.plugin.ConnectorPlugin` (or a zero-argument callable
returning one). Every failure names the plugin and says why.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from importlib.metadata import EntryPoint, entry_points

from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin
from channelhub.core.errors import ConfigError, NotFound

ENTRY_POINT_GROUP = "channelhub.connectors"

#: Platform name → "module:attribute" of its ConnectorPlugin. Append one line per built-in.
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
    candidate = loaded
    if not isinstance(candidate, ConnectorPlugin) and callable(candidate):
        candidate = candidate()
    if not isinstance(candidate, ConnectorPlugin):
        raise PluginLoadError(
            f"connector plugin {name!r} ({origin}) is a {type(candidate).__name__}, "
            "not a ConnectorPlugin"
        )
    if candidate.platform != name:
        raise PluginLoadError(
            f"connector plugin {name!r} ({origin}) declares platform {candidate.platform!r}"
        )
    return candidate


class ConnectorRegistry:
    """Platform name → ConnectorPlugin, loaded on first use and cached per instance."""

    def __init__(
        self,
        builtins: Mapping[str, str] | None = None,
        discover: Callable[[], Iterable[EntryPoint]] | None = None,
    ) -> None:
        self._builtins = dict(BUILTIN_CONNECTORS if builtins is None else builtins)
        self._discover = discover or (lambda: entry_points(group=ENTRY_POINT_GROUP))
        self._entry_points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, ConnectorPlugin] = {}

    def _plugins(self) -> dict[str, EntryPoint]:
        if self._entry_points is None:
            found: dict[str, EntryPoint] = {}
            for ep in self._discover():
                other = found.get(ep.name)
                if other is not None and other.value != ep.value:
                    raise PluginLoadError(
                        f"two connector plugins claim platform {ep.name!r}: "
                        f"{other.value} and {ep.value}"
                    )
                found[ep.name] = ep
            self._entry_points = found
        return self._entry_points

    def names(self) -> list[str]:
        """Every platform known, built-in or plugin, sorted."""
        return sorted(set(self._builtins) | set(self._plugins()))

    def get(self, platform: str) -> ConnectorPlugin:
        """The plugin for ``platform``; NotFound lists the known ones."""
        if platform in self._loaded:
            return self._loaded[platform]
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
        load: Callable[[], object]
        if builtin is not None:
            origin, load = builtin, lambda: _import_target(builtin)
        else:
            assert plugin_ep is not None
            origin, load = f"entry point {plugin_ep.value}", plugin_ep.load
        try:
            loaded = load()
        except Exception as exc:  # a plugin may fail in any way; name it and keep the cause
            raise PluginLoadError(
                f"connector plugin {platform!r} ({origin}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        plugin = _as_plugin(platform, origin, loaded)
        self._loaded[platform] = plugin
        return plugin

    def create(self, context: ConnectorContext) -> object:
        """Build the connector for one account (``context.platform`` picks the plugin)."""
        return self.get(context.platform).create(context)
