"""A third-party connector as a plugin package would ship it (used by the registry tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime

from channelhub.connectors.plugin import ConnectorContext, ConnectorPlugin
from channelhub.connectors.results import (
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    WebhookEvent,
)
from channelhub.connectors.roles import Capability, Role
from channelhub.core.models import Listing, Order


class AcmeChannel:
    """Implements SalesChannel structurally; only pushes quantities."""

    capabilities = frozenset({Capability.PUSH_QUANTITIES})

    def __init__(self, context: ConnectorContext) -> None:
        self.platform = context.platform
        self.account = context.account

    async def aclose(self) -> None:
        return None

    async def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        yield PageOf(items=(), raw=(), cursor=cursor, done=True)

    async def get_order(self, external_id: str) -> Fetched[Order]:
        raise NotImplementedError

    async def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        yield PageOf(items=(), raw=(), cursor=None, done=True)

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        return [QuantityPushResult(u.listing, u.quantity, accepted=True) for u in updates]

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        raise NotImplementedError

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        return []

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        raise NotImplementedError


PLUGIN = ConnectorPlugin(
    platform="acme",
    roles=frozenset({Role.SALES_CHANNEL}),
    create=AcmeChannel,
    capabilities=AcmeChannel.capabilities,
)

NOT_A_PLUGIN = {"platform": "acme"}


def make_plugin() -> ConnectorPlugin:
    return PLUGIN
