"""The warehouse checks: outbound orders exactly once, cancel answers, status, stock.

The create check plays the hub's outbox sender (:mod:`channelhub.jobs.fulfilment.dispatch`):
a send whose answer was lost is sent again by a new process, and a warehouse that does not
dedupe on the key (no ``IDEMPOTENT_OUTBOUND``) is read back first. Whatever the path, the
warehouse must end up holding one order for the key, under the same warehouse id.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from channelhub.connectors.errors import NotFoundError, RetryableError
from channelhub.connectors.records import describe_error
from channelhub.connectors.results import OutboundReceipt, StockLevel
from channelhub.connectors.roles import Capability, Warehouse
from channelhub.core.errors import ChannelhubError
from channelhub.core.fulfilment import OutboundOrder, OutboundState, TrackingEvent, TrackingStatus
from channelhub.testing.base import SEED, Check, Rig
from channelhub.testing.logistics import WarehouseHarness

STOPPED = (OutboundState.CANCELLED,)
UNSHIPPED = (
    OutboundState.PENDING,
    OutboundState.ACCEPTED,
    OutboundState.PICKING,
    OutboundState.PACKED,
)


async def _resend(harness: WarehouseHarness, connector: Any, order: OutboundOrder) -> Any:
    """The outbox's repeat: read back first unless the warehouse dedupes on the key."""
    key = order.idempotency_key
    if Capability.IDEMPOTENT_OUTBOUND not in harness.capabilities:
        assert Capability.OUTBOUND_STATUS in harness.capabilities, (
            f"{harness.platform}: a warehouse without IDEMPOTENT_OUTBOUND must read orders "
            "back (OUTBOUND_STATUS) so a resend does not create a second one"
        )
        try:
            status = await connector.get_outbound(key)
        except NotFoundError:
            pass  # the earlier attempt never reached it
        else:
            assert status.warehouse_order_id, f"{harness.platform}: read-back has no id"
            return OutboundReceipt(key, status.warehouse_order_id, status.state, False)
    return await connector.create_outbound(order)


async def _send(harness: WarehouseHarness, rig: Rig, order: OutboundOrder) -> Any:
    """One send as the outbox makes it; a retryable failure is sent again by a new process."""
    connector = rig.connect()
    try:
        return await connector.create_outbound(order)
    except RetryableError:
        pass  # the outbox keeps the message and sends it again later
    finally:
        await connector.aclose()
    again = rig.connect()
    try:
        return await _resend(harness, again, order)
    finally:
        await again.aclose()


def _one_order(harness: WarehouseHarness, rig: Rig, key: str, what: str) -> None:
    held = harness.orders_on_platform(rig, key)
    assert held == 1, f"{harness.platform}: {what}: the warehouse holds {held} orders for {key}"


async def outbound_created_once(harness: WarehouseHarness) -> None:
    """An answer lost after the warehouse acted (a 5xx, a timeout) and a crash between its
    "accepted" and our commit: the resend (read back first where the warehouse cannot
    dedupe) finds the first order, under the same warehouse id; never two orders."""
    rig = harness.rig(seed=SEED + 20)
    assert rig.transport is not None, f"{harness.platform}: build connectors on rig.transport"
    probe = rig.connect()
    assert isinstance(probe, Warehouse), f"{harness.platform}: not a Warehouse"
    await probe.aclose()
    for n, timeout in ((0, False), (1, True)):
        order = harness.outbound(rig, n)
        rig.transport.lose_next(path=harness.create_path, timeout=timeout)
        lost = "a timeout" if timeout else "a 503"
        try:
            receipt = await _send(harness, rig, order)
        except ChannelhubError as exc:
            raise AssertionError(
                f"{harness.platform}: after {lost} once the warehouse acted, the resend was "
                f"refused ({exc}); it must find the first order"
            ) from exc
        assert rig.transport.lost, f"{harness.platform}: no create went to {harness.create_path}"
        rig.transport.lost.clear()
        assert receipt.idempotency_key == order.idempotency_key and receipt.warehouse_order_id
        _one_order(harness, rig, order.idempotency_key, f"after {lost} once it acted")
    order = harness.outbound(rig, 2)
    first_process = rig.connect()
    first = await first_process.create_outbound(order)
    await first_process.aclose()  # it dies before the hub records the answer
    assert first.created, f"{harness.platform}: a new order's receipt says created=False"
    restarted = rig.connect()
    again = await _resend(harness, restarted, order)
    repeat = await restarted.create_outbound(order)  # the role's contract: a repeat is safe
    await restarted.aclose()
    for receipt in (again, repeat):
        assert not receipt.created, f"{harness.platform}: a resend reports a new order"
        assert receipt.warehouse_order_id == first.warehouse_order_id, (
            f"{harness.platform}: the resend names {receipt.warehouse_order_id}, the first "
            f"create {first.warehouse_order_id}: the warehouse reference is not deterministic"
        )
    _one_order(harness, rig, order.idempotency_key, "after a crash and a resend")


