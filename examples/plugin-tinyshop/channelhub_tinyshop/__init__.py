"""The Tinyshop connector plugin: the object the ``channelhub.connectors`` entry point names."""

from __future__ import annotations

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.roles import Role
from channelhub.connectors.spec import PlatformSpec, field
from channelhub_tinyshop.connector import CAPABILITIES, DEFAULT_BASE_URL, TinyshopConnector

PLUGIN = ConnectorPlugin(
    platform="tinyshop",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=TinyshopConnector,
    capabilities=CAPABILITIES,
    default_base_url=DEFAULT_BASE_URL,
    description="Tinyshop (example plugin)",
    spec=PlatformSpec(
        credentials=(
            field("api_key", "the shop's API key (Settings > API)", required=True),
            field("webhook_secret", "the secret webhooks are signed with"),
        ),
        settings=(field("currency", "the shop's currency", default="USD"),),
    ),
)

__all__ = ["PLUGIN", "TinyshopConnector"]
