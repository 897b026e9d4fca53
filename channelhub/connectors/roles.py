"""The three connector roles as ``typing.Protocol``s, with declared capabilities.

A connector is one account's adapter to one platform. It declares what it can do in
``capabilities`` so jobs ask instead of guessing (an FBA-only account cannot push
fulfilments; a channel without a read-back cannot be reconciled that way) and raise a clear
error when a seller configures a job the platform cannot run.

Connectors speak canonical models (``channelhub.core.models``) and the values in
``channelhub.connectors.results``; wire formats stay inside the connector and its mapping.
Pulls are async iterators of pages so the caller commits data and cursor after each page.
:class:`Role` and :class:`Capability` are declared in :mod:`channelhub.connectors.manifest`
(where a platform's manifest names them without these interfaces) and re-exported here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

from channelhub.connectors.errors import CapabilityMissing
from channelhub.connectors.manifest import Capability as Capability
from channelhub.connectors.manifest import Role as Role
from channelhub.connectors.results import (
    CancelResult,
    ChannelFulfilment,
    Fetched,
    FulfilmentPush,
    Label,
    LabelRequest,
    OutboundReceipt,
    OutboundStatus,
    PackagePushResult,
    PageOf,
    QuantityPushResult,
    QuantityUpdate,
    RateQuote,
    RateRequest,
    RawRecord,
    StockLevel,
    WebhookEvent,
)
from channelhub.core.fulfilment import OutboundState
from channelhub.core.models import Listing, Order, OutboundOrder, TrackingEvent


class Connector(Protocol):
    """What every role shares: identity, capabilities and the account's HTTP client life."""

    platform: str
    account: str
    capabilities: frozenset[Capability]

    async def aclose(self) -> None:
        """Close the account's HTTP client."""
        ...


@runtime_checkable
class SalesChannel(Connector, Protocol):
    """A marketplace or shop: orders in, quantities and fulfilments out."""

    def pull_orders(
        self, cursor: str | None = None, *, since: datetime | None = None
    ) -> AsyncIterator[PageOf[Order]]:
        """Orders created or updated since the cursor (or ``since`` on a first run), page by
        page, oldest change first. Resume by passing back the last page's ``cursor``."""
        ...

    async def get_order(self, external_id: str) -> Fetched[Order]:
        """One order by its channel id (backfill, webhook follow-up, reconciliation)."""
        ...

    def pull_listings(self, cursor: str | None = None) -> AsyncIterator[PageOf[Listing]]:
        """Every listing of the account, page by page."""
        ...

    async def push_quantities(self, updates: Sequence[QuantityUpdate]) -> list[QuantityPushResult]:
        """Set sellable quantities. Batches to the platform's limit internally; returns one
        result per update, in the same order; a refused item never fails the others."""
        ...

    async def push_fulfilment(self, push: FulfilmentPush) -> list[PackagePushResult]:
        """Report shipped packages (carrier + tracking). Reads existing fulfilments first when
        the platform has no idempotency key, so a retry does not duplicate. One result per
        package."""
        ...

    async def get_fulfilments(self, order_external_id: str) -> list[ChannelFulfilment]:
        """The fulfilments the channel holds for an order (read-back)."""
        ...

    def verify_webhook(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> WebhookEvent:
        """Check a webhook's signature (constant-time) and replay window; raise
        :class:`~channelhub.connectors.errors.WebhookRejected` when it fails."""
        ...


@runtime_checkable
class ShowsFulfilments(Protocol):
    """A sales channel whose order reads carry each order's fulfilments
    (``Capability.FULFILMENTS_IN_ORDERS``): the push job then leaves a push's confirmation to
    the next read of its order (:mod:`channelhub.jobs.fulfilment.confirmations`)."""

    def fulfilments_shown(self, raw: RawRecord) -> list[ChannelFulfilment] | None:
        """The fulfilments an order's raw body (a page's or a read-back's) shows; None when
        ``raw`` is not an order body this connector reads fulfilments from. Pure: no I/O."""
        ...


@runtime_checkable
class Warehouse(Connector, Protocol):
    """A WMS: outbound orders in, shipments and stock out."""

    async def create_outbound(self, order: OutboundOrder) -> OutboundReceipt:
        """Create the outbound order, idempotent on ``order.idempotency_key``: a repeat returns
        the existing one with ``created=False``."""
        ...

    async def cancel_outbound(self, idempotency_key: str, *, reason: str) -> CancelResult:
        """Cancel, or intercept if already accepted; the result says whether it stopped."""
        ...

    async def get_outbound(self, idempotency_key: str) -> OutboundStatus:
        """State and shipments of one outbound order."""
        ...

    def get_stock_levels(
        self, skus: Sequence[str] | None = None, cursor: str | None = None
    ) -> AsyncIterator[PageOf[StockLevel]]:
        """Stock per SKU and warehouse (all SKUs when ``skus`` is None), page by page."""
        ...


@runtime_checkable
class HoldingWarehouse(Warehouse, Protocol):
    """A warehouse that can hold an accepted order and release it (``HOLD_OUTBOUND``)."""

    async def hold_outbound(self, idempotency_key: str, *, reason: str) -> OutboundState:
        """Put the order on hold at the warehouse; the answer is where it is now (a hold
        asked too late answers the shipping state)."""
        ...

    async def release_outbound(self, idempotency_key: str) -> OutboundState:
        """Release the hold: the warehouse ships the order."""
        ...


@runtime_checkable
class Carrier(Connector, Protocol):
    """A carrier or shipping API: quotes, labels, tracking."""

    async def quote(self, request: RateRequest) -> list[RateQuote]:
        """Prices per service for the parcels."""
        ...

    async def create_label(self, request: LabelRequest) -> Label:
        """Buy a label; ``request.reference`` makes a retry find the first label."""
        ...

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Tracking events, normalised, each with the carrier's raw code."""
        ...


def require(connector: Connector, *needed: Capability) -> None:
    """Raise :class:`~channelhub.connectors.errors.CapabilityMissing` unless all are declared."""
    missing = [c for c in needed if c not in connector.capabilities]
    if missing:
        raise CapabilityMissing(
            f"{connector.platform} account {connector.account!r} cannot "
            + ", ".join(c.value for c in missing)
        )
