"""What a connector declares about itself, readable without importing the connector.

``channelhub jobs list``, ``accounts list``, ``finance pull`` and the scheduler's plan only ask
which roles and capabilities a platform has. Importing a connector for that costs its whole
stack (HTTP client, mappings, GraphQL, crypto: most of a command's time), so each built-in is
also described here in one line, and a plugin may declare the same in the entry-point group
``channelhub.connector_manifests`` (:data:`MANIFEST_ENTRY_POINT_GROUP`), pointing at a
:class:`ConnectorManifest` in a module that imports nothing heavy. A plugin without one is
imported to be asked. The registry (:mod:`channelhub.connectors.registry`) refuses a connector
whose loaded plugin disagrees with its manifest, so this table cannot silently drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

#: Entry-point group of plugins' light manifests (the name is the platform).
MANIFEST_ENTRY_POINT_GROUP = "channelhub.connector_manifests"


class Role(StrEnum):
    SALES_CHANNEL = "sales_channel"
    WAREHOUSE = "warehouse"
    CARRIER = "carrier"


class Capability(StrEnum):
    """What a connector instance can do; jobs check these before calling."""

    # sales channel
    PULL_ORDERS = "pull_orders"
    GET_ORDER = "get_order"
    PULL_LISTINGS = "pull_listings"
    PUSH_QUANTITIES = "push_quantities"
    PUSH_FULFILMENT = "push_fulfilment"
    PARTIAL_FULFILMENT = "partial_fulfilment"  # several packages / part of the lines
    READ_FULFILMENTS = "read_fulfilments"
    #: an order read (import page, read-back by id) carries the order's fulfilments
    #: (``ShowsFulfilments.fulfilments_shown``): a push is confirmed by the next read of its
    #: order, where the job would spend a call reading it back at once
    FULFILMENTS_IN_ORDERS = "fulfilments_in_orders"
    VERIFY_WEBHOOK = "verify_webhook"
    # warehouse
    CREATE_OUTBOUND = "create_outbound"
    CANCEL_OUTBOUND = "cancel_outbound"
    INTERCEPT_OUTBOUND = "intercept_outbound"  # stop after acceptance, before shipping
    OUTBOUND_STATUS = "outbound_status"
    STOCK_LEVELS = "stock_levels"
    #: create_outbound dedupes on the idempotency key; without it the sender reads back first
    IDEMPOTENT_OUTBOUND = "idempotent_outbound"
    #: hold_outbound / release_outbound: an accepted order waits at the warehouse, unshipped
    HOLD_OUTBOUND = "hold_outbound"
    #: get_stock_levels(cursor=...) lists only the levels changed since the cursor, and its
    #: last page's cursor is the next read's (a pull then adjusts only the SKUs listed)
    STOCK_CHANGES = "stock_changes"
    #: the warehouse reports shipments only when asked (no callbacks): the poll_outbound job
    #: reads its live orders (get_outbound) and, with ``package_tracking``, their packages
    POLLED_OUTBOUND = "polled_outbound"
    #: the connector reads the money its provider moved (``FinanceReader.pull_money``):
    #: fees, refunds, reserves, payouts or invoices, for the money ledger
    READ_MONEY = "read_money"
    # carrier
    RATE_QUOTE = "rate_quote"
    CREATE_LABEL = "create_label"
    TRACK = "track"


class Declared(Protocol):
    """What the jobs read of a platform: a :class:`ConnectorManifest` or a loaded plugin."""

    @property
    def platform(self) -> str: ...

    @property
    def roles(self) -> frozenset[Role]: ...

    @property
    def capabilities(self) -> frozenset[Capability]: ...


@dataclass(frozen=True)
class ConnectorManifest:
    """A platform's roles and capabilities (the most an account can have), as its
    :class:`~channelhub.connectors.plugin.ConnectorPlugin` declares them."""

    platform: str
    roles: frozenset[Role]
    capabilities: frozenset[Capability] = frozenset()

    @classmethod
    def of(cls, plugin: Declared) -> ConnectorManifest:
        """The manifest a loaded plugin amounts to."""
        return cls(plugin.platform, frozenset(plugin.roles), frozenset(plugin.capabilities))


C = Capability
_CHANNEL = frozenset({Role.SALES_CHANNEL})
_WAREHOUSE = frozenset({Role.WAREHOUSE})
_CARRIER = frozenset({Role.CARRIER})
#: What every built-in channel does: orders, listings, the stock push and fulfilment.
_SELLS = frozenset(
    {C.PULL_ORDERS, C.GET_ORDER, C.PULL_LISTINGS, C.PUSH_QUANTITIES, C.PUSH_FULFILMENT}
)
#: What every built-in warehouse does: outbound orders, their status, stock levels.
_SHIPS = frozenset({C.CREATE_OUTBOUND, C.CANCEL_OUTBOUND, C.OUTBOUND_STATUS, C.STOCK_LEVELS})
#: An overseas warehouse that stops an accepted order and is polled for its progress.
_POLLED = _SHIPS | {C.INTERCEPT_OUTBOUND, C.POLLED_OUTBOUND}


def _manifests(*manifests: ConnectorManifest) -> dict[str, ConnectorManifest]:
    return {m.platform: m for m in manifests}


#: Every built-in's manifest, one per entry of ``BUILTIN_CONNECTORS``: the same roles and
#: capabilities as its PLUGIN (the registry refuses to load one that differs).
BUILTIN_MANIFESTS: dict[str, ConnectorManifest] = _manifests(
    ConnectorManifest(
        "amazon",
        _CHANNEL,
        _SELLS | {C.PARTIAL_FULFILMENT, C.READ_FULFILMENTS, C.FULFILMENTS_IN_ORDERS, C.READ_MONEY},
    ),
    ConnectorManifest(
        "ebay",
        _CHANNEL,
        _SELLS | {C.PARTIAL_FULFILMENT, C.READ_FULFILMENTS, C.READ_MONEY, C.VERIFY_WEBHOOK},
    ),
    ConnectorManifest(
        "shopify",
        _CHANNEL,
        _SELLS | {C.PARTIAL_FULFILMENT, C.READ_FULFILMENTS, C.READ_MONEY, C.VERIFY_WEBHOOK},
    ),
    ConnectorManifest("temu", _CHANNEL, _SELLS | {C.PARTIAL_FULFILMENT}),
    ConnectorManifest(
        "walmart",
        _CHANNEL,
        _SELLS | {C.PARTIAL_FULFILMENT, C.READ_FULFILMENTS, C.VERIFY_WEBHOOK},
    ),
    ConnectorManifest("wish", _CHANNEL, _SELLS | {C.READ_FULFILMENTS}),
    ConnectorManifest("shipbob", _WAREHOUSE, _SHIPS | {C.VERIFY_WEBHOOK, C.READ_MONEY}),
    ConnectorManifest("outbound_protocol", _WAREHOUSE, _SHIPS | {C.INTERCEPT_OUTBOUND}),
    ConnectorManifest(
        "amazon_mcf",
        _WAREHOUSE,
        _SHIPS | {C.STOCK_CHANGES, C.HOLD_OUTBOUND, C.POLLED_OUTBOUND},
    ),
    ConnectorManifest("goodcang", _WAREHOUSE, _POLLED),
    ConnectorManifest("winit", _WAREHOUSE, _POLLED),
    ConnectorManifest("fourpx", _WAREHOUSE, _POLLED),
    ConnectorManifest("ups", _CARRIER, frozenset({C.TRACK})),
    ConnectorManifest("easypost", _CARRIER, frozenset({C.TRACK, C.VERIFY_WEBHOOK})),
)
