"""The conformance checks: what every connector owes the hub, checked against its simulator.

Each check is an async function of a harness, with the capabilities that make it apply. The
suite (:mod:`channelhub.testing`) turns the ones a connector's capabilities call for
into one test each. Assertion messages name the platform and say what went wrong in the
hub's terms, so a plugin author sees what to fix without reading this file.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from typing import Any

from channelhub.connectors.errors import RetryableError, WebhookRejected
from channelhub.connectors.records import describe_error
from channelhub.connectors.roles import Capability, SalesChannel
from channelhub.core.errors import ChannelhubError
from channelhub.core.models import Order
from channelhub.testing.base import SEED, Check, Harness
from channelhub.testing.carrier_checks import CARRIER_CHECKS
from channelhub.testing.harness import ChannelHarness, Rig
from channelhub.testing.warehouse_checks import WAREHOUSE_CHECKS


async def _walk(
    connector: Any, cursor: str | None, since: Any, *, stop_after: int | None = None
) -> tuple[list[Order], str | None, list[Any]]:
    """Orders of one run (or its first ``stop_after`` pages), the last cursor, the pages."""
    orders: list[Order] = []
    pages: list[Any] = []
    last = cursor
    walk = connector.pull_orders(cursor, since=since)
    try:
        async for page in walk:
            pages.append(page)
            orders.extend(page.items)
            last = page.cursor
            if stop_after is not None and len(pages) >= stop_after:
                break
    finally:
        await walk.aclose()
    return orders, last, pages


def _only_once(platform: str, got: list[Order], expected: set[str]) -> None:
    counts = Counter(o.external_id for o in got)
    missing = expected - set(counts)
    extra = set(counts) - expected
    twice = sorted(k for k, n in counts.items() if n > 1)
    assert not missing, f"{platform}: the import lost {len(missing)} orders, e.g. {min(missing)}"
    assert not extra, f"{platform}: the import yielded orders it was not given: {sorted(extra)}"
    assert not twice, f"{platform}: the import yielded orders twice: {twice[:5]}"


async def import_once_under_faults(harness: ChannelHarness) -> None:
    """~10% 429/5xx and some timeouts, and the process killed after two pages: a new
    connector resuming from the last committed cursor yields every order exactly once."""
    rig = harness.rig(seed=SEED, orders=harness.order_count)
    expected = harness.order_ids(rig)
    assert expected, f"{harness.platform}: the rig seeded no orders"
    rig.sim.faults.update(
        fail_next=2,  # at least two faults, whatever the draw
        error_rate=harness.error_rate,
        error_statuses=harness.fault_statuses,
        timeout_rate=harness.timeout_rate,
    )
    first = rig.connect()
    assert isinstance(first, SalesChannel), f"{harness.platform}: not a SalesChannel"
    before, cursor, pages = await _walk(first, None, rig.since, stop_after=2)
    await first.aclose()
    assert len(pages) == 2 and not pages[-1].done, (
        f"{harness.platform}: {harness.order_count} orders fit in {len(pages)} page(s); "
        "the harness's page_size must give several pages"
    )
    resumed = rig.connect()  # a new process: only the cursor survives
    after, _, _ = await _walk(resumed, cursor, rig.since)
    await resumed.aclose()
    _only_once(harness.platform, before + after, expected)
    faulted = [e.fault for e in rig.sim.journal.entries if e.fault]
    assert len(faulted) >= 2, f"{harness.platform}: too few calls for the faults to hit"


async def _walk_touching(
    harness: ChannelHarness, seed: int
) -> tuple[Rig, Any, set[str], list[Order], int, str, str | None]:
    """One import that touches the first order of its first page right after reading it."""
    rig = harness.rig(seed=seed, orders=harness.order_count)
    expected = harness.order_ids(rig)
    connector = rig.connect()
    seen: list[Order] = []
    touched: str | None = None
    seen_before_touch = 0
    cursor = None
    async for page in connector.pull_orders(None, since=rig.since):
        seen.extend(page.items)
        cursor = page.cursor
        if touched is None and page.items:
            rig.time.advance(60)
            touched = page.items[0].external_id
            harness.touch_order(rig, touched)  # it moves to the end of the order of change
            seen_before_touch = len(seen)
    assert touched is not None, f"{harness.platform}: the import yielded no orders"
    return rig, connector, expected, seen, seen_before_touch, touched, cursor


async def cursor_is_lag_safe(harness: ChannelHarness) -> None:
    """An order updated while the import walks its pages is not lost: the rest of this run
    or the next incremental one (from this run's last cursor) reads it again."""
    rig, connector, _, seen, before, touched, cursor = await _walk_touching(harness, SEED + 1)
    rig.time.advance(harness.settle_seconds)
    again, _, _ = await _walk(connector, cursor, rig.since)
    await connector.aclose()
    read_again = [o.external_id for o in seen[before:]] + [o.external_id for o in again]
    assert touched in read_again, (
        f"{harness.platform}: order {touched} was updated during the import and neither the "
        "rest of that run nor the next incremental run read it again (a cursor that does not "
        "hold back loses late changes)"
    )


async def pages_do_not_shift(harness: ChannelHarness) -> None:
    """An order updated mid-walk leaves its place in the platform's order of change; the
    pages after it shift, and no other order may fall between two pages because of it."""
    _, connector, expected, seen, _, _, _ = await _walk_touching(harness, SEED + 7)
    await connector.aclose()
    hidden = sorted(expected - {o.external_id for o in seen})
    assert not hidden, (
        f"{harness.platform}: an order updated mid-walk hid {hidden[:5]} from the import "
        "(offset paging over a list that changed); re-read from the last order seen instead"
    )


async def pages_within_budget(harness: ChannelHarness) -> None:
    """A clean import pages as declared and paces itself by its declared rate limits: the
    simulator, which enforces the platform's published limits, never has to refuse it."""
    rig = harness.rig(seed=SEED + 2, orders=harness.order_count)
    connector = rig.connect()
    got, _, pages = await _walk(connector, None, rig.since)
    await connector.aclose()
    _only_once(harness.platform, got, harness.order_ids(rig))
    assert pages and pages[-1].done, f"{harness.platform}: the last page is not marked done"
    assert all(not p.failures for p in pages), f"{harness.platform}: clean orders refused"
    calls = harness.order_list_calls(rig)
    budget = harness.order_call_budget(harness.order_count)
    assert calls <= budget, (
        f"{harness.platform}: {calls} calls to import {harness.order_count} orders, "
        f"over the declared budget of {budget}"
    )
    throttled = harness.throttled_calls(rig)
    assert not throttled, (
        f"{harness.platform}: the platform throttled {throttled} calls of a clean "
        "import: the connector's declared rate limits are above the platform's"
    )


async def quantities_in_batches(harness: ChannelHarness) -> None:
    """Quantities go out in the platform's batch size, one result per update in order; an
    unknown listing is refused on its own with the platform's reason."""
    rig = harness.rig(seed=SEED + 3, orders=1)
    count = harness.quantity_count or 2 * harness.quantity_batch + 3
    updates = harness.quantity_updates(rig, count)
    unknown = harness.unknown_quantity_update(rig)
    if unknown is not None:
        updates.insert(len(updates) // 2, unknown)
    connector = rig.connect()
    rig.sim.journal.clear()
    results = await connector.push_quantities(updates)
    await connector.aclose()
    assert [r.listing for r in results] == [u.listing for u in updates], (
        f"{harness.platform}: push_quantities must answer one result per update, in order"
    )
    for update, result in zip(updates, results, strict=True):
        if update is unknown:
            assert not result.accepted and result.reason, (
                f"{harness.platform}: an unknown listing was not refused with a reason"
            )
            continue
        assert result.accepted, f"{harness.platform}: {update.listing} refused: {result.reason}"
        shown = harness.quantity_on_platform(rig, update)
        assert shown == update.quantity, (
            f"{harness.platform}: {update.listing} shows {shown} after pushing {update.quantity}"
        )
    calls = harness.quantity_calls(rig)
    most = harness.quantity_call_budget(updates)
    assert 0 < calls <= most, (
        f"{harness.platform}: {len(updates)} updates took {calls} calls; the platform's "
        f"batches need at most {most}"
    )


async def fulfilment_once_with_read_back(harness: ChannelHarness) -> None:
    """A fulfilment push survives a 5xx (retried, or raised as retryable for the outbox to
    send again), and a crash after it (a new connector pushing the same packages again, as
    the outbox does) creates nothing twice; the read-back shows
    every tracking number when the platform can read fulfilments back."""
    rig = harness.rig(seed=SEED + 4, orders=10)
    push = await harness.fulfilment(rig)
    rig.sim.faults.update(fail_next=1, error_statuses=(503,))
    connector = rig.connect()
    try:
        first = await connector.push_fulfilment(push)
    except RetryableError:  # a create that may have acted is not repeated blindly: the
        await connector.aclose()  # outbox sends the push again later, as here
        connector = rig.connect()
        first = await connector.push_fulfilment(push)
    await connector.aclose()
    assert [r.accepted for r in first] == [True] * len(push.packages), (
        f"{harness.platform}: the first push was not accepted: {[r.reason for r in first]}"
    )
    held = harness.fulfilments_on_platform(rig, push)
    assert held == len(push.packages), (
        f"{harness.platform}: {len(push.packages)} packages pushed, the platform holds {held}"
    )
    restarted = rig.connect()  # the process died before it recorded the answer
    again = await restarted.push_fulfilment(push)
    assert all(r.accepted and r.already_present for r in again), (
        f"{harness.platform}: a repeated push must find the first one (already_present)"
    )
    assert harness.fulfilments_on_platform(rig, push) == held, (
        f"{harness.platform}: a repeated push created a second fulfilment"
    )
    if Capability.READ_FULFILMENTS in harness.capabilities:
        read = await restarted.get_fulfilments(push.order_external_id)
        tracking = {f.tracking_number for f in read}
        assert {p.tracking_number for p in push.packages} <= tracking, (
            f"{harness.platform}: the read-back lacks pushed tracking numbers: {tracking}"
        )
    await restarted.aclose()


async def webhooks_refused_and_deduped(harness: Harness) -> None:
    """A genuine delivery (webhook or warehouse callback) verifies; a tampered body, a
    missing signature and a stale one are refused (WebhookRejected); the same delivery twice
    is one event."""
    rig = harness.webhook_rig(SEED + 5)
    connector = rig.connect()
    now = rig.time.now()
    headers, body = harness.webhook(rig, 0)
    event = await harness.verify(connector, headers, body, now)
    assert event.event_id, f"{harness.platform}: a verified webhook has no event id"
    tampered = bytearray(body)
    tampered[len(tampered) // 2] ^= 0x01
    refusals = {
        "a tampered body": (headers, bytes(tampered), now),
        "no signature": (harness.unsigned(headers), body, now),
    }
    if harness.replay_window is not None:
        late = now + harness.replay_window + timedelta(minutes=1)
        refusals["a stale delivery"] = (*harness.webhook(rig, 1), late)
    for what, (h, b, at) in refusals.items():
        try:
            await harness.verify(connector, h, b, at)
        except WebhookRejected:
            continue
        raise AssertionError(f"{harness.platform}: {what} was accepted")
    try:
        second = await harness.verify(connector, headers, body, now)
    except WebhookRejected as exc:
        expected = harness.duplicate_webhook_error
        assert expected is not None and isinstance(exc, expected), (
            f"{harness.platform}: a duplicate delivery was refused as {exc!r}"
        )
    else:
        assert second.event_id == event.event_id, (
            f"{harness.platform}: the same delivery gave two event ids: the hub would store "
            "it twice"
        )
    other = await harness.verify(connector, *harness.webhook(rig, 2), now)
    assert other.event_id != event.event_id, f"{harness.platform}: two events share an id"
    await connector.aclose()


#: documents no platform sends as an order: each must be refused with a clear error
BAD_DOCUMENTS: tuple[Any, ...] = (None, "text", 12, {}, {"id": {}}, [{"id": None}])


async def mapping_round_trip_and_bad_input(harness: ChannelHarness) -> None:
    """Every kept raw body maps back (pure, without the platform) to the order the page
    yielded — what a replay of a dead letter relies on — and bad documents raise the hub's
    InvalidInput (or another ChannelhubError) with one clear line, not a stray KeyError."""
    rig = harness.rig(seed=SEED + 6, orders=12)
    connector = rig.connect()
    _, _, pages = await _walk(connector, None, rig.since)
    await connector.aclose()
    checked = 0
    for page in pages:
        for index, item in enumerate(page.items):
            origin = page.origin(index)
            assert origin is not None, f"{harness.platform}: page.origins must name each body"
            raw = page.raw[origin]
            mapped = harness.map_order(
                harness.decode(raw.body), account=item.account, context=page.context_of(origin)
            )
            assert item in mapped, (
                f"{harness.platform}: order {item.external_id} does not map back from its kept "
                "raw body (a replay would store something else)"
            )
            json.dumps(item.model_dump(mode="json"))  # canonical orders serialise
            checked += 1
    assert checked, f"{harness.platform}: nothing to map"
    account = pages[0].items[0].account
    for body in BAD_DOCUMENTS:
        try:
            harness.map_order(body, account=account, context={})
        except ChannelhubError as exc:
            text = describe_error(exc)
            assert text and "\n" not in text, f"{harness.platform}: unclear error for {body!r}"
            continue
        except Exception as exc:
            raise AssertionError(
                f"{harness.platform}: the mapping raised {type(exc).__name__} for {body!r}; "
                "raise InvalidInput naming the field instead"
            ) from exc
        raise AssertionError(f"{harness.platform}: the mapping accepted {body!r}")


def _channel(name: str, needs: Capability, run: Any) -> Check:
    return Check(name, frozenset({needs}), run, kind=ChannelHarness)


CHECKS: tuple[Check, ...] = (
    _channel("import_once_under_faults", Capability.PULL_ORDERS, import_once_under_faults),
    _channel("cursor_is_lag_safe", Capability.PULL_ORDERS, cursor_is_lag_safe),
    _channel("pages_do_not_shift", Capability.PULL_ORDERS, pages_do_not_shift),
    _channel("pages_within_budget", Capability.PULL_ORDERS, pages_within_budget),
    _channel(
        "mapping_round_trip_and_bad_input",
        Capability.PULL_ORDERS,
        mapping_round_trip_and_bad_input,
    ),
    _channel("quantities_in_batches", Capability.PUSH_QUANTITIES, quantities_in_batches),
    _channel(
        "fulfilment_once_with_read_back",
        Capability.PUSH_FULFILMENT,
        fulfilment_once_with_read_back,
    ),
    *WAREHOUSE_CHECKS,
    *CARRIER_CHECKS,
    Check(
        "webhooks_refused_and_deduped",
        frozenset(),
        webhooks_refused_and_deduped,
        when=lambda harness: harness.verifies_webhooks,
    ),
)


def checks_for(subject: Harness | frozenset[Capability]) -> list[Check]:
    """The checks a harness must pass (or, given bare capabilities, every check whose
    capabilities they include, whatever the role)."""
    if isinstance(subject, Harness):
        return [check for check in CHECKS if check.applies(subject)]
    return [
        check
        for check in CHECKS
        if check.needs <= subject and (check.needs or Capability.VERIFY_WEBHOOK in subject)
    ]
