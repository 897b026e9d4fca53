"""Values the connector roles return: pages with their raw payloads, per-item push results.

Pure values (frozen dataclasses over canonical models). They live beside the roles rather
than in ``core`` because they describe a conversation with a platform (raw bodies, resume
cursors, which item of a batch the platform refused), not the domain.

A page keeps every record's raw body — including the ones that failed to map — so nothing
the platform sent is ever lost and a fixed mapping can replay it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from channelhub.core.models import (
    Address,
    ListingKey,
    Money,
    OutboundState,
    Package,
    PackageLine,
    Shipment,
    TrackingEvent,
)

T = TypeVar("T")


@dataclass(frozen=True)
class RawRecord:
    """One record exactly as the platform sent it (to archive in ``raw_payloads``)."""

    kind: str  # "order", "listing", "shipment", "stock", "webhook", …
    external_id: str | None
    body: bytes
    received_at: datetime


@dataclass(frozen=True)
class RecordFailure:
    """A record the mapping refused: the raw body is kept so it can be replayed once fixed."""

    raw: RawRecord
    reason: str  # one sentence naming the field and value at fault
    #: what the mapping was told besides the body and the account (Temu's currency, the
    #: listings marketplace, ...), so a replay maps the body the same way
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PageOf(Generic[T]):
    """One page of a pull. Persist ``cursor`` with the page's data in one transaction.

    ``cursor`` is opaque (the connector encodes its window and page token in it); passing it
    back resumes right after this page. ``done`` is True on the last page of the run: the
    cursor then is the watermark the next incremental run starts from.
    """

    items: tuple[T, ...]
    raw: tuple[RawRecord, ...]
    cursor: str | None
    done: bool
    failures: tuple[RecordFailure, ...] = ()
    #: for each item, the index in ``raw`` of the body it was mapped from (empty: unknown, the
    #: store then matches bodies by external id)
    origins: tuple[int, ...] = ()
    #: for each raw body, what its mapping was told (see ``RecordFailure.context``)
    contexts: tuple[Mapping[str, Any], ...] = ()

    def context_of(self, raw_index: int) -> Mapping[str, Any]:
        return self.contexts[raw_index] if raw_index < len(self.contexts) else {}

    def origin(self, index: int) -> int | None:
        """The index in ``raw`` of the body item ``index`` was mapped from, when known."""
        return self.origins[index] if index < len(self.origins) else None


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """One record fetched by id (backfill), with its raw body."""

    item: T
    raw: RawRecord


# --- sales channel -------------------------------------------------------------------------


@dataclass(frozen=True)
class QuantityUpdate:
    """Set one listing's sellable quantity on its channel.

    ``expected_previous`` is the value we last pushed, for compare-and-set channels (Shopify
    ``compareQuantity``); ``inventory_ref`` is the channel handle when it differs from the
    listing id (Shopify inventory item, Amazon seller SKU).
    """

    listing: ListingKey
    quantity: int
    channel_sku: str | None = None
    inventory_ref: str | None = None
    expected_previous: int | None = None
    location: str | None = None  # channel location (Shopify location id, Amazon marketplace)


@dataclass(frozen=True)
class QuantityPushResult:
    """What the channel said about one item of a quantity push."""

    listing: ListingKey
    quantity: int
    accepted: bool
    reason: str | None = None  # the platform's words when refused
    retryable: bool = False  # refused for now (throttled, stale compare value) vs for good
    submission_id: str | None = None  # feed / batch id, when the channel processes later


@dataclass(frozen=True)
class FulfilmentPush:
    """Tell a channel that (part of) an order shipped: one entry per package."""

    order_external_id: str
    packages: tuple[Package, ...]
    shipped_at: datetime
    notify_buyer: bool = True
    #: the order's parent on the channel, for a channel that addresses an order through it
    #: (Temu ships a child order of a parent order)
    parent_external_id: str | None = None


@dataclass(frozen=True)
class PackagePushResult:
    """What the channel said about one package of a fulfilment push."""

    tracking_number: str
    accepted: bool
    fulfilment_id: str | None = None
    already_present: bool = False  # the channel already had this tracking number (a retry)
    reason: str | None = None
    #: the answer is the channel's own record of this tracking number under
    #: ``fulfilment_id`` (found by reading its fulfilments, or the created fulfilment it
    #: echoed back): what a read-back would show, so the push job does not read it again
    recorded: bool = False


@dataclass(frozen=True)
class ChannelFulfilment:
    """A fulfilment as the channel records it (to check before re-pushing and to reconcile)."""

    fulfilment_id: str
    tracking_number: str | None
    carrier: str | None
    lines: tuple[PackageLine, ...] = ()
    created_at: datetime | None = None
    #: lines the channel reported that hold no whole positive quantity (the spec allows 0):
    #: left out of ``lines``, each with why, so the fulfilment itself still counts
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: ``event_id`` is what deliveries are deduplicated on."""

    event_id: str
    topic: str
    occurred_at: datetime | None
    payload: Mapping[str, Any]
    raw: RawRecord


