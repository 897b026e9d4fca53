"""The exceptions inbox: every open thing that waits for a person, one row per item, with
the request that was sent and the answer that came back (excerpts), where to open the record
and how to retry it.

Kinds (the counts add up to :func:`channelhub.jobs.desk.overview.open_exceptions`, whose total
every console page shows): held orders; failed dispatches (orders in ``exception`` and dead
warehouse-order messages); refused tracking pushes (dead fulfilment messages); dead letters;
stock pushes the mass-drop guard stopped. Refused stock pushes (a listing whose newest push
the channel rejected) are listed beside them: the push job retries those itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from channelhub.core.lifecycle import HubStatus
from channelhub.jobs.fulfilment.outbound import FULFILMENT
from channelhub.jobs.orders.stopping import OUTBOUND_CANCEL, OUTBOUND_CREATE
from channelhub.store.repos.payloads import get_raw_payload
from channelhub.store.repos.stock_sync import list_blocks
from channelhub.store.tables.jobs import DeadLetter, DeadLetterState
from channelhub.store.tables.orders import OrderRow, OrderTransitionRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock_sync import PushState, StockPushRow

EXCERPT = 300


class ExceptionKind(StrEnum):
    """One section of the inbox."""

    HELD = "held"
    FAILED_DISPATCH = "failed_dispatch"
    REFUSED_TRACKING = "refused_tracking"
    DEAD_LETTER = "dead_letter"
    STOCK_BLOCK = "stock_block"
    REFUSED_STOCK = "refused_stock"


TITLES = {
    ExceptionKind.HELD: "Held orders",
    ExceptionKind.FAILED_DISPATCH: "Failed dispatches",
    ExceptionKind.REFUSED_TRACKING: "Refused tracking pushes",
    ExceptionKind.DEAD_LETTER: "Dead letters",
    ExceptionKind.STOCK_BLOCK: "Stock pushes stopped (mass drop)",
    ExceptionKind.REFUSED_STOCK: "Refused stock pushes",
}


class Retry(StrEnum):
    """How a row is retried (the console's button; the CLI verb in the comment)."""

    NONE = ""
    OUTBOX = "outbox"  # channelhub jobs replay ID --outbox
    DEAD_LETTER = "dead_letter"  # channelhub jobs replay ID
    RELEASE = "release"  # channelhub orders release ORDER


@dataclass(frozen=True)
class ExceptionRow:
    """One open item: what, when, the request and answer excerpts, the record, the retry."""

    kind: ExceptionKind
    id: str  # the retry's subject: order key, outbox message id, dead letter id
    subject: str
    at: datetime | None
    request: str
    answer: str
    record: str  # the console path of the record (order page, jobs, stock)
    retry: Retry = Retry.NONE


def excerpt(value: Any, limit: int = EXCERPT) -> str:
    """A short, readable excerpt of a request or an answer (JSON stays JSON)."""
    if value is None or value == {} or value == "":
        return ""
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = value
    else:
        if isinstance(value, dict):  # empty fields say nothing: leave them out
            value = {k: v for k, v in value.items() if v not in (None, "", [], {})}
        text = json.dumps(value, default=str, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _order_path(key: str) -> str:
    return f"/orders/{key}"


def _outbound_kinds() -> list[str]:
    return [OUTBOUND_CREATE, OUTBOUND_CANCEL]


def _dead(session: Session, kinds: list[str], *, include: bool) -> Any:
    kind = OutboxMessage.kind.in_(kinds) if include else OutboxMessage.kind.not_in(kinds)
    return select(OutboxMessage).where(OutboxMessage.state == OutboxState.DEAD.value, kind)


def exception_counts(session: Session) -> dict[ExceptionKind, int]:
    """How many rows each section holds."""

    def count(query: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)

    orders = select(OrderRow.id)
    return {
        ExceptionKind.HELD: count(orders.where(OrderRow.hub_status == HubStatus.ON_HOLD.value)),
        ExceptionKind.FAILED_DISPATCH: count(
            orders.where(OrderRow.hub_status == HubStatus.EXCEPTION.value)
        )
        + count(_dead(session, [FULFILMENT], include=False)),
        ExceptionKind.REFUSED_TRACKING: count(_dead(session, [FULFILMENT], include=True)),
        ExceptionKind.DEAD_LETTER: count(
            select(DeadLetter.id).where(DeadLetter.state == DeadLetterState.OPEN.value)
        ),
        ExceptionKind.STOCK_BLOCK: len(list_blocks(session)),
        ExceptionKind.REFUSED_STOCK: count(_refused_stock_query()),
    }


def _last_reasons(session: Session, order_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """The newest transition's reason and time for each order (one query)."""
    newest = (
        select(func.max(OrderTransitionRow.id))
        .where(OrderTransitionRow.order_id.in_(order_ids))
        .group_by(OrderTransitionRow.order_id)
    )
    rows = session.execute(
        select(OrderTransitionRow.order_id, OrderTransitionRow.reason, OrderTransitionRow.at).where(
            OrderTransitionRow.id.in_(newest)
        )
    )
    return {order_id: (reason, at) for order_id, reason, at in rows}


def _orders(
    session: Session, kind: ExceptionKind, status: HubStatus, limit: int, offset: int
) -> list[ExceptionRow]:
    rows = session.execute(
        select(OrderRow.id, OrderRow.channel, OrderRow.account, OrderRow.external_id)
        .where(OrderRow.hub_status == status.value)
        .order_by(OrderRow.updated_at.desc(), OrderRow.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    reasons = _last_reasons(session, [r.id for r in rows])
    out = []
    for r in rows:
        key = f"{r.channel}:{r.account}:{r.external_id}"
        reason, at = reasons.get(r.id, ("", None))
        out.append(
            ExceptionRow(
                kind=kind,
                id=key,
                subject=f"order {key}",
                at=at,
                request="",
                answer=excerpt(reason),
                record=_order_path(key),
                retry=Retry.RELEASE if status is HubStatus.ON_HOLD else Retry.NONE,
            )
        )
    return out


def _messages(
    session: Session, kind: ExceptionKind, query: Any, limit: int, offset: int
) -> list[ExceptionRow]:
    rows = session.scalars(query.order_by(OutboxMessage.id).limit(limit).offset(offset)).all()
    out = []
    for m in rows:
        order_key = str(m.payload.get("order_key") or m.idempotency_key.split("#", 1)[0])
        out.append(
            ExceptionRow(
                kind=kind,
                id=str(m.id),
                subject=f"{m.kind} {m.idempotency_key} -> {m.target} ({m.attempts} tries)",
                at=m.updated_at,
                request=excerpt({k: v for k, v in m.payload.items() if k != "answer"}),
                answer=excerpt(m.last_error or m.payload.get("answer")),
                record=_order_path(order_key) if order_key.count(":") >= 2 else "/jobs",
                retry=Retry.OUTBOX,
            )
        )
    return out


def _letters(session: Session, limit: int, offset: int) -> list[ExceptionRow]:
    rows = session.scalars(
        select(DeadLetter)
        .where(DeadLetter.state == DeadLetterState.OPEN.value)
        .order_by(DeadLetter.id)
        .limit(limit)
        .offset(offset)
    ).all()
    out = []
    for letter in rows:
        raw = get_raw_payload(session, letter.raw_payload_id) if letter.raw_payload_id else None
        request = excerpt(raw.body) if raw is not None else excerpt(letter.payload)
        what = f"{letter.subject} {letter.external_id}" if letter.external_id else letter.subject
        out.append(
            ExceptionRow(
                kind=ExceptionKind.DEAD_LETTER,
                id=str(letter.id),
                subject=f"{letter.account} {letter.job_kind}: {what} ({letter.attempts} tries)",
                at=letter.updated_at,
                request=request,
                answer=excerpt(letter.reason),
                record=f"/jobs?account={letter.account}&job={letter.job_kind}",
                retry=Retry.DEAD_LETTER,
            )
        )
    return out


def _blocks(session: Session, limit: int, offset: int) -> list[ExceptionRow]:
    return [
        ExceptionRow(
            kind=ExceptionKind.STOCK_BLOCK,
            id=f"{b.channel}:{b.account}",
            subject=f"stock push to {b.channel}:{b.account} stopped ({len(b.drops)} listing(s))",
            at=b.blocked_at,
            request=excerpt([{"listing": k, "before": x, "after": y} for k, x, y in b.drops]),
            answer=excerpt(b.reason),
            record=f"/stock?account={b.account}",
        )
        for b in list_blocks(session)[offset : offset + limit]
    ]


def _refused_stock_query() -> Any:
    newest = select(func.max(StockPushRow.id)).group_by(
        StockPushRow.channel,
        StockPushRow.account,
        StockPushRow.listing_id,
        StockPushRow.variation_id,
    )
    return select(StockPushRow).where(
        StockPushRow.id.in_(newest), StockPushRow.state == PushState.REJECTED.value
    )


def _refused_stock(session: Session, limit: int, offset: int) -> list[ExceptionRow]:
    rows = session.scalars(
        _refused_stock_query().order_by(StockPushRow.id.desc()).limit(limit).offset(offset)
    ).all()
    out = []
    for p in rows:
        listing = p.listing_id + (f"/{p.variation_id}" if p.variation_id else "")
        again = "retried by the next push run" if p.retryable else "not retried"
        out.append(
            ExceptionRow(
                kind=ExceptionKind.REFUSED_STOCK,
                id=str(p.id),
                subject=f"{p.channel}:{p.account} listing {listing}: {p.quantity} ({again})",
                at=p.answered_at or p.pushed_at,
                request=excerpt({"quantity": p.quantity, "previous": p.previous}),
                answer=excerpt(p.reason),
                record=f"/stock?account={p.account}",
            )
        )
    return out


def exception_rows(
    session: Session, kind: ExceptionKind, *, limit: int = 51, offset: int = 0
) -> list[ExceptionRow]:
    """One page of one section of the inbox."""
    if kind is ExceptionKind.HELD:
        return _orders(session, kind, HubStatus.ON_HOLD, limit, offset)
    if kind is ExceptionKind.FAILED_DISPATCH:
        orders = _orders(session, kind, HubStatus.EXCEPTION, limit + offset, 0)
        dead = _messages(
            session, kind, _dead(session, [FULFILMENT], include=False), limit + offset, 0
        )
        return [*dead, *orders][offset : offset + limit]
    if kind is ExceptionKind.REFUSED_TRACKING:
        query = _dead(session, [FULFILMENT], include=True)
        return _messages(session, kind, query, limit, offset)
    if kind is ExceptionKind.DEAD_LETTER:
        return _letters(session, limit, offset)
    if kind is ExceptionKind.STOCK_BLOCK:
        return _blocks(session, limit, offset)
    return _refused_stock(session, limit, offset)
