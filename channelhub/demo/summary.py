"""What the demo did, as numbers a seller can read (and a test can check)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rich.table import Table


@dataclass
class DemoSummary:
    """Counts per stage; ``stages`` maps each stage to "done" or "failed: …"."""

    stages: dict[str, str] = field(default_factory=dict)
    imported: dict[str, int] = field(default_factory=dict)  # channel -> orders in the hub
    listings: dict[str, int] = field(default_factory=dict)  # channel -> listings in the hub
    unpaired: list[str] = field(default_factory=list)  # listings pairing could not match
    bound: dict[str, str] = field(default_factory=dict)  # listing -> SKU bound by the seller
    reevaluated: int = 0  # waiting orders re-planned after the binding
    held: dict[str, str] = field(default_factory=dict)  # order -> reason
    allocated: int = 0  # orders with outbound orders queued
    split: int = 0  # of which shipped from more than one warehouse
    split_order: str = ""  # the key of one split order (CHANNEL:ACCOUNT:ID), to look at
    parts: int = 0  # outbound orders queued (one per order part)
    dispatched: int = 0  # outbound orders sent to a warehouse
    warehouse_orders: int = 0  # outbound orders the warehouses hold (must equal ``parts``)
    per_warehouse: dict[str, int] = field(default_factory=dict)  # warehouse -> its orders
    shipments: int = 0  # shipment confirmations applied
    packages: int = 0  # packages in them
    orders_shipped: int = 0  # orders those packages belong to
    callbacks: int = 0  # warehouse callbacks the hub accepted
    tracking_pushed: int = 0  # packages reported to the channels
    tracking_failures: dict[str, str] = field(default_factory=dict)  # tracking no. -> why
    channel_fulfilments: int = 0  # fulfilments the channels hold for them (read back)
    delivered: int = 0  # orders the carrier delivered
    delivered_on_channel: dict[str, dict[str, int]] = field(default_factory=dict)
    # ^ channel -> its own status of the delivered orders, read back after the tracking push
    stock_pushed: int = 0  # listing quantities the channels accepted
    stock_considered: int = 0  # paired listings whose quantity was computed
    stock_problems: dict[str, str] = field(default_factory=dict)  # listing -> why not pushed
    left_unpaired: dict[str, str] = field(default_factory=dict)  # listing -> candidate SKU
    discrepancies_found: int = 0
    discrepancies_repaired: int = 0
    discrepancy_classes: dict[str, int] = field(default_factory=dict)
    missed_order_backfilled: bool = False  # the injected missing order, back in the hub
    missed_order: str = ""  # its key, CHANNEL:ACCOUNT:ID
    missed_order_placed: datetime | None = None  # when the channel says it was placed
    clock_start: datetime | None = None  # the demo clock at the start (in the past)
    clock_end: datetime | None = None  # the demo clock when the last stage ended
    edited_quantity: tuple[int, int] | None = None  # Shopify quantity before/after the edit
    quantity_repushed: int = 0  # quantities stock sync pushed again after reconciliation
    throttled: dict[str, int] = field(default_factory=dict)  # platform -> 429s answered
    reruns: dict[str, str] = field(default_factory=dict)  # job -> error of a run done again
    waited_seconds: float = 0.0  # demo seconds the connectors waited (rate limits, retries)
    elapsed_seconds: float = 0.0

    def _edit(self) -> str:
        if self.edited_quantity is None:
            return "-"
        before, after = self.edited_quantity
        return f"{before} -> {after}"

    def _placed(self) -> str:
        return _when(self.missed_order_placed) if self.missed_order_placed else "-"

    def mark(self, stage: str, outcome: str = "done") -> None:
        self.stages[stage] = outcome

    def failed(self) -> list[str]:
        return [name for name, outcome in self.stages.items() if outcome.startswith("failed")]

    def table(self, home: str = ".channelhub-demo") -> Table:
        """The seller's summary; ``home`` is the demo home as a command line names it."""
        table = Table(title="channelhub demo — what happened", show_lines=False)
        table.add_column("", style="bold")
        table.add_column("result")
        imported = ", ".join(f"{ch} {n}" for ch, n in sorted(self.imported.items()))
        table.add_row("orders imported", imported or "-")
        listings = ", ".join(f"{ch} {n}" for ch, n in sorted(self.listings.items()))
        table.add_row("listings imported", listings or "-")
        pairing = ", ".join(f"{k} -> {v}" for k, v in self.bound.items())
        table.add_row(
            "pairing",
            f"unpaired at import: {', '.join(self.unpaired) or 'none'}; "
            f"bound by the seller: {pairing or '-'}; "
            f"{self.reevaluated} waiting order(s) planned again",
        )
        for listing, candidate in sorted(self.left_unpaired.items()):
            table.add_row(
                "[yellow]left unpaired[/]",
                f"{listing}: no order paired it, so the hub pushes it no stock. Pair it: "
                f"{bind_command(home, listing, candidate)}",
            )
        held = "; ".join(f"{k}: {v}" for k, v in sorted(self.held.items()))
        table.add_row(f"held for review ({len(self.held)})", held or "-")
        table.add_row(
            "allocated",
            f"{self.allocated} orders in {self.parts} warehouse parts "
            f"({self.split} order(s) split across warehouses)",
        )
        table.add_row(
            "dispatched",
            f"{self.dispatched} outbound orders sent; the warehouses hold "
            f"{self.warehouse_orders} "
            f"({', '.join(f'{k} {n}' for k, n in sorted(self.per_warehouse.items())) or '-'})",
        )
        table.add_row(
            "shipped",
            f"{self.packages} packages for {self.orders_shipped} orders "
            f"({self.shipments} shipments); {self.callbacks} warehouse callbacks accepted",
        )
        table.add_row(
            "tracking pushed",
            f"{self.tracking_pushed} packages; the channels hold "
            f"{self.channel_fulfilments} fulfilments (read back)",
        )
        for number, why in sorted(self.tracking_failures.items()):
            table.add_row("[yellow]tracking refused[/]", f"{number}: {why}")
        on_channel = "; ".join(
            f"{channel} {', '.join(f'{status} {n}' for status, n in sorted(statuses.items()))}"
            for channel, statuses in sorted(self.delivered_on_channel.items())
        )
        table.add_row(
            "delivered (carrier events)",
            f"{self.delivered} orders; the channels now say: {on_channel or '-'}",
        )
        unpaired = len(self.left_unpaired)
        table.add_row(
            "stock pushed",
            f"{self.stock_pushed} of {self.stock_considered} paired listings' quantities"
            + (f"; {unpaired} unpaired listing(s) not pushed" if unpaired else ""),
        )
        for listing, why in sorted(self.stock_problems.items()):
            table.add_row("[yellow]stock not pushed[/]", f"{listing}: {why}")
        if self.stages.get("reconciliation") == "done":
            self._reconciliation(table)
        throttled = ", ".join(f"{k} {n}" for k, n in sorted(self.throttled.items()))
        table.add_row(
            "rate limits",
            f"{throttled or 'no'} 429 answers; connectors waited {self.waited_seconds:.0f} s "
            "of demo time for their budgets",
        )
        for job, error in sorted(self.reruns.items()):
            table.add_row("[yellow]job run again[/]", f"{job} after: {error[:160]}")
        for name in self.failed():
            table.add_row(f"[yellow]{name}[/]", self.stages[name])
        if self.clock_start and self.clock_end:
            table.add_row(
                "demo time",
                f"{_when(self.clock_start)} to {_when(self.clock_end)}: the demo clock starts "
                "days back and runs fast, so everything it did is dated in the past",
            )
        table.add_row("elapsed", f"{self.elapsed_seconds:.1f} s")
        return table

    def _reconciliation(self, table: Table) -> None:
        table.add_row(
            "reconciliation",
            f"{self.discrepancies_found} discrepancies found, "
            f"{self.discrepancies_repaired} repaired "
            f"({', '.join(f'{k} {n}' for k, n in sorted(self.discrepancy_classes.items()))}); "
            f"missed order {self.missed_order or '-'} (placed {self._placed()}) back in the hub: "
            f"{'yes' if self.missed_order_backfilled else 'no'}; "
            f"hand-edited Shopify quantity {self._edit()} pushed again: "
            f"{'yes' if self.quantity_repushed else 'no'}",
        )


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def bind_command(home: str, listing: str, candidate: str) -> str:
    """The ``pairing bind`` line that pairs ``listing`` (with the best candidate, if any)."""
    return f"channelhub --home {home} pairing bind {listing} {candidate or 'YOUR-SKU'}"
