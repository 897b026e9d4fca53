"""Reconciliation (对账): compare what the channels, the hub and the warehouses say, and classify.

Three pure comparisons, each a merge join over streams sorted by key, so a million orders
pass in constant memory and nothing is loaded twice:

- :func:`reconcile_orders` — the channel's orders against the hub's: missing orders, status
  disagreements (cancelled on one side only), confirmed shipments the channel never got and
  tracking numbers that differ;
- :func:`reconcile_stock` — a warehouse's counts against the ledger per (warehouse, sku),
  with units in flight (shipped by the warehouse, not yet confirmed to the hub) explaining a
  ledger that is higher;
- :func:`reconcile_listings` — the channel's quantity against the last value the hub pushed
  (someone edited it on the channel by hand).

Each yields :class:`~channelhub.core.discrepancy.Discrepancy` values lazily; agreeing input
yields nothing. The caller gathers the views (I/O) and applies the safe repairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from channelhub.core.discrepancy import (
    Discrepancy,
    DiscrepancyClass,
    Joined,
    Repair,
    RepairKind,
    merge_join,
)
from channelhub.core.lifecycle import OPEN_STATUSES, HubStatus
from channelhub.core.order import ChannelOrderState, Order

C = DiscrepancyClass
CS = ChannelOrderState

#: Channel states in which the buyer still expects the order (or already has it).
ACTIVE_ON_CHANNEL: frozenset[ChannelOrderState] = frozenset(
    {CS.PENDING, CS.UNSHIPPED, CS.PARTIALLY_SHIPPED, CS.SHIPPED, CS.DELIVERED}
)
#: Channel states that mean the channel has not been told of any shipment yet.
NOT_SHIPPED_ON_CHANNEL: frozenset[ChannelOrderState] = frozenset({CS.PENDING, CS.UNSHIPPED})
#: Hub statuses in which goods have left (or may have left) the warehouse.
SHIPPED_IN_HUB: frozenset[HubStatus] = frozenset(
    {HubStatus.PARTIALLY_SHIPPED, HubStatus.SHIPPED, HubStatus.DELIVERED}
)


# --- the views each side is reduced to -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelOrderView:
    """What the channel says about one order. ``tracking_numbers`` is None when the channel's
    fulfilments were not read (then only the order's state tells whether it shipped).
    ``no_line_open`` is True when the channel cancelled every line while leaving the order
    itself open (a Shopify order edited down to nothing): the hub cancels such an order too,
    and the buyer expects nothing."""

    external_id: str
    state: ChannelOrderState
    tracking_numbers: frozenset[str] | None = None
    no_line_open: bool = False

    @classmethod
    def of(cls, order: Order, tracking_numbers: Iterable[str] | None = None) -> ChannelOrderView:
        numbers = None if tracking_numbers is None else frozenset(tracking_numbers)
        return cls(order.external_id, order.channel_state, numbers, every_line_cancelled(order))


def every_line_cancelled(order: Order) -> bool:
    """The channel cancelled every unit of every line (the rule by which the hub's order flow
    cancels an order with no line open)."""
    return bool(order.lines) and all(
        line.cancelled_quantity >= line.quantity for line in order.lines
    )


@dataclass(frozen=True, slots=True)
class HubOrderView:
    """What the hub holds for one order: its status and the tracking numbers of the
    shipments its warehouses confirmed."""

    external_id: str
    status: HubStatus
    shipped_tracking: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class StockCount:
    """A quantity of one SKU in one warehouse (on hand, or units in flight)."""

    warehouse: str
    sku: str
    quantity: int

    @property
    def key(self) -> tuple[str, str]:
        return (self.warehouse, self.sku)


@dataclass(frozen=True, slots=True)
class ListingQuantity:
    """A listing's quantity within one account; ``variation_id`` is ``""`` when it has none."""

    listing_id: str
    quantity: int
    variation_id: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.listing_id, self.variation_id)


# --- orders --------------------------------------------------------------------------------


def reconcile_orders(
    channel_orders: Iterable[ChannelOrderView], hub_orders: Iterable[HubOrderView]
) -> Iterator[Discrepancy]:
    """Discrepancies between one account's channel orders and the hub's, both sorted by
    external id. Hub orders the channel did not list (outside the pulled window) are skipped."""
    joined: Iterator[Joined[str, ChannelOrderView, HubOrderView]] = merge_join(
        channel_orders,
        hub_orders,
        left_key=_external_id,
        right_key=_hub_external_id,
        names=("channel order", "hub order"),
    )
    for row in joined:
        if row.left is None:
            continue
        if row.right is None:
            yield _missing_in_hub(row.left)
            continue
        yield from _compare_order(row.left, row.right)


