"""What a warehouse or carrier connector tells the conformance suite.

A warehouse package declares one :class:`WarehouseHarness` subclass, a carrier one
:class:`CarrierHarness`, in the style of :class:`~channelhub.testing.harness.ChannelHarness`:
the harness knows its simulator (which SKUs it stocks, how to make it ship an order, what
its platform holds for a key) and the suite (:mod:`channelhub.testing.warehouse_checks`,
:mod:`channelhub.testing.carrier_checks`) checks what every such connector owes the hub.

Rigs must build their connectors with ``rig.transport`` (a :class:`LossyTransport` over the
simulator): the create and label checks lose answers after the platform acted through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from channelhub.connectors.results import LabelRequest, OutboundStatus, RateRequest
from channelhub.core.fulfilment import OutboundOrder, OutboundState, TrackingEvent, TrackingStatus
from channelhub.testing.base import Harness, Rig

__all__ = ["CarrierHarness", "WarehouseHarness"]


class WarehouseHarness(Harness):
    """Base of a warehouse's harness: override what your capabilities need.

    Required: :attr:`plugin`, :attr:`create_path`, :meth:`rig`, :meth:`outbound`,
    :meth:`orders_on_platform`. Then per capability: ``CREATE_OUTBOUND`` →
    :meth:`refused_outbound`; ``CANCEL_OUTBOUND`` / ``OUTBOUND_STATUS`` → :meth:`ship`;
    ``STOCK_LEVELS`` → :meth:`set_stock`, :meth:`unreadable_stock`, :attr:`stock_page_size`,
    :meth:`stock_calls`; verified callbacks → :meth:`webhook` (and :meth:`verify` when the
    connector's method is not ``verify_webhook``).
    """

    #: the path (prefix) of the create call: its answer is the one the checks lose
    create_path: ClassVar[str]
    #: the state a status read shows once :meth:`ship` has run
    shipped_state: ClassVar[OutboundState] = OutboundState.SHIPPED
    #: the status read lists the shipments with their packages (False: they only come by
    #: callback, as in the outbound protocol)
    status_has_shipments: ClassVar[bool] = True
    #: SKUs the stock checks seed, and how many one page of the connector's reads carries
    stock_count: ClassVar[int] = 30
    stock_page_size: ClassVar[int] = 10
    #: the faults of the stock fault run (share of requests; statuses drawn from these)
    error_rate: ClassVar[float] = 0.1
    timeout_rate: ClassVar[float] = 0.03
    fault_statuses: ClassVar[tuple[int, ...]] = (429, 500, 503)
    #: seconds to let pass before the next incremental stock read
    settle_seconds: ClassVar[float] = 900.0

    def rig(self, *, seed: int) -> Rig:
        """A simulator, and a connector factory wired to it through ``rig.transport``."""
        raise NotImplementedError

    def webhook_rig(self, seed: int) -> Rig:
        return self.rig(seed=seed)

    # --- outbound ----------------------------------------------------------------------------

    def outbound(self, rig: Rig, n: int) -> OutboundOrder:
        """An outbound order the warehouse accepts (SKUs it stocks), distinct per ``n``."""
        raise NotImplementedError

    def refused_outbound(self, rig: Rig) -> OutboundOrder:
        """An outbound order the warehouse refuses for its content (an unknown SKU, say)."""
        raise NotImplementedError

    def orders_on_platform(self, rig: Rig, idempotency_key: str) -> int:
        """How many orders the warehouse holds for the key (its deterministic reference)."""
        raise NotImplementedError

    async def ship(self, rig: Rig, idempotency_key: str) -> None:
        """Let the warehouse work the order until it shipped (too late to cancel)."""
        raise NotImplementedError

    async def tracking_events(
        self, rig: Rig, connector: Any, status: OutboundStatus
    ) -> list[TrackingEvent] | None:
        """The tracking events the connector reads for a shipped order's packages; None when
        the warehouse reports none (a carrier connector tracks them)."""
        return None

    # --- stock -------------------------------------------------------------------------------

    def set_stock(self, rig: Rig, levels: Mapping[str, int]) -> None:
        """The warehouse now holds ``levels`` available units (SKUs not named: untouched)."""
        raise NotImplementedError

    def unreadable_stock(self, rig: Rig, sku: str) -> None:
        """The warehouse now reports ``sku`` in a row the hub cannot read (a negative count,
        say); its other rows stay as they are."""
        raise NotImplementedError

    def stock_calls(self, rig: Rig) -> int:
        """Calls a stock read made (default: every journaled request)."""
        return len(rig.sim.journal.entries)

    def stock_call_budget(self, skus: int) -> int:
        """The most calls a clean read of ``skus`` SKUs may take."""
        return -(-skus // self.stock_page_size) + 1

    def throttled_calls(self, rig: Rig) -> int:
        """Requests the platform refused for its rate limit (default: answered 429)."""
        return sum(1 for entry in rig.sim.journal.entries if entry.status == 429)


class CarrierHarness(Harness):
    """Base of a carrier's harness: override what your capabilities need.

    Required: :attr:`plugin`, :meth:`rig`. Then per capability: ``TRACK`` →
    :meth:`tracking_number` (and :meth:`expected_statuses`); ``RATE_QUOTE`` →
    :meth:`rate_request`, :meth:`bad_rate_request`; ``CREATE_LABEL`` →
    :meth:`label_request`, :meth:`labels_on_platform`, :attr:`label_path`;
    ``VERIFY_WEBHOOK`` → :meth:`webhook`.
    """

    #: the path (prefix) of the label purchase: its answer is the one the label check loses
    label_path: ClassVar[str] = ""
    #: the platform finds an earlier label by the request's reference (False: a lost answer
    #: can buy a second label, and the check says so unless it is a known gap)
    label_idempotent: ClassVar[bool] = True
    fault_statuses: ClassVar[tuple[int, ...]] = (429, 503)

    def rig(self, *, seed: int) -> Rig:
        """A simulator, and a connector factory wired to it through ``rig.transport``."""
        raise NotImplementedError

    def webhook_rig(self, seed: int) -> Rig:
        return self.rig(seed=seed)

    # --- tracking ----------------------------------------------------------------------------

    def tracking_number(self, rig: Rig) -> str:
        """A number the simulator has scans for."""
        raise NotImplementedError

    def expected_statuses(self, rig: Rig, tracking_number: str) -> set[TrackingStatus]:
        """Canonical statuses the events of ``tracking_number`` must include."""
        return set()

    def unknown_tracking_number(self, rig: Rig) -> str | None:
        """A number the carrier does not know (answered with no events); None: the platform
        makes a tracker for any number."""
        return None

    # --- rates and labels --------------------------------------------------------------------

    def rate_request(self, rig: Rig) -> RateRequest:
        raise NotImplementedError

    def bad_rate_request(self, rig: Rig) -> RateRequest:
        """A request the carrier refuses (a destination it does not serve, say)."""
        raise NotImplementedError

    def label_request(self, rig: Rig, n: int) -> LabelRequest:
        """A label the carrier sells, distinct per ``n``."""
        raise NotImplementedError

    def labels_on_platform(self, rig: Rig, reference: str) -> int:
        """How many labels the carrier holds for the reference."""
        raise NotImplementedError
