"""The hub's side of the settlement reconciliations, summed in SQL and streamed.

:func:`iter_order_money` gives one :class:`~channelhub.core.settlement_checks.OrderMoney` per
order of the period (the order's expected money next to the ledger's sums tied to it, in the
order's currency); :func:`payout_sums` one row per payout per account with the released lines
it pays out, and one per payout id that lines name but the ledger lacks.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, and_, case, func, literal, or_, select, type_coerce, union_all
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.core.order import ChannelOrderState, FulfilledBy
from channelhub.core.settlement import MoneySource, MoneyStatus, MoneyType, from_micros
from channelhub.core.settlement_checks import OrderMoney, PayoutLine, PayoutSums, WarehouseCharge
from channelhub.store.sqldates import Dialect
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.money import MoneyLineRow
from channelhub.store.tables.orders import OrderLineRow, OrderRow

_SHIPPED = (HubStatus.SHIPPED.value, HubStatus.DELIVERED.value)
_BATCH = 5_000


@dataclass(frozen=True)
class Window:
    """Orders placed in [since, until) (None: unbounded), optionally of one account."""

    since: datetime | None = None
    until: datetime | None = None
    account: str | None = None


def _order_filter(w: Window) -> list[Any]:
    where: list[Any] = []
    if w.since is not None:
        where.append(OrderRow.placed_at >= w.since)
    if w.until is not None:
        where.append(OrderRow.placed_at < w.until)
    if w.account is not None:
        where.append(OrderRow.account == w.account)
    return where


def has_warehouse_lines(session: Session, w: Window) -> bool:
    """Whether the ledger holds any warehouse line posted in the window (then every shipped
    order is expected to have one)."""
    m = MoneyLineRow
    where: list[Any] = [m.source == MoneySource.WAREHOUSE.value]
    if w.since is not None:
        where.append(m.posted_at >= w.since)
    if w.until is not None:
        where.append(m.posted_at < w.until)
    return session.scalar(select(m.id).where(*where).limit(1)) is not None


def iter_order_money(session: Session, w: Window) -> Iterator[OrderMoney]:
    """Every order of the window with its ledger sums, streamed (by channel, account, id)."""
    d = Dialect(session.get_bind().dialect.name)
    o, ol, m = OrderRow, OrderLineRow, MoneyLineRow
    orders = (
        select(o.id, o.channel, o.account, o.external_id, o.currency)
        .where(*_order_filter(w))
        .cte("s_orders")
    )
    p, cancelled = orders.c, ol.cancelled_quantity
    lines = (
        select(
            ol.order_id,
            func.sum(func.coalesce(d.micros(ol.unit_price), 0) * (ol.quantity - cancelled))
            .label("expected"),
            func.sum(ol.cancelled_quantity).label("cancelled"),
        )
        .join(orders, p.id == ol.order_id)
        .group_by(ol.order_id)
        .cte("s_lines")
    )  # fmt: skip

    def typed(kind: MoneyType, *, any_currency: bool = False) -> Any:
        same = (
            m.type == kind.value
            if any_currency
            else and_(m.type == kind.value, m.currency == p.currency)
        )
        return case((same, m.amount_micros), else_=0)

    own = (
        select(
            p.id.label("order_id"),
            typed(MoneyType.PRINCIPAL).label("principal"),
            typed(MoneyType.SHIPPING_CHARGED).label("shipping"),
            typed(MoneyType.CHANNEL_FEE).label("fees"),
            case(
                (and_(m.type.in_([MoneyType.REFUND.value, MoneyType.CHARGEBACK.value]),
                      m.currency == p.currency), m.amount_micros),
                else_=0,
            ).label("refunds"),
            case((m.currency != p.currency, 1), else_=0).label("foreign"),
            literal(1).label("channel_lines"),
            literal(0).label("warehouse_lines"),
            typed(MoneyType.PRINCIPAL, any_currency=True).label("principal_any"),
            typed(MoneyType.SHIPPING_CHARGED, any_currency=True).label("shipping_any"),
            typed(MoneyType.CHANNEL_FEE, any_currency=True).label("fees_any"),
            m.currency.label("cur"),
        )
        .join(orders, and_(m.order_channel.is_(None), m.account == p.account,
                           m.order_ref == p.external_id))
    )  # fmt: skip
    served = select(
        p.id.label("order_id"),
        *(literal(0).label(n) for n in ("principal", "shipping", "fees", "refunds", "foreign")),
        literal(0).label("channel_lines"),
        case((m.source == MoneySource.WAREHOUSE.value, 1), else_=0).label("warehouse_lines"),
        *(literal(0).label(n) for n in ("principal_any", "shipping_any", "fees_any")),
        literal(None).label("cur"),
    ).join(orders, and_(m.order_channel == p.channel, m.order_ref == p.external_id))
    both = union_all(own, served).subquery("s_both")
    b = both.c
    money = (
        select(
            b.order_id,
            *(func.sum(getattr(b, n)).label(n) for n in
              ("principal", "shipping", "fees", "refunds", "foreign", "channel_lines",
               "warehouse_lines", "principal_any", "shipping_any", "fees_any")),
            func.min(b.cur).label("cur_min"),
            func.max(b.cur).label("cur_max"),
        )
        .group_by(b.order_id)
        .cte("s_money")
    )  # fmt: skip
    mc = money.c
    shipping = type_coerce(o.document, JSON)[("totals", "shipping", "amount")].as_string()
    refunded = type_coerce(o.document, JSON)[("totals", "refunded", "amount")].as_string()
    query = (
        select(
            o.channel, o.account, o.external_id, o.currency, o.hub_status, o.channel_state,
            o.fulfilled_by, shipping, refunded, lines.c.expected, lines.c.cancelled,
            *(func.coalesce(getattr(mc, n), 0) for n in
              ("principal", "shipping", "fees", "refunds", "foreign", "channel_lines",
               "warehouse_lines", "principal_any", "shipping_any", "fees_any")),
            mc.cur_min, mc.cur_max,
        )
        .join(orders, p.id == o.id)
        .outerjoin(lines, lines.c.order_id == o.id)
        .outerjoin(money, mc.order_id == o.id)
        .order_by(o.channel, o.account, o.external_id)
    )  # fmt: skip
    for row in session.execute(query.execution_options(yield_per=_BATCH)):
        (channel, account, external_id, currency, hub, state, by, ship, refund, expected,
         cancelled, principal, paid_shipping, fees, refunds, foreign, n_channel,
         n_warehouse, principal_any, shipping_any, fees_any, cur_min, cur_max) = row  # fmt: skip
        # every channel line in one currency that is not the order's (Shopify Payments settles
        # in the shop's currency an order the buyer paid in theirs): their own sums, for the
        # checks that need no rate (the fee against the revenue it was taken on)
        settled_in = cur_min if n_channel and cur_min == cur_max and cur_min != currency else None
        if settled_in is not None:
            principal, paid_shipping, fees = principal_any, shipping_any, fees_any
        yield OrderMoney(
            channel=channel,
            account=account,
            external_id=external_id,
            currency=currency,
            cancelled=hub == HubStatus.CANCELLED.value
            or state == ChannelOrderState.CANCELLED.value
            or int(cancelled or 0) > 0,
            refunded_by_channel=bool(refund) and Decimal(refund) > 0,
            shipped=hub in _SHIPPED,
            merchant_fulfilled=by == FulfilledBy.MERCHANT.value,
            expected_principal=from_micros(int(expected or 0)),
            expected_shipping=Decimal(ship) if ship else Decimal(0),
            principal=from_micros(int(principal)),
            shipping=from_micros(int(paid_shipping)),
            channel_fees=from_micros(int(fees)),
            refunds=from_micros(int(refunds)),
            channel_lines=int(n_channel),
            warehouse_lines=int(n_warehouse),
            other_currency_lines=int(foreign),
            settled_in=settled_in,
        )


def iter_warehouse_charges(
    session: Session, w: Window, fees: Mapping[str, Collection[str]]
) -> Iterator[WarehouseCharge]:
    """The warehouse charges posted in the window whose fee name has a declared amount
    (``fees``: per platform, the fee names), each once: the line a provider transaction is
    first stored as (its component has no ``@payout``), not its release or reversal."""
    m, a = MoneyLineRow, Account
    wanted = [
        and_(a.platform == platform, m.description.in_(sorted(names)))
        for platform, names in fees.items()
        if names
    ]
    if not wanted:
        return
    where: list[Any] = [
        m.source == MoneySource.WAREHOUSE.value,
        ~m.component.contains("@"),
        or_(*wanted),
    ]
    if w.since is not None:
        where.append(m.posted_at >= w.since)
    if w.until is not None:
        where.append(m.posted_at < w.until)
    if w.account is not None:
        where.append(m.account == w.account)
    query = (
        select(a.platform, m.account, m.provider_txn_id, m.description, m.amount_micros,
               m.currency, m.order_ref, m.package_ref)
        .join(a, a.name == m.account)
        .where(*where)
        .order_by(m.account, m.posted_at, m.provider_txn_id)
    )  # fmt: skip
    for platform, account, txn, fee, micros, currency, order, package in session.execute(
        query.execution_options(yield_per=_BATCH)
    ):
        yield WarehouseCharge(
            platform, account, txn, fee, from_micros(int(micros)), currency, order, package
        )


def _payout_key() -> Any:
    m = MoneyLineRow
    return func.coalesce(m.payout_ref, m.provider_txn_id)


def payout_sums(
    session: Session, *, account: str | None = None, with_lines: bool = True
) -> list[PayoutSums]:
    """Per (account, payout): the payout's amount and the released lines it pays out, newest
    first; then payout ids lines name without a payout (``amount`` None). The lines of every
    payout that does not reconcile are attached (``with_lines``)."""
    m = MoneyLineRow
    key = _payout_key()
    scope = [m.account == account] if account is not None else []
    payouts = (
        select(
            m.account,
            key.label("payout"),
            m.currency,
            func.sum(m.amount_micros).label("amount"),
            func.min(m.posted_at).label("posted"),
        )
        .where(m.type == MoneyType.PAYOUT.value, *scope)
        .group_by(m.account, key, m.currency)
        .cte("s_payouts")
    )
    paid = (
        select(
            m.account,
            m.payout_ref.label("payout"),
            m.currency,
            func.sum(m.amount_micros).label("released"),
            func.count().label("lines"),
        )
        .where(
            m.type != MoneyType.PAYOUT.value,
            m.status == MoneyStatus.RELEASED.value,
            m.payout_ref.is_not(None),
            *scope,
        )
        .group_by(m.account, m.payout_ref, m.currency)
        .cte("s_paid")
    )
    p, r = payouts.c, paid.c
    joined = and_(r.account == p.account, r.payout == p.payout, r.currency == p.currency)
    matched = select(
        p.account, p.payout, p.currency, p.amount, p.posted,
        func.coalesce(r.released, 0), func.coalesce(r.lines, 0),
    ).outerjoin(paid, joined)  # fmt: skip
    known = select(payouts).where(and_(p.account == r.account, p.payout == r.payout)).exists()
    orphans = select(
        r.account, r.payout, r.currency, literal(None).label("amount"), literal(None),
        r.released, r.lines,
    ).where(~known)  # fmt: skip
    out: list[PayoutSums] = []
    rows = list(session.execute(matched.order_by(p.posted.desc(), p.account, p.payout)))
    rows += list(session.execute(orphans.order_by(r.account, r.payout)))
    for acct, payout, currency, amount, posted, released, n in rows:
        sums = PayoutSums(
            account=acct,
            payout=payout,
            currency=currency,
            amount=None if amount is None else from_micros(int(amount)),
            released=from_micros(int(released)),
            lines=int(n),
            posted=posted.date().isoformat() if isinstance(posted, datetime) else "",
        )
        if with_lines and not sums.reconciles:
            listed = tuple(payout_lines(session, account=acct, payout=payout))
            sums = PayoutSums(**{**sums.__dict__, "listed": listed})
        out.append(sums)
    return out


def payout_lines(session: Session, *, account: str, payout: str) -> list[PayoutLine]:
    """The released lines one payout pays out, by posting time."""
    m = MoneyLineRow
    query = (
        select(m.provider_txn_id, m.component, m.type, m.amount_micros, m.currency, m.order_ref)
        .where(
            m.account == account,
            m.payout_ref == payout,
            m.type != MoneyType.PAYOUT.value,
            m.status == MoneyStatus.RELEASED.value,
        )
        .order_by(m.posted_at, m.provider_txn_id, m.component)
    )
    return [
        PayoutLine(txn, component, kind, from_micros(int(micros)), currency, order)
        for txn, component, kind, micros, currency, order in session.execute(query)
    ]