async def outbound_refusal_is_clear(harness: WarehouseHarness) -> None:
    """An order the warehouse refuses raises the hub's error (not retryable) in one line
    with the warehouse's reason, and nothing is created."""
    rig = harness.rig(seed=SEED + 21)
    order = harness.refused_outbound(rig)
    connector = rig.connect()
    try:
        await connector.create_outbound(order)
    except RetryableError as exc:
        raise AssertionError(f"{harness.platform}: a refusal is retryable: {exc}") from exc
    except ChannelhubError as exc:
        text = describe_error(exc)
        assert text and "\n" not in text, f"{harness.platform}: unclear refusal {text!r}"
    else:
        raise AssertionError(f"{harness.platform}: the refused order was accepted")
    finally:
        await connector.aclose()
    held = harness.orders_on_platform(rig, order.idempotency_key)
    assert held == 0, f"{harness.platform}: a refused order left {held} orders behind"


async def cancel_answers(harness: WarehouseHarness) -> None:
    """Cancel in time stops the order (and a repeat says so again); after shipping it is
    CANCEL_TOO_LATE with the warehouse's reason; an order it never had is NotFoundError."""
    rig = harness.rig(seed=SEED + 22)
    connector = rig.connect()
    early, late = harness.outbound(rig, 0), harness.outbound(rig, 1)
    await connector.create_outbound(early)
    await connector.create_outbound(late)
    for attempt in ("cancel", "repeated cancel"):
        result = await connector.cancel_outbound(early.idempotency_key, reason="buyer cancelled")
        assert result.state in STOPPED, (
            f"{harness.platform}: a {attempt} before the warehouse worked the order answered "
            f"{result.state} ({result.reason})"
        )
    await harness.ship(rig, late.idempotency_key)
    result = await connector.cancel_outbound(late.idempotency_key, reason="buyer cancelled")
    assert result.state is OutboundState.CANCEL_TOO_LATE and result.reason, (
        f"{harness.platform}: cancelling a shipped order answered {result.state} "
        f"({result.reason}); CANCEL_TOO_LATE with the warehouse's reason is owed"
    )
    try:
        await connector.cancel_outbound("conformance:never-sent#p1r1", reason="x")
    except NotFoundError:
        pass
    else:
        raise AssertionError(
            f"{harness.platform}: cancelling an order the warehouse never had must raise "
            "NotFoundError (the hub then knows it never reached it)"
        )
    finally:
        await connector.aclose()


def _canonical(platform: str, events: list[TrackingEvent], numbers: set[str]) -> None:
    assert events, f"{platform}: no tracking events for a shipped package"
    for event in events:
        assert isinstance(event.status, TrackingStatus) and event.raw_code, (
            f"{platform}: {event!r} has no canonical status or raw code"
        )
        assert event.occurred_at.tzinfo is not None, f"{platform}: naive event time"
        assert event.tracking_number in numbers, (
            f"{platform}: event for {event.tracking_number}, not one of {sorted(numbers)}"
        )
    assert any(e.status is not TrackingStatus.UNKNOWN for e in events), (
        f"{platform}: every event mapped to UNKNOWN; map the carrier's codes"
    )


