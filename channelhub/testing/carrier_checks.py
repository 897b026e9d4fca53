"""The carrier checks: tracking read and mapped, quotes, labels bought once."""

from __future__ import annotations

from typing import Any

from channelhub.connectors.errors import RetryableError
from channelhub.connectors.records import describe_error
from channelhub.connectors.roles import Capability, Carrier
from channelhub.core.errors import ChannelhubError
from channelhub.core.fulfilment import TrackingEvent, TrackingStatus
from channelhub.testing.base import SEED, Check
from channelhub.testing.logistics import CarrierHarness


async def _clear_error(platform: str, what: str, call: Any) -> None:
    """``call()`` must raise the hub's error in one line, not retryable, not a stray one."""
    try:
        await call()
    except RetryableError as exc:
        raise AssertionError(f"{platform}: {what} is refused as retryable: {exc}") from exc
    except ChannelhubError as exc:
        text = describe_error(exc)
        assert text and "\n" not in text, f"{platform}: unclear error for {what}: {text!r}"
        return
    except Exception as exc:
        raise AssertionError(
            f"{platform}: {what} raised {type(exc).__name__}; raise InvalidInput naming it"
        ) from exc
    raise AssertionError(f"{platform}: {what} was accepted")


async def tracking_read_and_mapped(harness: CarrierHarness) -> None:
    """Through a 429 and a 5xx the carrier's scans come back, each with a canonical status,
    the raw code and a UTC time; an unknown number is no events; an empty one a clear
    error before any call."""
    rig = harness.rig(seed=SEED + 30)
    number = harness.tracking_number(rig)
    connector = rig.connect()
    assert isinstance(connector, Carrier), f"{harness.platform}: not a Carrier"
    rig.sim.faults.update(fail_next=2, error_statuses=harness.fault_statuses)
    try:
        events: list[TrackingEvent] = await connector.track(number)
        assert events, f"{harness.platform}: no events for {number}"
        for event in events:
            assert event.tracking_number == number and event.raw_code, (
                f"{harness.platform}: {event!r} lacks the number or the raw code"
            )
            assert isinstance(event.status, TrackingStatus)
            assert event.occurred_at.tzinfo is not None, f"{harness.platform}: naive time"
        statuses = {e.status for e in events}
        assert statuses - {TrackingStatus.UNKNOWN}, f"{harness.platform}: all UNKNOWN"
        expected = harness.expected_statuses(rig, number)
        assert expected <= statuses, (
            f"{harness.platform}: events map to {sorted(statuses)}, "
            f"missing {sorted(expected - statuses)}"
        )
        unknown = harness.unknown_tracking_number(rig)
        if unknown is not None:
            none = await connector.track(unknown)
            assert list(none) == [], f"{harness.platform}: an unknown number has events"
        rig.sim.journal.clear()
        await _clear_error(
            harness.platform, "an empty tracking number", lambda: connector.track("")
        )
        assert not rig.sim.journal.entries, (
            f"{harness.platform}: an empty tracking number was sent to the carrier"
        )
    finally:
        await connector.aclose()


async def quote_answers(harness: CarrierHarness) -> None:
    """A quote lists priced services; a request the carrier refuses is a clear error."""
    rig = harness.rig(seed=SEED + 31)
    connector = rig.connect()
    try:
        quotes = await connector.quote(harness.rate_request(rig))
        assert quotes, f"{harness.platform}: no quotes"
        for quote in quotes:
            assert quote.service and quote.amount.amount > 0, (
                f"{harness.platform}: {quote!r} has no service or no price"
            )
        bad = harness.bad_rate_request(rig)
        await _clear_error(harness.platform, "a refused rate request", lambda: connector.quote(bad))
    finally:
        await connector.aclose()


async def label_bought_once(harness: CarrierHarness) -> None:
    """A label whose answer was lost after the carrier sold it, bought again (by a new
    process, as the outbox does) with the same reference, is the first label: one label,
    one tracking number, never two charges."""
    rig = harness.rig(seed=SEED + 32)
    assert rig.transport is not None, f"{harness.platform}: build connectors on rig.transport"
    request = harness.label_request(rig, 0)
    rig.transport.lose_next(path=harness.label_path)
    connector = rig.connect()
    try:
        first = await connector.create_label(request)
    except RetryableError:
        await connector.aclose()
        connector = rig.connect()
        first = await connector.create_label(request)
    assert rig.transport.lost, f"{harness.platform}: no label call went to {harness.label_path}"
    assert first.tracking_number and first.label, f"{harness.platform}: an empty label"
    again = await connector.create_label(request)
    await connector.aclose()
    held = harness.labels_on_platform(rig, request.reference)
    if harness.label_idempotent:
        assert again.tracking_number == first.tracking_number, (
            f"{harness.platform}: the same reference bought a second label"
        )
        assert held == 1, f"{harness.platform}: the carrier holds {held} labels for one request"


def _carrier(name: str, needs: Capability, run: Any) -> Check:
    return Check(name, frozenset({needs}), run, kind=CarrierHarness)


CARRIER_CHECKS: tuple[Check, ...] = (
    _carrier("tracking_read_and_mapped", Capability.TRACK, tracking_read_and_mapped),
    _carrier("quote_answers", Capability.RATE_QUOTE, quote_answers),
    _carrier("label_bought_once", Capability.CREATE_LABEL, label_bought_once),
)
