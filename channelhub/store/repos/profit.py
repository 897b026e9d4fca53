"""Per-order profit in SQL, in the reporting currency: per order (streamed), summed per SKU,
channel or month, and what keeps the figures incomplete. The query itself (one statement of
CTEs, no Python loop over orders) is :class:`~channelhub.store.repos.profit_query.ProfitBuild`;
the rules are :mod:`channelhub.core.profit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Float, Numeric, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from channelhub.core.fx import MissingRate, day_of
from channelhub.store.repos.analytics import UNPAIRED
from channelhub.store.repos.profit_query import (
    BY,
    FIGURES,
    ProfitBuild,
    ProfitQuery,
    times_rate,
)
from channelhub.store.tables.fx import FxRateRow
from channelhub.store.tables.money import MoneyLineRow
from channelhub.store.tables.orders import OrderRow

__all__ = [
    "BY",
    "FIGURES",
    "ProfitProblems",
    "ProfitQuery",
    "ProfitRow",
    "profit_by_order",
    "profit_grouped",
    "profit_problems",
]


@dataclass(frozen=True)
class ProfitRow:
    """One order (or SKU, channel, month): its figures in the reporting currency.

    ``missing_fx``: amounts left out for want of a rate; ``missing_cost``: order lines whose
    SKU (or a component) has no cost or whose listing is not paired. A row with either has an
    incomplete profit and says so."""

    key: str
    channel: str
    account: str
    month: str
    orders: int
    units: int
    figures: dict[str, Decimal]
    missing_fx: int
    missing_cost: int

    @property
    def complete(self) -> bool:
        return self.missing_fx == 0 and self.missing_cost == 0


@dataclass
class ProfitProblems:
    """What keeps figures incomplete: missing rates, missing costs, unallocated pools."""

    missing_rates: list[MissingRate] = field(default_factory=list)
    unallocated: list[tuple[str, str, Decimal]] = field(default_factory=list)  # month, scope
    unlinked_lines: int = 0  # lines naming an order the hub does not have


def _money(value: Any) -> Decimal:
    return Decimal(int(value or 0)) / 1_000_000


def _row(key: str, values: Any, *, orders: int | None = None) -> ProfitRow:
    m = values._mapping
    return ProfitRow(
        key=key,
        channel=str(m.get("channel") or ""),
        account=str(m.get("account") or ""),
        month=str(m.get("month") or "")[:7],
        orders=int(orders if orders is not None else m.get("orders") or 0),
        units=int(m.get("units") or 0),
        figures={f: _money(m[f]) for f in FIGURES},
        missing_fx=int(m["missing_fx"] or 0),
        missing_cost=int(m["missing_cost"] or 0),
    )


def profit_by_order(
    session: Session, q: ProfitQuery, *, limit: int | None = None
) -> Iterator[ProfitRow]:
    """Each order's profit, newest month first then by external id (streamed)."""
    built = ProfitBuild(session, q)
    per = built.per_order.c
    query = select(built.per_order).order_by(per.month.desc(), per.channel, per.external_id)
    if limit is not None:
        query = query.limit(limit)
    for row in session.execute(query.execution_options(yield_per=5_000)):
        yield _row(row.external_id, row, orders=1)


def profit_grouped(session: Session, q: ProfitQuery, *, by: str) -> list[ProfitRow]:
    """Profit summed per channel, per month, or per SKU (an order's figures shared among its
    lines by their value, else their units; product cost exactly per line)."""
    if by not in BY or by == "order":
        raise ValueError(f"unknown grouping {by!r}")
    built = ProfitBuild(session, q)
    per = built.per_order.c
    sums = [func.sum(getattr(per, f)).label(f) for f in FIGURES]
    tail = [
        func.sum(per.missing_fx).label("missing_fx"),
        func.sum(per.missing_cost).label("missing_cost"),
    ]
    if by != "sku":
        group = per.channel if by == "channel" else per.month
        query = (
            select(
                group.label("key"),
                func.count().label("orders"),
                func.sum(per.units).label("units"),
                *sums,
                *tail,
            )
            .group_by(group)
            .order_by(group)
        )
        return [
            _row(str(r.key or "")[: 7 if by == "month" else None], r)
            for r in session.execute(query)
        ]
    return _by_sku(session, built)


