"""What every harness shares, whatever the role: one fake time, the rig, webhooks, checks.

A role's harness (:class:`~channelhub.testing.harness.ChannelHarness`,
:class:`~channelhub.testing.logistics.WarehouseHarness`,
:class:`~channelhub.testing.logistics.CarrierHarness`) adds the platform facts its checks
need. Everything runs in process on one :class:`FakeTime`: sleeping moves the clock, so
waiting out a rate limit costs nothing and no test waits on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from channelhub.connectors.plugin import ConnectorPlugin
from channelhub.connectors.results import WebhookEvent
from channelhub.connectors.roles import Capability
from channelhub.testing.transport import LossyTransport

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
SEED = 11


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
    the harness needs to reach its platform's data. ``transport``: the
    :class:`LossyTransport` the connectors are built with, for the checks that lose an
    answer after the platform acted (warehouses and carriers need it).
    """

    sim: Any
    time: FakeTime
    connect: Callable[[], Any]
    state: Any = None
    since: datetime | None = None
    transport: LossyTransport | None = None
    #: anything else the harness keeps per rig (a webhook sender, ids it picked)
    extra: dict[str, Any] = field(default_factory=dict)


class Harness:
    """What every role's harness shares: the plugin, known gaps and signed deliveries."""

    plugin: ClassVar[ConnectorPlugin]
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

    @property
    def verifies_webhooks(self) -> bool:
        """Whether the webhook check runs (default: the connector declares
        ``VERIFY_WEBHOOK``; a harness whose connector verifies callbacks another way says
        True and overrides :meth:`verify`)."""
        return Capability.VERIFY_WEBHOOK in self.capabilities

    def webhook_rig(self, seed: int) -> Rig:
        """A small rig for the webhook check."""
        raise NotImplementedError

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
    ) -> Any:
        """Verify one delivery the way the hub's route does; the answer has an ``event_id``."""
        event: WebhookEvent = connector.verify_webhook(headers, body, now=now)
        return event


@dataclass(frozen=True)
class Check:
    """One conformance check: ``run(harness)`` raises AssertionError when it fails.

    It applies to harnesses of ``kind`` whose capabilities include ``needs`` and, when
    ``when`` is given, for which ``when(harness)`` holds."""

    name: str
    needs: frozenset[Capability]
    run: Callable[[Any], Coroutine[Any, Any, None]]
    kind: type[Harness] = Harness
    when: Callable[[Any], bool] | None = None

    def applies(self, harness: Harness) -> bool:
        return (
            isinstance(harness, self.kind)
            and self.needs <= harness.capabilities
            and (self.when is None or self.when(harness))
        )

    def __repr__(self) -> str:
        return self.name
