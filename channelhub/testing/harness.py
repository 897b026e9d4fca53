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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.results import FulfilmentPush, QuantityUpdate, WebhookEvent
from channelhub.connectors.roles import Capability

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


@dataclass
class FakeTime:
    """Monotonic clock, wall clock and sleep in one: sleeping moves both clocks at once."""

    start: datetime = START
    t: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let time pass without anyone sleeping (between two runs of a job)."""
        self.t += seconds


@dataclass
class Rig:
    """One simulator with seeded data, and how to open connectors on it.

    ``connect()`` builds a fresh connector each time: a new process, with no memory of the
    previous one but what the cursor or the platform holds. ``sim`` is the
    :class:`~channelhub.simulators.base.Simulator` (journal, faults); ``state`` is whatever
    the harness needs to reach its platform's data.
    """

    sim: Any
    time: FakeTime
    connect: Callable[[], Any]
    state: Any = None
    since: datetime | None = None
    #: anything else the harness keeps per rig (a webhook sender, ids it picked)
    extra: dict[str, Any] = field(default_factory=dict)


class ChannelHarness:
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
    #: the connector raises this (a WebhookRejected subclass) on a duplicate delivery; None:
    #: it returns the same event id and the hub's store dedupes on it
    duplicate_webhook_error: ClassVar[type[Exception] | None] = None
    #: None: the platform's webhooks carry no timestamp to hold a replay window against
    replay_window: ClassVar[timedelta | None] = timedelta(minutes=5)

    #: check name -> why this connector does not pass it yet. Each runs as a strict xfail:
    #: visible in every run, and a failure once the gap is closed (then drop the entry)
    known_gaps: ClassVar[Mapping[str, str]] = {}

    @property
    def platform(self) -> str:
        return self.plugin.platform

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.plugin.capabilities

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

    # --- webhooks --------------------------------------------------------------------------

    def webhook(self, rig: Rig, n: int) -> tuple[dict[str, str], bytes]:
        """A genuine, signed delivery (headers and raw body), distinct per ``n``."""
        raise NotImplementedError

    def unsigned(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The headers without their signature (default: drop every header naming one)."""
        return {
            k: v
            for k, v in headers.items()
            if not any(word in k.lower() for word in ("sign", "hmac"))
        }

    async def verify(
        self, connector: Any, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookEvent:
        """Verify one delivery the way the hub's webhook route does."""
        event: WebhookEvent = connector.verify_webhook(headers, body, now=now)
        return event
