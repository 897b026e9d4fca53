"""The per-order profit query: the ledger, the product cost and the allocated period costs
of every order, in the reporting currency, in one query of CTEs (no Python loop over orders).

The query, as CTEs (see :mod:`channelhub.core.profit` for the rules):

1. ``amounts``: every ledger line tied to an order of the period, summed per (order, bucket,
   currency, posting day); every order line's product cost per (order, currency, order day):
   the line's SKU through the pairing in force (as the reports resolve it), x multiplier,
   expanded by a recursive walk of the recipes to what was really shipped (a combo to its
   components; a kit to itself when it has a cost, else to its components), at each leaf's
   landed cost, else its cost; and the month's period costs (cost lines tied to no order) as
   pools per (month, account for a channel's, '' for a warehouse's or carrier's).
2. ``converted``: each amount at the rate of its currency on the latest day on or before
   its day (looked up once per distinct (currency, day)); no rate leaves it NULL and counted.
3. per order: the bucket sums, the allocation weight; per pool: its share of each order.

Arithmetic: ledger amounts are integer millionths (exact); a converted amount is rounded to
a millionth (NUMERIC on PostgreSQL, double precision on SQLite: exact to the cent for any
amount below 10^9).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Numeric,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from channelhub.core.profit import ALLOCATED_TYPES, AllocationRule, Bucket, types_in
from channelhub.core.settlement import MoneySource
from channelhub.store.repos.analytics import _resolved_listings, dialect_of
from channelhub.store.sqldates import Dialect
from channelhub.store.tables.fx import FxRateRow
from channelhub.store.tables.money import MoneyLineRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow
from channelhub.store.tables.products import SkuComponentRow, SkuRow

PRODUCT_COST = "product_cost"
POOL = "pool"
BY = ("order", "sku", "channel", "month")
FIGURES = (
    "revenue",
    "refunds",
    "channel_fees",
    "fulfilment",
    "labels",
    "other",
    "product_cost",
    "direct_profit",
    "allocated",
    "profit",
)


@dataclass(frozen=True)
class ProfitQuery:
    """What to compute: orders placed in [since, until) (None: no bound), in ``currency``."""

    currency: str
    rule: AllocationRule = AllocationRule.REVENUE
    since: datetime | None = None
    until: datetime | None = None
    channel: str | None = None
    external_id: str | None = None


def times_rate(d: Dialect, amount: Any, rate_nanos: Any) -> Any:
    """``amount`` (millionths) x ``rate_nanos`` / 10^9, never overflowing a BIGINT."""
    if d.pg:
        return cast(func.round(cast(amount, Numeric) * rate_nanos / 1_000_000_000), BigInteger)
    return cast(func.round(cast(amount, Float) * rate_nanos / 1_000_000_000.0), BigInteger)


def _ratio(d: Dialect, amount: Any, weight: Any, total: Any) -> Any:
    """``amount`` x weight / total rounded to a millionth (0 when total is 0)."""
    kind = Numeric if d.pg else Float
    share = cast(amount, kind) * weight / func.nullif(total, 0)
    return func.coalesce(cast(func.round(share), BigInteger), 0)


class ProfitBuild:
    """The CTEs of one profit computation, shared by the queries that read them."""

    def __init__(self, session: Session, q: ProfitQuery) -> None:
        self.d = d = dialect_of(session)
        if d.pg:  # the plan's cost estimate trips JIT compilation: 1.2 s of a 2 s query at
            session.execute(text("SET LOCAL jit = off"))  # 5,000 orders, more with its size
        self.q = q
        o = OrderRow
        where = []
        if q.since is not None:
            where.append(o.placed_at >= q.since)
        if q.until is not None:
            where.append(o.placed_at < q.until)
        if q.channel is not None:
            where.append(o.channel == q.channel)
        if q.external_id is not None:
            where.append(o.external_id == q.external_id)
        self.orders = (
            select(
                o.id,
                o.channel,
                o.account,
                o.external_id,
                o.placed_at,
                d.bucket(o.placed_at, "month").label("month"),
                d.day_number(o.placed_at).label("day"),
            )
            .where(*where)
            .cte("p_orders")
        )
        self.lines = self._order_lines()
        self.amounts = union_all(
            self._ledger_amounts(linked_by_channel=False),
            self._ledger_amounts(linked_by_channel=True),
            self._cost_amounts(),
            self._pools(),
        ).cte("p_amounts")
        self.converted = self._converted()
        self.per_order = self._per_order()

    # -- 1. amounts -------------------------------------------------------------------------
    def _bucket(self) -> Any:
        t = MoneyLineRow.type
        return case(
            *((t.in_(types_in(b)), literal(b.value)) for b in Bucket if b is not Bucket.OTHER),
            else_=literal(Bucket.OTHER.value),
        )

    def _ledger_amounts(self, *, linked_by_channel: bool) -> Any:
        m, p = MoneyLineRow, self.orders.c
        if linked_by_channel:  # a warehouse's or carrier's line naming the channel's order
            on = and_(m.order_channel == p.channel, m.order_ref == p.external_id)
        else:
            on = and_(
                m.order_channel.is_(None), m.account == p.account, m.order_ref == p.external_id
            )
        bucket = self._bucket()
        day = self.d.day_number(m.posted_at)
        return (
            select(
                p.id.label("order_id"),
                bucket.label("bucket"),
                m.currency,
                day.label("day"),
                func.sum(m.amount_micros).label("amount"),
                literal(0).label("missing_cost"),
                cast(null(), String).label("month"),
                cast(null(), String).label("scope"),
            )
            .join(self.orders, on)
            .where(m.order_ref.is_not(None))
            .group_by(p.id, bucket, m.currency, day)
        )

    def _order_lines(self) -> Any:
        """Each order line of the period with its SKU resolved and its units net of
        cancellations (``sku`` NULL: not paired)."""
        ol, p = OrderLineRow, self.orders.c
        keys = (
            select(
                ol.id,
                p.channel,
                p.account,
                func.coalesce(ol.listing_id, "").label("listing_id"),
                func.coalesce(ol.variation_id, "").label("variation_id"),
                func.coalesce(ol.channel_sku, "").label("channel_sku"),
            )
            .join(self.orders, p.id == ol.order_id)
            .cte("p_keys")
        )
        resolved = _resolved_listings(keys)
        return (
            select(
                ol.id.label("line_id"),
                ol.order_id,
                resolved.c.sku,
                ((ol.quantity - ol.cancelled_quantity) * func.coalesce(resolved.c.multiplier, 1))
                .label("units"),
                func.coalesce(self.d.micros(ol.unit_price), 0).label("unit_price"),
                (ol.quantity - ol.cancelled_quantity).label("sold"),
            )
            .join(self.orders, self.orders.c.id == ol.order_id)
            .outerjoin(resolved, resolved.c.id == ol.id)
            .cte("p_lines")
        )  # fmt: skip

    def leaves(self) -> Any:
        """(root SKU, leaf SKU, units of leaf per root) walking combos and cost-less kits."""
        s, c = SkuRow, SkuComponentRow
        walk = select(s.code.label("root"), s.code.label("node"), literal(1).label("qty")).cte(
            "p_walk", recursive=True
        )
        parent = SkuRow.__table__.alias("parent")
        expands = or_(
            parent.c.kind == "combo",
            and_(
                parent.c.kind == "kit",
                parent.c.cost_micros.is_(None),
                parent.c.landed_cost_micros.is_(None),
            ),
        )
        step = (
            select(walk.c.root, c.component_code, walk.c.qty * c.qty)
            .join(parent, parent.c.code == walk.c.node)
            .join(c, c.sku_id == parent.c.id)
            .where(expands)
        )
        walk = walk.union_all(step)
        leaf = SkuRow.__table__.alias("leaf")
        leaf_expands = or_(
            leaf.c.kind == "combo",
            and_(
                leaf.c.kind == "kit",
                leaf.c.cost_micros.is_(None),
                leaf.c.landed_cost_micros.is_(None),
            ),
        )
        unit_cost = func.coalesce(leaf.c.landed_cost_micros, leaf.c.cost_micros)
        return (
            select(
                walk.c.root,
                leaf.c.cost_currency.label("currency"),
                (walk.c.qty * unit_cost).label("unit_cost"),
            )
            .join(leaf, leaf.c.code == walk.c.node)
            .where(~leaf_expands)
            .cte("p_leaves")
        )

    def _cost_amounts(self) -> Any:
        lines, p = self.lines.c, self.orders.c
        leaves = self.leaves()
        missing = case((leaves.c.unit_cost.is_(None), 1), (lines.sku.is_(None), 1), else_=0)
        currency = func.coalesce(leaves.c.currency, self.q.currency)
        return (
            select(
                lines.order_id,
                literal(PRODUCT_COST).label("bucket"),
                currency.label("currency"),
                p.day,
                func.sum(-lines.units * func.coalesce(leaves.c.unit_cost, 0)).label("amount"),
                func.sum(missing).label("missing_cost"),
                cast(null(), String).label("month"),
                cast(null(), String).label("scope"),
            )
            .join(self.orders, p.id == lines.order_id)
            .outerjoin(leaves, leaves.c.root == lines.sku)
            .where(lines.units > 0)
            .group_by(lines.order_id, currency, p.day)
        )

    def _pools(self) -> Any:
        m, d, q = MoneyLineRow, self.d, self.q
        day, month = d.day_number(m.posted_at), d.bucket(m.posted_at, "month")
        scope = case((m.source == MoneySource.CHANNEL.value, m.account), else_=literal(""))
        where: list[Any] = [
            m.order_ref.is_(None),
            m.type.in_(sorted(t.value for t in ALLOCATED_TYPES)),
        ]
        if q.since is not None:
            where.append(m.posted_at >= q.since)
        if q.until is not None:
            where.append(m.posted_at < q.until)
        return (
            select(
                cast(null(), BigInteger).label("order_id"),
                literal(POOL).label("bucket"),
                m.currency,
                day.label("day"),
                func.sum(m.amount_micros).label("amount"),
                literal(0).label("missing_cost"),
                month.label("month"),
                scope.label("scope"),
            )
            .where(*where)
            .group_by(m.currency, day, month, scope)
        )

    # -- 2. conversion ----------------------------------------------------------------------
    def _converted(self) -> Any:
        a, quote = self.amounts.c, self.q.currency
        days = select(a.currency, a.day).where(a.currency != quote).distinct().cte("p_fx_days")
        f = FxRateRow
        rate = (
            select(f.rate_nanos)
            .where(f.currency == days.c.currency, f.quote == quote, f.day <= days.c.day)
            .order_by(f.day.desc())
            .limit(1)
            .scalar_subquery()
        )
        rates = select(days.c.currency, days.c.day, rate.label("rate")).cte("p_rates")
        same = a.currency == quote
        value = case(
            (same, a.amount),
            else_=times_rate(self.d, a.amount, rates.c.rate),
        )
        return (
            select(
                a.order_id,
                a.bucket,
                a.currency,
                a.day,
                a.month,
                a.scope,
                a.missing_cost,
                value.label("value"),
                case((and_(~same, rates.c.rate.is_(None)), 1), else_=0).label("missing_fx"),
            )
            .outerjoin(rates, and_(rates.c.currency == a.currency, rates.c.day == a.day))
            .cte("p_converted")
        )

    # -- 3. per order and allocation --------------------------------------------------------
    def _per_order(self) -> Any:
        c, p = self.converted.c, self.orders.c

        def total(bucket: str) -> Any:
            return func.coalesce(func.sum(case((c.bucket == bucket, c.value), else_=0)), 0)

        money = (
            select(
                c.order_id,
                *(total(b).label(b) for b in (*(x.value for x in Bucket), PRODUCT_COST)),
                func.sum(c.missing_fx).label("missing_fx"),
                func.sum(c.missing_cost).label("missing_cost"),
            )
            .where(c.order_id.is_not(None))
            .group_by(c.order_id)
            .cte("p_money")
        )
        units = (
            select(self.lines.c.order_id, func.sum(self.lines.c.sold).label("units"))
            .group_by(self.lines.c.order_id)
            .cte("p_units")
        )
        mc, z = money.c, func.coalesce
        weight = {
            AllocationRule.REVENUE: z(mc.revenue, 0),
            AllocationRule.UNITS: z(units.c.units, 0),
            AllocationRule.ORDERS: literal(1),
        }[self.q.rule]
        direct = (
            z(mc.revenue, 0)
            + z(mc.refunds, 0)
            + z(mc.channel_fees, 0)
            + z(mc.fulfilment, 0)
            + z(mc.labels, 0)
            + z(mc.other, 0)
            + z(mc.product_cost, 0)
        )
        base = (
            select(
                p.id,
                p.channel,
                p.account,
                p.external_id,
                p.month,
                z(units.c.units, 0).label("units"),
                *(z(getattr(mc, b), 0).label(b) for b in FIGURES[:7]),
                direct.label("direct_profit"),
                weight.label("weight"),
                z(mc.missing_fx, 0).label("missing_fx"),
                z(mc.missing_cost, 0).label("missing_cost"),
            )
            .outerjoin(money, mc.order_id == p.id)
            .outerjoin(units, units.c.order_id == p.id)
            .cte("p_base")
        )
        b = base.c
        self.base = base
        totals = union_all(
            select(b.month, b.account.label("scope"), func.sum(b.weight).label("weight"))
            .group_by(b.month, b.account),
            select(b.month, literal("").label("scope"), func.sum(b.weight).label("weight"))
            .group_by(b.month),
        ).cte("p_weights")  # fmt: skip
        pools = (
            select(c.month, c.scope, func.sum(c.value).label("amount"),
                   func.sum(c.missing_fx).label("missing_fx"))
            .where(c.bucket == POOL)
            .group_by(c.month, c.scope)
            .cte("p_pools")
        )  # fmt: skip
        self.pools, self.totals = pools, totals
        shares = (
            select(
                b.id,
                func.sum(_ratio(self.d, pools.c.amount, b.weight, totals.c.weight))
                .label("allocated"),
                func.sum(pools.c.missing_fx).label("missing_fx"),
            )
            .join(pools, and_(pools.c.month == b.month,
                              or_(pools.c.scope == b.account, pools.c.scope == "")))
            .join(totals, and_(totals.c.month == pools.c.month, totals.c.scope == pools.c.scope))
            .group_by(b.id)
            .cte("p_shares")
        )  # fmt: skip
        allocated = z(shares.c.allocated, 0)
        return (
            select(
                b.id,
                b.channel,
                b.account,
                b.external_id,
                b.month,
                b.units,
                *(getattr(b, f) for f in FIGURES[:8]),
                allocated.label("allocated"),
                (b.direct_profit + allocated).label("profit"),
                (b.missing_fx + z(shares.c.missing_fx, 0)).label("missing_fx"),
                b.missing_cost,
            )
            .outerjoin(shares, shares.c.id == b.id)
            .cte("p_per_order")
        )
