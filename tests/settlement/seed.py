"""Seeded orders, products, pairings, rates and hand-built ledger lines for settlement tests.

Shop ``acme`` on shopify sells in USD; the warehouse account ``wh`` charges per order.

- SKUs: MUG (cost 2.00 USD, landed 2.40), LID (0.50 USD), SPOON (7.00 CNY), combo SET =
  MUG + 2 x LID, kit BOX = MUG + LID with no cost of its own (costs its components).
- Listings: L-SET -> SET, L-BOX -> BOX, L-2SP -> 2 x SPOON.
- Orders (March 2026): S-1 (2 x L-SET at 20.00, shipping 5.00, shipped), S-2 (1 x L-BOX at
  15.00, shipped), S-3 (1 x L-2SP at 8.00, unshipped).
- Rates: CNY 0.14 USD from 2026-02-20, EUR 1.08 from 2026-03-10 (none before).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from channelhub.core.bindings import Binding, Scope
from channelhub.core.fx import FxRate
from channelhub.core.lifecycle import HubStatus
from channelhub.core.models import Money, Order, OrderLine, OrderTotals
from channelhub.core.products import Component, Sku, SkuKind
from channelhub.core.settlement import (
    MoneyLine,
    MoneySource,
    MoneyStatus,
    MoneyType,
    ProviderRecord,
)
from channelhub.store.repos.fx import save_rates
from channelhub.store.repos.money import record_money
from channelhub.store.repos.orders import upsert_order
from channelhub.store.repos.pairings import save_binding
from channelhub.store.repos.products import upsert_sku

T0 = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
USD = "USD"


def usd(text: str) -> Money:
    return Money.of(text, USD)


def _order(
    external_id: str,
    listing: str,
    qty: int,
    price: str,
    *,
    shipping: str | None = None,
    status: HubStatus = HubStatus.SHIPPED,
) -> Order:
    subtotal = Decimal(price) * qty
    ship = Decimal(shipping or "0")
    return Order(
        channel="shopify",
        account="acme",
        external_id=external_id,
        channel_status="paid",
        hub_status=status,
        placed_at=T0,
        updated_at=T0,
        totals=OrderTotals(
            subtotal=usd(str(subtotal)),
            shipping=usd(shipping) if shipping else None,
            total=usd(str(subtotal + ship)),
        ),
        lines=(OrderLine(line_id="1", listing_id=listing, quantity=qty, unit_price=usd(price)),),
    )


def seed_catalog_and_orders(session: Session) -> None:
    now = T0
    for sku in (
        Sku(code="MUG", cost=usd("2.00"), landed_cost=usd("2.40")),
        Sku(code="LID", cost=usd("0.50")),
        Sku(code="SPOON", cost=Money.of("7.00", "CNY")),
        Sku(
            code="SET",
            kind=SkuKind.COMBO,
            components=(Component(sku="MUG", qty=1), Component(sku="LID", qty=2)),
        ),
        Sku(
            code="BOX",
            kind=SkuKind.KIT,
            components=(Component(sku="MUG", qty=1), Component(sku="LID", qty=1)),
        ),
    ):
        upsert_sku(session, sku, now=now)
    acme = {"scope": Scope.ACCOUNT, "channel": "shopify", "account": "acme"}
    for binding in (
        Binding(**acme, listing_id="L-SET", sku="SET"),
        Binding(**acme, listing_id="L-BOX", sku="BOX"),
        Binding(**acme, listing_id="L-2SP", sku="SPOON", multiplier=2),
    ):
        save_binding(session, binding, now=now, actor="seed")
    for order in (
        _order("S-1", "L-SET", 2, "20.00", shipping="5.00"),
        _order("S-2", "L-BOX", 1, "15.00"),
        _order("S-3", "L-2SP", 1, "8.00", status=HubStatus.APPROVED),
    ):
        upsert_order(session, order, now=now)
    save_rates(
        session,
        [
            FxRate(day=date(2026, 2, 20), currency="CNY", quote=USD, rate=Decimal("0.14")),
            FxRate(day=date(2026, 3, 10), currency="EUR", quote=USD, rate=Decimal("1.08")),
        ],
        now=now,
    )


def line(
    txn: str,
    component: str,
    kind: MoneyType,
    amount: str,
    *,
    order: str | None,
    source: MoneySource = MoneySource.CHANNEL,
    currency: str = USD,
    payout: str | None = "P-1",
    status: MoneyStatus = MoneyStatus.RELEASED,
    posted_at: datetime = T0,
) -> MoneyLine:
    return MoneyLine(
        source=source,
        provider_txn_id=txn,
        component=component,
        type=kind,
        amount=Decimal(amount),
        currency=currency,
        posted_at=posted_at,
        status=status,
        order_ref=order,
        order_channel="shopify" if source is not MoneySource.CHANNEL and order else None,
        payout_ref=payout if source is MoneySource.CHANNEL else None,
    )


def record(*lines: MoneyLine) -> ProviderRecord:
    return ProviderRecord(
        provider_txn_id=lines[0].provider_txn_id,
        kind="transaction",
        payload={"id": lines[0].provider_txn_id, "lines": len(lines)},
        lines=lines,
    )


def channel_records() -> list[ProviderRecord]:
    """Shopify balance transactions of the three orders and their payout P-1 (sums right)."""
    return [
        record(
            line("T-1", "charge", MoneyType.PRINCIPAL, "40.00", order="S-1"),
            line("T-1", "shipping", MoneyType.SHIPPING_CHARGED, "5.00", order="S-1"),
            line("T-1", "fee", MoneyType.CHANNEL_FEE, "-6.75", order="S-1"),  # 15 % of 45
        ),
        record(
            line("T-2", "charge", MoneyType.PRINCIPAL, "15.00", order="S-2"),
            line("T-2", "fee", MoneyType.CHANNEL_FEE, "-2.25", order="S-2"),
        ),
        record(
            line("T-3", "charge", MoneyType.PRINCIPAL, "8.00", order="S-3"),
            line("T-3", "fee", MoneyType.CHANNEL_FEE, "-1.20", order="S-3"),
        ),
        # the payout: 40 + 5 - 6.75 + 15 - 2.25 + 8 - 1.20 = 57.80 leaves the balance
        record(line("PO-1", "payout", MoneyType.PAYOUT, "-57.80", order=None)),
    ]


def warehouse_records() -> list[ProviderRecord]:
    """The warehouse's per-order fees (S-1, S-2 shipped) and a month's storage."""
    wh = MoneySource.WAREHOUSE
    return [
        record(line("W-1", "pick", MoneyType.FULFILMENT_FEE, "-3.00", order="S-1", source=wh)),
        record(line("W-2", "pick", MoneyType.FULFILMENT_FEE, "-2.00", order="S-2", source=wh)),
        record(line("W-3", "storage", MoneyType.STORAGE, "-6.80", order=None, source=wh)),
    ]


def seed_ledger(session: Session) -> None:
    record_money(session, "acme", channel_records(), T0)
    record_money(session, "wh", warehouse_records(), T0)