def _external_id(view: ChannelOrderView) -> str:
    return view.external_id


def _hub_external_id(view: HubOrderView) -> str:
    return view.external_id


def _missing_in_hub(channel: ChannelOrderView) -> Discrepancy:
    return Discrepancy(
        C.ORDER_MISSING_IN_HUB,
        {"order": channel.external_id},
        None,
        channel.state.value,
        f"order {channel.external_id} is {channel.state.value} on the channel but was never "
        "imported into the hub",
        Repair(RepairKind.BACKFILL_ORDER, True, {"external_id": channel.external_id}),
    )


def _compare_order(channel: ChannelOrderView, hub: HubOrderView) -> Iterator[Discrepancy]:
    if channel.state is CS.CANCELLED and hub.status is not HubStatus.CANCELLED:
        yield _cancelled_on_channel(channel, hub)
        return
    if (
        hub.status is HubStatus.CANCELLED
        and channel.state in ACTIVE_ON_CHANNEL
        and not channel.no_line_open
    ):
        yield Discrepancy(
            C.CANCELLED_IN_HUB,
            {"order": hub.external_id},
            hub.status.value,
            channel.state.value,
            f"order {hub.external_id} is cancelled in the hub but {channel.state.value} on the "
            "channel: the buyer still expects it; explain or ship it",
            Repair(RepairKind.REVIEW, False, {"external_id": hub.external_id}),
        )
        return
    if hub.shipped_tracking:
        found = _compare_tracking(channel, hub)
        if found is not None:
            yield found


def _cancelled_on_channel(channel: ChannelOrderView, hub: HubOrderView) -> Discrepancy:
    status = hub.status
    params = {"external_id": hub.external_id}
    if status in OPEN_STATUSES:
        repair = Repair(RepairKind.CANCEL_ORDER, True, params)
        why = "nothing has gone to a warehouse yet, so the hub can cancel it"
    elif status is HubStatus.DISPATCHED:
        repair = Repair(RepairKind.INTERCEPT_OUTBOUND, False, params)
        why = "it is already at the warehouse: intercept it before it ships"
    elif status in SHIPPED_IN_HUB:
        repair = Repair(RepairKind.REVIEW, False, params)
        why = "it shipped before the cancellation: arrange a return or a refund"
    else:
        repair = Repair(RepairKind.CANCEL_ORDER, False, params)
        why = f"it is in {status.value}: check it before cancelling"
    return Discrepancy(
        C.CANCELLED_ON_CHANNEL,
        {"order": hub.external_id},
        status.value,
        channel.state.value,
        f"order {hub.external_id} was cancelled on the channel but is {status.value} in the "
        f"hub; {why}",
        repair,
    )


def _compare_tracking(channel: ChannelOrderView, hub: HubOrderView) -> Discrepancy | None:
    shipped = hub.shipped_tracking
    subject = {"order": hub.external_id}
    if channel.tracking_numbers is None:
        if channel.state not in NOT_SHIPPED_ON_CHANNEL:
            return None
        missing = shipped
        on_channel: tuple[str, ...] = ()
    else:
        extra = channel.tracking_numbers - shipped
        on_channel = tuple(sorted(channel.tracking_numbers))
        if extra:
            return Discrepancy(
                C.TRACKING_MISMATCH,
                subject,
                tuple(sorted(shipped)),
                on_channel,
                f"order {hub.external_id} carries tracking {', '.join(sorted(extra))} on the "
                "channel that no confirmed shipment in the hub has; correct it on the channel",
                Repair(RepairKind.REVIEW, False, {"external_id": hub.external_id}),
            )
        missing = shipped - channel.tracking_numbers
        if not missing:
            return None
    numbers = tuple(sorted(missing))
    return Discrepancy(
        C.SHIPMENT_NOT_ON_CHANNEL,
        subject,
        tuple(sorted(shipped)),
        on_channel if channel.tracking_numbers is not None else channel.state.value,
        f"order {hub.external_id} shipped with {', '.join(numbers)} but the channel was never "
        "told; push the fulfilment again",
        Repair(
            RepairKind.PUSH_FULFILMENT,
            True,
            {"external_id": hub.external_id, "tracking_numbers": numbers},
        ),
    )


# --- stock ---------------------------------------------------------------------------------


def _stock_key(count: StockCount) -> tuple[str, str]:
    return (count.warehouse, count.sku)


def _joined_key(row: Joined[tuple[str, str], StockCount, StockCount]) -> tuple[str, str]:
    return row.key


