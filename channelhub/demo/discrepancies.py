"""The reconciliation stage: two discrepancies injected behind the hub's back, then found
and repaired by the scheduled ``reconcile`` job (``run_job``; the channel accounts carry
``reconcile_repair = true``) and the re-push delivered by the next ``push_stock`` run.

1. an order the import never saw (the channel back-dated it past the import's cursor);
2. a quantity someone edited by hand in the Shopify admin.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select

from channelhub.core.errors import ChannelhubError
from channelhub.demo.channels import amazon_order, amazon_order_id
from channelhub.demo.flow import Hub, run_rounds
from channelhub.demo.scenario import AMAZON_ACCOUNT, SHOPIFY_ACCOUNT, DemoOrder
from channelhub.demo.world import World
from channelhub.jobs.engine.kinds import JobKind
from channelhub.store.repos.reconcile import StoredDiscrepancy
from channelhub.store.tables.orders import OrderRow
from channelhub.store.tables.reconcile import DiscrepancyRow


def missed_order(number: int) -> DemoOrder:
    """An order the import never saw (the channel back-dated it past the import's cursor)."""
    return DemoOrder(number, "US", (("MUG-BLUE", 1),), why="missed by the import")


def missed_order_start(origin: datetime) -> datetime:
    """The missed order is back-dated: placed half a day before the demo's other orders
    (which are from the 6 hours before the demo clock's ``origin``), so before anything the
    import saw, yet within reconciliation's 5-day lookback."""
    return origin - timedelta(hours=12)


#: The Shopify listing whose quantity a shop employee "corrects" by hand in the demo.
EDITED_LISTING = "MUG-BLUE"


def edit_shop_quantity(world: World, sku: str, *, by: int = 7) -> tuple[int, int]:
    """Change a variant's available quantity on the Shopify simulator behind the hub's back,
    as someone editing it in the Shopify admin would; returns (before, after)."""
    data = world.shop.data
    for variant in data.variants():
        if variant.get("sku") != sku:
            continue
        item = variant["inventoryItem"]["id"].rsplit("/", 1)[-1]
        for key in sorted(k for k in data.levels if k[0] == item):
            before = data.levels[key]
            data.levels[key] = before + by
            data.refresh_inventory()
            return before, before + by
    raise ChannelhubError(f"the Shopify simulator has no stocked variant {sku!r}")


async def reconcile(hub: Hub, missed: int) -> None:
    """Inject two discrepancies (an order the hub never imported, a quantity edited by hand
    on Shopify), let reconciliation find and repair them, then deliver the re-push."""
    order = missed_order(missed)
    body = amazon_order(order, missed_order_start(hub.world.clock.origin))
    hub.world.amazon.orders[amazon_order_id(order)] = body
    hub.summary.missed_order = f"amazon:{AMAZON_ACCOUNT}:{amazon_order_id(order)}"
    hub.summary.missed_order_placed = datetime.fromisoformat(str(body["createdTime"]))
    hub.summary.edited_quantity = edit_shop_quantity(hub.world, EDITED_LISTING)
    counts = await run_rounds(hub, (AMAZON_ACCOUNT, SHOPIFY_ACCOUNT), JobKind.RECONCILE, 1)
    with hub.sessions() as session:
        found = [StoredDiscrepancy.of(row) for row in session.scalars(select(DiscrepancyRow))]
    hub.summary.discrepancies_found = counts.new
    hub.summary.discrepancies_repaired = counts.updated
    hub.summary.discrepancy_classes = dict(Counter(d.discrepancy_class for d in found))
    repushed = await run_rounds(hub, (SHOPIFY_ACCOUNT,), JobKind.PUSH_STOCK, rounds=1)
    hub.summary.quantity_repushed = repushed.updated
    with hub.sessions() as session:
        hub.summary.missed_order_backfilled = bool(
            session.scalar(
                select(func.count())
                .select_from(OrderRow)
                .where(OrderRow.external_id == amazon_order_id(order))
            )
        )
