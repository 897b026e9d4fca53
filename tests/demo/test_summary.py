"""What the demo's summary tells a new seller, checked against the demo hub it leaves behind:
packages and orders counted apart, the listing left unpaired named with the command that
pairs it (which works), delivered orders with the channel's status read back after the
tracking push, the reconciled order dated in the demo's past, and a closing "What next"
whose commands run on the demo home. Virtual time (``speed=0``), no sleeps."""

from __future__ import annotations

import io
import shlex
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.cli import main
from channelhub.core.lifecycle import HubStatus
from channelhub.core.pairing import PairingConfig
from channelhub.demo.discrepancies import missed_order_start
from channelhub.demo.flow import left_unpaired
from channelhub.demo.next_steps import SETUP_GUIDE, what_next
from channelhub.demo.summary import DemoSummary, bind_command
from channelhub.demo.world import DEMO_SPAN, demo_clock
from channelhub.settings import load_settings
from channelhub.store.db import make_engine, make_session_factory
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderRow


def session_of(home: Path) -> Session:
    engine = make_engine(load_settings(home, env={}).resolved_database_url)
    return make_session_factory(engine)()


def rendered(summary: DemoSummary, home: str = ".channelhub-demo") -> str:
    out = io.StringIO()
    Console(file=out, width=400, highlight=False).print(summary.table(home))
    return " ".join(out.getvalue().split())  # cell text without the layout


def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], line: str) -> str:
    """Run a printed ``channelhub …`` line as the script would; return what it printed."""
    argv = shlex.split(line)
    assert argv[0] == "channelhub", line
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", argv)
    try:
        main()
    except SystemExit as exc:
        assert not exc.code, f"{line}: exit {exc.code}: {capsys.readouterr()}"
    return capsys.readouterr().out


def test_packages_and_orders_are_counted_apart(summary: DemoSummary) -> None:
    assert summary.failed() == []
    assert summary.orders_shipped == summary.allocated  # every allocated order shipped
    assert summary.packages > summary.orders_shipped  # the split order left in two parcels
    text = rendered(summary)
    assert f"{summary.packages} packages for {summary.orders_shipped} orders" in text
    assert f"{summary.delivered} orders; the channels now say" in text


def test_listing_left_unpaired_is_named_with_the_bind_that_pairs_it(
    summary: DemoSummary,
    demo_home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # at this size no order sold these two Amazon listings, so nothing paired them
    assert summary.left_unpaired == {
        "amazon:amazon-us:MUG-BLUE": "MUG-BLUE",
        "amazon:amazon-us:MUG-RED": "MUG-RED",
    }
    text = rendered(summary, "HOME")
    assert "1 unpaired" not in text and "2 unpaired listing(s) not pushed" in text
    home = tmp_path / "copy"  # bind in a copy: the other tests read the demo home as left
    shutil.copytree(demo_home, home)
    for listing, candidate in summary.left_unpaired.items():
        line = bind_command(shlex.quote(str(home)), listing, candidate)
        assert line in text.replace("HOME", shlex.quote(str(home)))
        assert "bound" in cli(monkeypatch, capsys, line)
    with session_of(home) as session:
        assert left_unpaired(session, PairingConfig()) == {}
    with session_of(demo_home) as session:
        assert left_unpaired(session, PairingConfig()) == summary.left_unpaired


def test_delivered_orders_carry_the_channel_status_read_back_after_tracking(
    summary: DemoSummary, demo_home: Path
) -> None:
    on_channel = summary.delivered_on_channel
    assert set(on_channel) == {"amazon", "shopify"}
    assert set(on_channel["amazon"]) == {"SHIPPED"}  # not the imported UNSHIPPED
    assert set(on_channel["shopify"]) == {"PAID/FULFILLED"}  # not PAID/UNFULFILLED
    assert sum(sum(by.values()) for by in on_channel.values()) == summary.delivered
    assert "amazon SHIPPED" in rendered(summary)
    with session_of(demo_home) as session:
        statuses = session.scalars(
            select(OrderRow.channel_status).where(OrderRow.hub_status == HubStatus.DELIVERED.value)
        ).all()
        # the re-import after the tracking push is progress, not a change to the order:
        # no "modified on the channel … intercept it" note on any shipped order
        modified = session.scalar(
            select(func.count())
            .select_from(OrderDecisionRow)
            .where(OrderDecisionRow.kind == "modified")
        )
    assert len(statuses) == summary.delivered and "UNSHIPPED" not in statuses
    assert modified == 0


def test_reconciled_order_is_dated_in_the_demo_past(summary: DemoSummary, demo_home: Path) -> None:
    start, end, placed = summary.clock_start, summary.clock_end, summary.missed_order_placed
    assert start is not None and end is not None and placed is not None
    assert summary.missed_order_backfilled
    # the whole story fits in the span the clock starts before the real now: it ends in the past
    assert end - start < DEMO_SPAN
    # back-dated before every order the import saw, yet inside reconciliation's lookback
    with session_of(demo_home) as session:
        imported = session.scalars(
            select(OrderRow.placed_at).where(
                OrderRow.external_id != summary.missed_order.rsplit(":", 1)[1]
            )
        ).all()
        stored = session.scalar(
            select(OrderRow.placed_at).where(
                OrderRow.external_id == summary.missed_order.rsplit(":", 1)[1]
            )
        )
    assert stored is not None and stored.replace(tzinfo=UTC) == placed
    assert placed < min(when.replace(tzinfo=UTC) for when in imported) < start
    assert placed > end - timedelta(days=5)  # reconcile_lookback_days of the demo accounts
    text = rendered(summary)
    assert placed.strftime("%Y-%m-%d %H:%M UTC") in text
    assert f"{start:%Y-%m-%d %H:%M} UTC to {end:%Y-%m-%d %H:%M} UTC" in text  # demo time row


def test_demo_clock_starts_a_span_before_now_and_missed_order_before_that() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock = demo_clock(0.0, now=now)
    assert clock() == clock.origin == now - DEMO_SPAN
    assert missed_order_start(clock.origin) < clock.origin


def test_what_next_commands_run_on_the_demo_home(
    summary: DemoSummary,
    demo_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    steps = what_next(summary, demo_home)
    commands = [command for command, _ in steps]
    hub = f"channelhub --home {shlex.quote(str(demo_home))}"
    assert f"{hub} orders list" in commands
    assert f"{hub} orders show {summary.split_order}" in commands
    assert f"{hub} jobs log" in commands
    assert any(c.startswith(f"{hub} stock explain ") for c in commands)
    assert "channelhub demo --keep" in commands
    assert any("reconcile" in what for _, what in steps)
    assert commands[-1] == SETUP_GUIDE
    printed = {c: cli(monkeypatch, capsys, c) for c in commands if c.startswith(hub)}
    assert summary.split_order in printed[f"{hub} orders list"]
    shown = printed[f"{hub} orders show {summary.split_order}"]
    assert "delivered" in shown and "tracking" in shown
    assert "sellable" in printed[next(c for c in printed if " stock explain " in c)]