async def status_polled_to_shipped(harness: WarehouseHarness) -> None:
    """The status read names the order by the create's warehouse id, follows it to shipped
    with its packages' tracking numbers (and events mapped into the hub's vocabulary where
    the warehouse reports them); an order it never had is NotFoundError."""
    rig = harness.rig(seed=SEED + 23)
    connector = rig.connect()
    order = harness.outbound(rig, 0)
    receipt = await connector.create_outbound(order)
    status = await connector.get_outbound(order.idempotency_key)
    assert status.warehouse_order_id == receipt.warehouse_order_id, (
        f"{harness.platform}: status names {status.warehouse_order_id}, the create "
        f"{receipt.warehouse_order_id}"
    )
    assert status.state in UNSHIPPED and not status.final and status.raw.body, (
        f"{harness.platform}: a new order reads {status.state} (final={status.final})"
    )
    await harness.ship(rig, order.idempotency_key)
    status = await connector.get_outbound(order.idempotency_key)
    assert status.state is harness.shipped_state, (
        f"{harness.platform}: a shipped order reads {status.state}"
    )
    if Capability.POLLED_OUTBOUND in harness.capabilities:
        assert status.final, f"{harness.platform}: a polled, shipped order is not final"
    if harness.status_has_shipments:
        numbers = {p.tracking_number for s in status.shipments for p in s.packages}
        assert numbers and all(numbers), (
            f"{harness.platform}: a shipped order's status lists no tracking numbers"
        )
        assert all(s.outbound_key == order.idempotency_key for s in status.shipments)
        events = await harness.tracking_events(rig, connector, status)
        if events is not None:
            _canonical(harness.platform, events, numbers)
    try:
        await connector.get_outbound("conformance:never-sent#p1r1")
    except NotFoundError:
        pass
    else:
        raise AssertionError(
            f"{harness.platform}: reading an order the warehouse never had must raise "
            "NotFoundError (the outbox's read-back relies on it)"
        )
    finally:
        await connector.aclose()


async def _read(connector: Any, cursor: str | None = None, *, touch: Any = None) -> Any:
    levels: list[StockLevel] = []
    pages = []
    async for page in connector.get_stock_levels(None, cursor):
        pages.append(page)
        levels.extend(page.items)
        if touch is not None and len(pages) == 1:
            touch()
    return levels, pages


def _stock(harness: WarehouseHarness) -> dict[str, int]:
    return {f"CONF-{n:04d}": 5 + n % 17 for n in range(harness.stock_count)}


def _levels_match(platform: str, levels: list[StockLevel], stock: dict[str, int]) -> None:
    counts = Counter(level.sku for level in levels)
    twice = sorted(sku for sku, n in counts.items() if n > 1)
    missing = sorted(set(stock) - set(counts))
    assert not missing, f"{platform}: the stock read lost {len(missing)} SKUs, e.g. {missing[0]}"
    assert not twice, f"{platform}: the stock read listed SKUs twice: {twice[:5]}"
    for level in levels:
        if level.sku in stock:
            assert level.available == stock[level.sku] and level.on_hand >= level.available, (
                f"{platform}: {level.sku} reads {level.available} available "
                f"({level.on_hand} on hand), the warehouse holds {stock[level.sku]}"
            )


