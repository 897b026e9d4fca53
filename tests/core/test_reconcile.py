"""Reconciliation core: every class found from crafted input, agreeing input reports nothing,
k injected differences give exactly k discrepancies, unsorted input is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channelhub.core.discrepancy import DiscrepancyClass, RepairKind, merge_join
from channelhub.core.errors import InvalidInput
from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import ChannelOrderState
from channelhub.core.reconcile import (
    ChannelOrderView,
    HubOrderView,
    ListingQuantity,
    StockCount,
    reconcile_listings,
    reconcile_orders,
    reconcile_stock,
)

C = DiscrepancyClass
CS = ChannelOrderState
H = HubStatus


def one(found: list) -> object:  # type: ignore[type-arg]
    assert len(found) == 1, found
    return found[0]


# --- orders --------------------------------------------------------------------------------


def test_order_missing_in_hub_is_backfilled_safely() -> None:
    found = one(list(reconcile_orders([ChannelOrderView("1001", CS.UNSHIPPED)], [])))
    assert found.discrepancy_class is C.ORDER_MISSING_IN_HUB
    assert found.subject == {"order": "1001"}
    assert (found.hub_value, found.other_value) == (None, "unshipped")
    assert found.repair.kind is RepairKind.BACKFILL_ORDER and found.repair.safe
    assert found.repair.parameters == {"external_id": "1001"}
    assert "never imported" in found.explanation


def test_hub_only_orders_are_outside_the_window_and_skipped() -> None:
    assert list(reconcile_orders([], [HubOrderView("1", H.NEW)])) == []


@pytest.mark.parametrize(
    ("hub_status", "repair", "safe"),
    [
        (H.NEW, RepairKind.CANCEL_ORDER, True),
        (H.ALLOCATED, RepairKind.CANCEL_ORDER, True),
        (H.DISPATCHED, RepairKind.INTERCEPT_OUTBOUND, False),
        (H.SHIPPED, RepairKind.REVIEW, False),
        (H.EXCEPTION, RepairKind.CANCEL_ORDER, False),
    ],
)
def test_cancelled_on_channel_is_safe_to_cancel_only_before_dispatch(
    hub_status: HubStatus, repair: RepairKind, safe: bool
) -> None:
    found = one(
        list(
            reconcile_orders([ChannelOrderView("7", CS.CANCELLED)], [HubOrderView("7", hub_status)])
        )
    )
    assert found.discrepancy_class is C.CANCELLED_ON_CHANNEL
    assert found.repair.kind is repair and found.repair.safe is safe
    assert (found.hub_value, found.other_value) == (hub_status.value, "cancelled")


def test_cancelled_in_hub_but_active_on_channel_is_only_explained() -> None:
    found = one(
        list(
            reconcile_orders(
                [ChannelOrderView("8", CS.UNSHIPPED)], [HubOrderView("8", H.CANCELLED)]
            )
        )
    )
    assert found.discrepancy_class is C.CANCELLED_IN_HUB
    assert found.repair.kind is RepairKind.REVIEW and not found.repair.safe


def test_no_line_open_on_the_channel_agrees_with_a_cancelled_hub_order() -> None:
    emptied = ChannelOrderView("8", CS.UNSHIPPED, no_line_open=True)
    assert list(reconcile_orders([emptied], [HubOrderView("8", H.CANCELLED)])) == []


def test_shipment_never_pushed_to_the_channel() -> None:
    hub = HubOrderView("9", H.SHIPPED, frozenset({"TN2", "TN1"}))
    found = one(list(reconcile_orders([ChannelOrderView("9", CS.UNSHIPPED)], [hub])))
    assert found.discrepancy_class is C.SHIPMENT_NOT_ON_CHANNEL
    assert found.repair.kind is RepairKind.PUSH_FULFILMENT and found.repair.safe
    assert found.repair.parameters["tracking_numbers"] == ("TN1", "TN2")
    # a channel that says shipped, without its fulfilments read, is taken at its word
    assert list(reconcile_orders([ChannelOrderView("9", CS.SHIPPED)], [hub])) == []


def test_partial_push_is_completed_and_foreign_tracking_is_a_mismatch() -> None:
    hub = HubOrderView("9", H.SHIPPED, frozenset({"TN1", "TN2"}))
    partial = one(
        list(
            reconcile_orders(
                [ChannelOrderView("9", CS.PARTIALLY_SHIPPED, frozenset({"TN1"}))], [hub]
            )
        )
    )
    assert partial.discrepancy_class is C.SHIPMENT_NOT_ON_CHANNEL
    assert partial.repair.parameters["tracking_numbers"] == ("TN2",)
    other = one(
        list(reconcile_orders([ChannelOrderView("9", CS.SHIPPED, frozenset({"TN1", "XX"}))], [hub]))
    )
    assert other.discrepancy_class is C.TRACKING_MISMATCH
    assert (other.hub_value, other.other_value) == (("TN1", "TN2"), ("TN1", "XX"))
    assert not other.repair.safe
    same = ChannelOrderView("9", CS.SHIPPED, frozenset({"TN1", "TN2"}))
    assert list(reconcile_orders([same], [hub])) == []


def test_unsorted_or_repeated_keys_are_refused() -> None:
    views = [ChannelOrderView("2", CS.UNSHIPPED), ChannelOrderView("1", CS.UNSHIPPED)]
    with pytest.raises(InvalidInput, match="channel order key: '1' comes after '2'"):
        list(reconcile_orders(views, []))
    with pytest.raises(InvalidInput, match="repeats a key"):
        list(merge_join([1, 1], [], left_key=str, right_key=str))


# --- stock ---------------------------------------------------------------------------------


def test_stock_classes_and_adjustments() -> None:
    warehouse = [
        StockCount("DE", "A", 12),
        StockCount("DE", "B", 5),
        StockCount("DE", "C", 3),
        StockCount("DE", "D", 7),
    ]
    ledger = [
        StockCount("DE", "A", 10),
        StockCount("DE", "B", 8),
        StockCount("DE", "C", 9),
        StockCount("DE", "D", 7),
        StockCount("DE", "E", 4),
    ]
    flight = [StockCount("DE", "B", 3), StockCount("DE", "C", 2), StockCount("US", "Z", 1)]
    found = {d.subject["sku"]: d for d in reconcile_stock(warehouse, ledger, flight, tolerance=2)}
    assert sorted(found) == ["A", "B", "C", "E"]
    assert found["A"].discrepancy_class is C.WAREHOUSE_HIGHER
    assert found["A"].repair.parameters["quantity"] == 2 and found["A"].repair.safe
    assert found["B"].discrepancy_class is C.STOCK_IN_FLIGHT
    assert found["B"].repair.kind is RepairKind.NONE and not found["B"].repair.safe
    assert found["C"].discrepancy_class is C.LEDGER_HIGHER
    assert found["C"].repair.parameters["quantity"] == -4  # 6 short, 2 explained in flight
    assert not found["C"].repair.safe  # beyond the tolerance of 2
    assert found["E"].discrepancy_class is C.LEDGER_HIGHER  # the warehouse reports none
    assert (found["E"].hub_value, found["E"].other_value) == (4, 0)


def test_stock_adjustment_is_only_proposed_without_a_tolerance() -> None:
    found = one(list(reconcile_stock([StockCount("DE", "A", 11)], [StockCount("DE", "A", 10)])))
    assert found.repair.kind is RepairKind.ADJUST_STOCK and not found.repair.safe
    assert "no tolerance" in found.explanation


# --- listings ------------------------------------------------------------------------------


def test_quantity_edited_on_the_channel_is_pushed_again() -> None:
    channel = [ListingQuantity("L1", 5), ListingQuantity("L2", 3, "v1"), ListingQuantity("L3", 1)]
    pushed = [ListingQuantity("L1", 5), ListingQuantity("L2", 9, "v1"), ListingQuantity("L4", 2)]
    found = one(list(reconcile_listings(channel, pushed)))
    assert found.discrepancy_class is C.QUANTITY_EDITED_ON_CHANNEL
    assert found.subject == {"listing_id": "L2", "variation_id": "v1"}
    assert (found.hub_value, found.other_value) == (9, 3)
    assert found.repair.safe and found.repair.parameters["quantity"] == 9
    assert found.to_json()["class"] == "quantity_edited_on_channel"


# --- properties: agreeing data reports nothing; k injected differences give exactly k -------

AGREEING = [
    (CS.UNSHIPPED, H.NEW, None),
    (CS.UNSHIPPED, H.DISPATCHED, None),
    (CS.CANCELLED, H.CANCELLED, None),
    (CS.SHIPPED, H.SHIPPED, frozenset({"T"})),
    (CS.DELIVERED, H.DELIVERED, frozenset({"T"})),
]
#: Each injection turns one agreeing order into exactly one discrepancy of the named class.
INJECTIONS = {
    C.ORDER_MISSING_IN_HUB: (CS.UNSHIPPED, None, None),
    C.CANCELLED_ON_CHANNEL: (CS.CANCELLED, H.APPROVED, None),
    C.CANCELLED_IN_HUB: (CS.UNSHIPPED, H.CANCELLED, None),
    C.SHIPMENT_NOT_ON_CHANNEL: (CS.UNSHIPPED, H.SHIPPED, None),
    C.TRACKING_MISMATCH: (CS.SHIPPED, H.SHIPPED, frozenset({"OTHER"})),
}


@st.composite
def order_sets(draw: st.DrawFn) -> tuple[list[ChannelOrderView], list[HubOrderView], list[C]]:
    ids = sorted(draw(st.sets(st.text("0123456789abc", min_size=1, max_size=6), max_size=40)))
    channel: list[ChannelOrderView] = []
    hub: list[HubOrderView] = []
    injected: list[C] = []
    for external_id in ids:
        inject = draw(st.none() | st.sampled_from(list(INJECTIONS)))
        if inject is None:
            state, status, seen = draw(st.sampled_from(AGREEING))
            hub_tracking = seen or frozenset()
        else:
            state, status, seen = INJECTIONS[inject]
            hub_tracking = frozenset({"T"}) if status is H.SHIPPED else frozenset()
            injected.append(inject)
        channel.append(ChannelOrderView(external_id, state, seen))
        if status is not None:
            hub.append(HubOrderView(external_id, status, hub_tracking))
    return channel, hub, injected


@given(order_sets())
@settings(max_examples=150)
def test_orders_exactly_the_injected_differences(
    data: tuple[list[ChannelOrderView], list[HubOrderView], list[C]],
) -> None:
    channel, hub, injected = data
    found = [d.discrepancy_class for d in reconcile_orders(channel, hub)]
    assert sorted(found) == sorted(injected)


@given(
    st.dictionaries(
        st.tuples(st.sampled_from(["DE", "US"]), st.text("ABC", min_size=1, max_size=3)),
        st.tuples(st.integers(0, 50), st.integers(-5, 5)),
        max_size=40,
    ),
    st.integers(0, 3),
)
def test_stock_exactly_the_injected_differences(
    rows: dict[tuple[str, str], tuple[int, int]], tolerance: int
) -> None:
    warehouse, ledger = [], []
    expected = 0
    for (wh, sku), (count, drift) in sorted(rows.items()):
        warehouse.append(StockCount(wh, sku, count + drift))
        ledger.append(StockCount(wh, sku, count))
        expected += drift != 0
    found = list(reconcile_stock(warehouse, ledger, (), tolerance=tolerance))
    assert len(found) == expected
    for d in found:
        assert d.repair.safe == (abs(d.repair.parameters["quantity"]) <= tolerance)  # type: ignore[arg-type]


@given(
    st.dictionaries(
        st.text("xyz0", min_size=1, max_size=4), st.tuples(st.integers(0, 9), st.booleans())
    )
)
def test_listings_exactly_the_injected_differences(rows: dict[str, tuple[int, bool]]) -> None:
    channel = [
        ListingQuantity(k, q + (1 if edited else 0)) for k, (q, edited) in sorted(rows.items())
    ]
    pushed = [ListingQuantity(k, q) for k, (q, _) in sorted(rows.items())]
    found = list(reconcile_listings(channel, pushed))
    assert len(found) == sum(edited for _, edited in rows.values())


@given(st.lists(st.sampled_from(AGREEING), max_size=60))
def test_agreeing_orders_report_nothing(cases: list[tuple[CS, H, frozenset[str] | None]]) -> None:
    channel = [
        ChannelOrderView(f"{i:04d}", state, seen) for i, (state, _, seen) in enumerate(cases)
    ]
    hub = [
        HubOrderView(f"{i:04d}", status, seen or frozenset())
        for i, (_, status, seen) in enumerate(cases)
    ]
    assert list(reconcile_orders(channel, hub)) == []
