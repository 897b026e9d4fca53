"""What a connector tells the conformance suite: how to build its simulator and connector,
seed orders, touch one, and read the platform's side back.

A connector package declares one :class:`ChannelHarness` subclass. The suite
(:mod:`channelhub.testing.checks`) asks it only for platform facts it cannot know (which
orders the simulator holds, how to sign a webhook, how many listings one call may carry) and
checks the behaviour every connector owes the hub the same way for all of them. Everything
runs in process on one :class:`FakeTime`: sleeping moves the clock, so waiting out a rate
limit costs nothing and no test waits on the wall clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate
from channelhub.testing.base import START, FakeTime, Harness, Rig

__all__ = ["START", "ChannelHarness", "FakeTime", "Rig"]


class ChannelHarness(Harness):
    """Base of a sales channel's harness: override what your capabilities need.

    Required for every channel: :attr:`plugin`, :meth:`rig`, :meth:`order_ids`,
    :meth:`touch_order` and :meth:`map_order`. Then per capability: ``PUSH_QUANTITIES``
    → :meth:`quantity_updates`, :meth:`quantity_on_platform`, :meth:`quantity_calls` and
    :attr:`quantity_batch`; ``PUSH_FULFILMENT`` → :meth:`fulfilment` and
    :meth:`fulfilments_on_platform`; ``VERIFY_WEBHOOK`` → :meth:`webhook`.
    """

    plugin: ClassVar[ConnectorPlugin]
    #: orders a fault run imports; small, but enough pages for the faults to hit
    order_count: ClassVar[int] = 60
    #: orders per page the rig's connector asks for (so the runs have several pages)
    page_size: ClassVar[int] = 10
    #: seconds to let pass before the next incremental run (beyond the connector's hold-back)
    settle_seconds: ClassVar[float] = 900.0
    #: the faults of the fault run (share of requests; statuses drawn from fault_statuses)
    error_rate: ClassVar[float] = 0.1
    timeout_rate: ClassVar[float] = 0.03
    fault_statuses: ClassVar[tuple[int, ...]] = (429, 500, 503)
    #: the most listings one quantity call carries (the platform's published batch size)
    quantity_batch: ClassVar[int] = 1
    #: quantity updates the batching check pushes (default: two batches and a bit)
    quantity_count: ClassVar[int | None] = None

    # --- orders ----------------------------------------------------------------------------

    def rig(self, *, seed: int, orders: int) -> Rig:
        """A simulator holding ``orders`` orders, and a connector factory wired to it."""
        raise NotImplementedError

    def order_ids(self, rig: Rig) -> set[str]:
        """Every order id an import since ``rig.since`` must yield exactly once."""
        raise NotImplementedError

    def touch_order(self, rig: Rig, external_id: str) -> None:
        """Mark the order updated at ``rig.time.now()`` on the platform (a buyer edit)."""
        raise NotImplementedError

    def order_list_calls(self, rig: Rig) -> int:
        """Calls an import made to list orders (default: every journaled request)."""
        return len(rig.sim.journal.entries)

    def order_call_budget(self, orders: int) -> int:
        """The most list calls a clean import of ``orders`` orders may take."""
        return -(-orders // self.page_size) + 2

    def throttled_calls(self, rig: Rig) -> int:
        """Requests the platform refused for its rate limit (default: answered 429)."""
        return sum(1 for entry in rig.sim.journal.entries if entry.status == 429)

    def decode(self, body: bytes) -> Any:
        """A kept raw body as the mapping takes it (default: JSON)."""
        return json.loads(body)

    def map_order(self, document: Any, *, account: str, context: Mapping[str, Any]) -> list[Any]:
        """The platform's pure mapping: one decoded raw order body → its orders. ``context``
        is what the connector told the mapping besides the account (a page's contexts)."""
        raise NotImplementedError

    # --- quantities ------------------------------------------------------------------------

    def quantity_updates(self, rig: Rig, count: int) -> list[QuantityUpdate]:
        """``count`` updates of listings the platform knows, each to a new quantity."""
        raise NotImplementedError

    def unknown_quantity_update(self, rig: Rig) -> QuantityUpdate | None:
        """An update of a listing the platform does not know (refused on its own); None when
        the platform refuses a whole call for one unknown item."""
        return None

    def quantity_on_platform(self, rig: Rig, update: QuantityUpdate) -> int | None:
        """The quantity the platform now shows for the update's listing."""
        raise NotImplementedError

    def quantity_calls(self, rig: Rig) -> int:
        """Calls that carried quantities since the journal was cleared."""
        raise NotImplementedError

    def quantity_call_budget(self, updates: Sequence[QuantityUpdate]) -> int:
        """The most calls ``updates`` may take (default: batches of :attr:`quantity_batch`)."""
        return -(-len(updates) // self.quantity_batch)

    # --- fulfilments -----------------------------------------------------------------------

    async def fulfilment(self, rig: Rig) -> FulfilmentPush:
        """A push of one or more packages for an open order the platform holds."""
        raise NotImplementedError

    def fulfilments_on_platform(self, rig: Rig, push: FulfilmentPush) -> int:
        """How many fulfilments (tracking numbers) the platform holds for the push's order."""
        raise NotImplementedError

    # --- webhooks ---------------------------------------------------------------------------

    def webhook_rig(self, seed: int) -> Rig:
        return self.rig(seed=seed, orders=3)