# --- warehouse -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboundReceipt:
    """The warehouse's answer to create-outbound. ``created`` is False when it already existed
    under the same idempotency key (the call is safe to repeat)."""

    idempotency_key: str
    warehouse_order_id: str
    state: OutboundState
    created: bool


@dataclass(frozen=True)
class CancelResult:
    """Outcome of cancel / intercept: ``state`` tells whether it stopped in time."""

    idempotency_key: str
    state: OutboundState  # CANCELLED, CANCEL_REQUESTED or CANCEL_TOO_LATE
    reason: str | None = None


@dataclass(frozen=True)
class OutboundStatus:
    """Where an outbound order is, with every shipment made for it so far."""

    idempotency_key: str
    warehouse_order_id: str | None
    state: OutboundState
    shipments: tuple[Shipment, ...]
    raw: RawRecord
    #: shipments the mapping could not read, each with its body and the error: the status
    #: (id and state) still holds. A reader that applies shipments files these as dead
    #: letters (``SetAside.failures``); the read-back before a repeated create uses only the
    #: id and state, and shipments reach the hub by the warehouse's shipped callback.
    failures: tuple[RecordFailure, ...] = ()
    #: what a person must look at, in the warehouse's words (lines it cannot fulfil, an order
    #: it shipped only in part); None when nothing
    problem: str | None = None
    #: the warehouse will change nothing more about this order
    final: bool = False


@dataclass(frozen=True)
class StockLevel:
    """A warehouse's count for one SKU (base units) at ``as_of``."""

    warehouse: str
    sku: str
    on_hand: int
    available: int
    reserved: int = 0
    inbound: int = 0
    as_of: datetime | None = None


# --- carrier -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parcel:
    """A box to ship: grams and millimetres."""

    weight_grams: int
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None


@dataclass(frozen=True)
class RateRequest:
    ship_from: Address
    ship_to: Address
    parcels: tuple[Parcel, ...]
    declared_value: Money | None = None
    service: str | None = None  # ask for one service only


@dataclass(frozen=True)
class RateQuote:
    carrier: str
    service: str
    amount: Money
    estimated_days: int | None = None
    quote_id: str | None = None


@dataclass(frozen=True)
class LabelRequest:
    reference: str  # our idempotency key / outbound key, printed on the label
    ship_from: Address
    ship_to: Address
    parcels: tuple[Parcel, ...]
    service: str
    quote_id: str | None = None


@dataclass(frozen=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    label_format: str  # "PDF", "ZPL", "PNG"
    label: bytes = field(repr=False)
    cost: Money | None = None
    shipment_id: str | None = None


class Tracked(list[TrackingEvent]):
    """A carrier's events for one tracking number, read scan by scan: ``failures`` holds the
    scans the mapping could not read (each with its body and the error), which the polling
    job files as dead letters. A list, so a caller that wants only the events is unchanged."""

    def __init__(
        self, events: Iterable[TrackingEvent] = (), failures: Iterable[RecordFailure] = ()
    ) -> None:
        super().__init__(events)
        self.failures: tuple[RecordFailure, ...] = tuple(failures)


__all__ = [
    "CancelResult",
    "ChannelFulfilment",
    "Fetched",
    "FulfilmentPush",
    "Label",
    "LabelRequest",
    "OutboundReceipt",
    "OutboundStatus",
    "PackagePushResult",
    "PageOf",
    "Parcel",
    "QuantityPushResult",
    "QuantityUpdate",
    "RateQuote",
    "RateRequest",
    "RawRecord",
    "RecordFailure",
    "StockLevel",
    "Tracked",
    "WebhookEvent",
]