def reconcile_stock(
    warehouse_levels: Iterable[StockCount],
    ledger_balances: Iterable[StockCount],
    in_flight: Iterable[StockCount] = (),
    *,
    tolerance: int | None = None,
) -> Iterator[Discrepancy]:
    """Warehouse on-hand counts against the ledger's, per (warehouse, sku), all three streams
    sorted by (warehouse, sku). A key missing on one side counts as 0 there.

    ``in_flight`` is what the warehouse may already have shipped without the hub knowing
    (outbound orders accepted but not confirmed): a ledger higher by at most that much is
    explained and needs no repair. An adjustment is safe only when ``tolerance`` is set and
    the difference is within it; otherwise it is proposed for a person to check.
    """
    counts = merge_join(
        warehouse_levels,
        ledger_balances,
        left_key=_stock_key,
        right_key=_stock_key,
        names=("warehouse level", "ledger balance"),
    )
    with_flight = merge_join(
        counts, in_flight, left_key=_joined_key, right_key=_stock_key, names=("stock", "in flight")
    )
    for row in with_flight:
        if row.left is None:
            continue  # in flight only: neither side holds any
        warehouse = row.left.left.quantity if row.left.left else 0
        ledger = row.left.right.quantity if row.left.right else 0
        flight = row.right.quantity if row.right else 0
        found = _compare_stock(row.key, warehouse, ledger, flight, tolerance)
        if found is not None:
            yield found


def _compare_stock(
    key: tuple[str, str], warehouse: int, ledger: int, flight: int, tolerance: int | None
) -> Discrepancy | None:
    difference = warehouse - ledger
    if difference == 0:
        return None
    wh, sku = key
    subject = {"warehouse": wh, "sku": sku}
    if difference < 0 and -difference <= flight:
        return Discrepancy(
            C.STOCK_IN_FLIGHT,
            subject,
            ledger,
            warehouse,
            f"{wh} counts {-difference} fewer {sku} than the ledger, explained by {flight} "
            "units shipped but not yet confirmed; they settle when the shipments arrive",
            Repair(RepairKind.NONE, False, {"in_flight": flight}),
        )
    adjustment = difference if difference > 0 else difference + flight
    safe = tolerance is not None and abs(adjustment) <= tolerance
    if difference > 0:
        klass = C.WAREHOUSE_HIGHER
        sentence = f"{wh} counts {difference} more {sku} than the ledger"
    else:
        klass = C.LEDGER_HIGHER
        unexplained = f" ({flight} of them in flight)" if flight else ""
        sentence = f"the ledger holds {-difference} more {sku} than {wh} counts{unexplained}"
    limit = (
        f"within the tolerance of {tolerance}"
        if safe
        else "beyond the tolerance"
        if tolerance is not None
        else "with no tolerance configured"
    )
    return Discrepancy(
        klass,
        subject,
        ledger,
        warehouse,
        f"{sentence}; an adjustment of {adjustment:+d} fixes it ({limit})",
        Repair(
            RepairKind.ADJUST_STOCK, safe, {"warehouse": wh, "sku": sku, "quantity": adjustment}
        ),
    )


# --- listings ------------------------------------------------------------------------------


def _listing_key(quantity: ListingQuantity) -> tuple[str, str]:
    return (quantity.listing_id, quantity.variation_id)


def reconcile_listings(
    channel_quantities: Iterable[ListingQuantity], last_pushed: Iterable[ListingQuantity]
) -> Iterator[Discrepancy]:
    """Channel quantities against the last value the hub pushed, both sorted by (listing id,
    variation id). Listings never pushed, or no longer on the channel, are not compared."""
    joined = merge_join(
        channel_quantities,
        last_pushed,
        left_key=_listing_key,
        right_key=_listing_key,
        names=("channel listing", "last pushed"),
    )
    for row in joined:
        if row.left is None or row.right is None or row.left.quantity == row.right.quantity:
            continue
        listing_id, variation_id = row.key
        shown = f"{listing_id}/{variation_id}" if variation_id else listing_id
        pushed = row.right.quantity
        yield Discrepancy(
            C.QUANTITY_EDITED_ON_CHANNEL,
            {"listing_id": listing_id, "variation_id": variation_id},
            pushed,
            row.left.quantity,
            f"listing {shown} shows {row.left.quantity} on the channel but the hub last pushed "
            f"{pushed}: it was edited on the channel; push {pushed} again",
            Repair(
                RepairKind.PUSH_QUANTITY,
                True,
                {"listing_id": listing_id, "variation_id": variation_id, "quantity": pushed},
            ),
        )