def _by_sku(session: Session, built: ProfitBuild) -> list[ProfitRow]:
    d, lines, per = built.d, built.lines.c, built.per_order.c
    value = lines.unit_price * lines.sold
    order_value = (
        select(lines.order_id, func.sum(value).label("value"), func.sum(lines.sold).label("sold"))
        .group_by(lines.order_id)
        .cte("p_order_value")
    )
    ov = order_value.c
    kind = Numeric if d.pg else Float
    share = case(
        (ov.value > 0, cast(value, kind) / ov.value),
        else_=cast(lines.sold, kind) / func.nullif(ov.sold, 0),
    )
    sku = func.coalesce(lines.sku, UNPAIRED)

    def part(name: str) -> Any:
        return func.sum(cast(func.round(getattr(per, name) * share), BigInteger)).label(name)

    shared = [f for f in FIGURES if f not in ("product_cost", "direct_profit", "profit")]
    query = (
        select(
            sku.label("key"),
            func.count(lines.order_id.distinct()).label("orders"),
            func.sum(lines.units).label("units"),
            *(part(f) for f in shared),
            func.count(case((per.missing_fx > 0, per.id)).distinct()).label("missing_fx"),
        )
        .join(built.per_order, per.id == lines.order_id)
        .join(order_value, ov.order_id == lines.order_id)
        .group_by(sku)
        .order_by(sku)
    )
    costs = _line_costs(session, built)
    out: list[ProfitRow] = []
    for row in session.execute(query):
        cost, missing = costs.get(row.key, (0, 0))
        figures = {f: _money(getattr(row, f, 0)) for f in shared}
        figures["product_cost"] = _money(cost)
        figures["direct_profit"] = sum((figures[f] for f in FIGURES[:7]), start=Decimal(0))
        figures["profit"] = figures["direct_profit"] + figures["allocated"]
        out.append(
            ProfitRow(
                row.key, "", "", "", int(row.orders), int(row.units or 0), figures,
                int(row.missing_fx or 0), missing,
            )
        )  # fmt: skip
    return out


def _line_costs(session: Session, built: ProfitBuild) -> dict[str, tuple[int, int]]:
    """Product cost (reporting currency, micros) and lines missing a cost, per bound SKU."""
    # the product-cost amounts are per order; per SKU they are re-derived from the lines
    lines, p = built.lines.c, built.orders.c
    leaves = built.leaves()
    quote = built.q.currency
    f = FxRateRow
    rate = (
        select(f.rate_nanos)
        .where(f.currency == leaves.c.currency, f.quote == quote, f.day <= p.day)
        .order_by(f.day.desc())
        .limit(1)
        .scalar_subquery()
    )
    raw = -lines.units * func.coalesce(leaves.c.unit_cost, 0)
    same = func.coalesce(leaves.c.currency, quote) == quote
    value = case((same, raw), else_=times_rate(built.d, raw, rate))
    missing = case(
        (leaves.c.unit_cost.is_(None), 1),
        (and_(~same, rate.is_(None)), 1),
        else_=0,
    )
    sku = func.coalesce(lines.sku, UNPAIRED)
    query = (
        select(sku, func.sum(func.coalesce(value, 0)), func.sum(missing))
        .join(built.orders, p.id == lines.order_id)
        .outerjoin(leaves, leaves.c.root == lines.sku)
        .where(lines.units > 0)
        .group_by(sku)
    )
    return {str(k): (int(v or 0), int(n or 0)) for k, v, n in session.execute(query)}


def profit_problems(session: Session, q: ProfitQuery) -> ProfitProblems:
    """The rates missing (per currency: the first day without one, and how many amounts),
    period costs no order took, and ledger lines naming an order the hub does not have."""
    built = ProfitBuild(session, q)
    c = built.converted.c
    problems = ProfitProblems()
    query = (
        select(c.currency, func.min(c.day), func.count())
        .where(c.missing_fx > 0)
        .group_by(c.currency)
        .order_by(c.currency)
    )
    problems.missing_rates = [
        MissingRate(currency, day_of(int(first)), int(n))
        for currency, first, n in session.execute(query)
    ]
    pools, totals = built.pools.c, built.totals.c
    orphans = (
        select(pools.month, pools.scope, pools.amount)
        .outerjoin(built.totals, and_(totals.month == pools.month, totals.scope == pools.scope))
        .where(or_(totals.weight.is_(None), totals.weight == 0), pools.amount != 0)
        .order_by(pools.month, pools.scope)
    )
    problems.unallocated = [
        (str(month)[:7], scope or "(warehouses and carriers)", _money(amount))
        for month, scope, amount in session.execute(orphans)
    ]
    m, o = MoneyLineRow, OrderRow
    linked = or_(
        and_(m.order_channel.is_(None), o.account == m.account),
        and_(m.order_channel == o.channel),
    )
    known = select(o.id).where(o.external_id == m.order_ref, linked).exists()
    where: list[Any] = [m.order_ref.is_not(None), ~known]
    if q.since is not None:
        where.append(m.posted_at >= q.since)
    if q.until is not None:
        where.append(m.posted_at < q.until)
    problems.unlinked_lines = int(session.scalar(select(func.count()).where(*where)) or 0)
    return problems