async def stock_pages_within_budget(harness: WarehouseHarness) -> None:
    """A clean stock read pages within the declared budget and is never throttled; under
    ~10% 429/5xx and some timeouts the read still lists every SKU once, with its count; a
    read for some SKUs lists only those."""
    rig = harness.rig(seed=SEED + 24)
    stock = _stock(harness)
    harness.set_stock(rig, stock)
    connector = rig.connect()
    rig.sim.journal.clear()
    levels, pages = await _read(connector)
    _levels_match(harness.platform, levels, stock)
    assert len(pages) >= 2 and pages[-1].done and not pages[0].done, (
        f"{harness.platform}: {len(stock)} SKUs came in {len(pages)} page(s); set "
        "stock_count / stock_page_size so the read has several pages"
    )
    calls, budget = harness.stock_calls(rig), harness.stock_call_budget(len(levels))
    assert calls <= budget, f"{harness.platform}: {calls} stock calls, over the budget {budget}"
    throttled = harness.throttled_calls(rig)
    assert not throttled, f"{harness.platform}: a clean stock read was throttled {throttled}x"
    wanted = sorted(stock)[:: max(len(stock) // 3, 1)][:3]
    some = [lv.sku async for page in connector.get_stock_levels(wanted) for lv in page.items]
    assert sorted(some) == wanted, f"{harness.platform}: a read for {wanted} listed {some}"
    await connector.aclose()
    rig.sim.faults.update(
        fail_next=2,
        error_rate=harness.error_rate,
        error_statuses=harness.fault_statuses,
        timeout_rate=harness.timeout_rate,
    )
    rig.sim.journal.clear()
    faulted = rig.connect()
    levels, _ = await _read(faulted)
    await faulted.aclose()
    _levels_match(harness.platform, levels, stock)
    assert sum(1 for e in rig.sim.journal.entries if e.fault) >= 2, (
        f"{harness.platform}: too few stock calls for the faults to hit"
    )


async def stock_bad_row_set_aside(harness: WarehouseHarness) -> None:
    """One row the warehouse reports that the hub cannot read (a negative count, say), among
    good ones, is set aside alone: it is one failure of its page, with the row as sent (not
    the page), named ``HUB-WAREHOUSE:SKU`` with its warehouse as context, and every other
    SKU is listed with its count to the last page (the pull files the row as a dead letter
    and applies the rest)."""
    rig = harness.rig(seed=SEED + 26)
    stock = _stock(harness)
    harness.set_stock(rig, stock)
    bad = sorted(stock)[1]
    harness.unreadable_stock(rig, bad)
    connector = rig.connect()
    try:
        levels, pages = await _read(connector)
    except ChannelhubError as exc:
        raise AssertionError(
            f"{harness.platform}: one unreadable stock row ({bad}) failed the whole read "
            f"({describe_error(exc)}); read the rows one by one "
            "(channelhub.connectors.stock_rows) so it is set aside alone"
        ) from exc
    finally:
        await connector.aclose()
    good = {sku: count for sku, count in stock.items() if sku != bad}
    _levels_match(harness.platform, levels, good)
    assert bad not in {level.sku for level in levels}, (
        f"{harness.platform}: the unreadable row of {bad} was listed as a level"
    )
    assert pages[-1].done, f"{harness.platform}: the read stopped before its last page"
    failures = [failure for page in pages for failure in page.failures]
    assert len(failures) == 1, (
        f"{harness.platform}: one unreadable row made {len(failures)} failures: "
        f"{[f.reason for f in failures][:3]}"
    )
    (failure,) = failures
    warehouse = failure.context.get("warehouse")
    assert warehouse and failure.raw.external_id == f"{warehouse}:{bad}", (
        f"{harness.platform}: the row set aside is named {failure.raw.external_id!r} with "
        f"context {dict(failure.context)}; owed: HUB-WAREHOUSE:{bad} and its warehouse"
    )
    assert failure.raw.kind == "stock" and failure.reason and "\n" not in failure.reason, (
        f"{harness.platform}: the row set aside reads {failure.raw.kind!r}: {failure.reason!r}"
    )
    body = failure.raw.body.decode("utf-8", "replace")
    assert bad in body and body.count("CONF-") == body.count(bad), (
        f"{harness.platform}: the body kept is not the row as sent: {body[:200]!r}"
    )


async def stock_cursor_is_lag_safe(harness: WarehouseHarness) -> None:
    """A SKU whose count changes while a read walks its pages is listed, with its new
    count, by the next read from that read's last cursor."""
    rig = harness.rig(seed=SEED + 25)
    stock = _stock(harness)
    harness.set_stock(rig, stock)
    rig.time.advance(3600)
    connector = rig.connect()
    changed: dict[str, int] = {}

    def touch() -> None:
        rig.time.advance(60)
        sku = sorted(stock)[0]
        changed[sku] = stock[sku] + 40
        harness.set_stock(rig, changed)

    _, pages = await _read(connector, touch=touch)
    cursor = pages[-1].cursor
    assert pages[-1].done and cursor, f"{harness.platform}: the last stock page has no cursor"
    rig.time.advance(harness.settle_seconds)
    levels, _ = await _read(connector, cursor)
    await connector.aclose()
    ((sku, count),) = changed.items()
    seen = {lv.sku: lv.available for lv in levels}
    assert seen.get(sku) == count, (
        f"{harness.platform}: {sku} changed to {count} during a read; the next read from its "
        f"cursor shows {seen.get(sku)} (a cursor that does not hold back loses late changes)"
    )


def _warehouse(name: str, needs: set[Capability], run: Any) -> Check:
    return Check(name, frozenset(needs), run, kind=WarehouseHarness)


WAREHOUSE_CHECKS: tuple[Check, ...] = (
    _warehouse("outbound_created_once", {Capability.CREATE_OUTBOUND}, outbound_created_once),
    _warehouse(
        "outbound_refusal_is_clear", {Capability.CREATE_OUTBOUND}, outbound_refusal_is_clear
    ),
    _warehouse("cancel_answers", {Capability.CANCEL_OUTBOUND}, cancel_answers),
    _warehouse("status_polled_to_shipped", {Capability.OUTBOUND_STATUS}, status_polled_to_shipped),
    _warehouse("stock_pages_within_budget", {Capability.STOCK_LEVELS}, stock_pages_within_budget),
    _warehouse("stock_bad_row_set_aside", {Capability.STOCK_LEVELS}, stock_bad_row_set_aside),
    _warehouse(
        "stock_cursor_is_lag_safe",
        {Capability.STOCK_LEVELS, Capability.STOCK_CHANGES},
        stock_cursor_is_lag_safe,
    ),
)
