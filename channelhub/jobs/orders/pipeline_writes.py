"""What a pipeline chunk writes, gathered while it plans and written at its end, set-based.

One statement per table for the whole chunk: the status moves (one guarded ``UPDATE .. FROM``
the chunk's (order, from, to) triples, where the order still holds its from), decisions,
transitions, ledger movements (with their running sums, ``stock_position``, in the same code
path: :func:`~channelhub.store.repos.rollups.stock_rollup_add`), outbox messages and the
stock-push dirty marks. Rows go through SQLAlchemy Core (no ORM unit of work) as one
multi-row statement (``insertmanyvalues``) on both databases.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from json.encoder import encode_basestring_ascii
from typing import Any, cast

from sqlalchemy import Table, bindparam, text
from sqlalchemy.orm import Session

from channelhub.core.allocation import AllocationDecision
from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.flow import OrderPlan
from channelhub.core.lifecycle import HubStatus, transition
from channelhub.core.order import Order, OrderKey
from channelhub.core.stock import Balance
from channelhub.core.types import replaced
from channelhub.jobs.orders.outbound_payload import outbound_payload
from channelhub.jobs.orders.pipeline import EXPANSION, expansion_detail
from channelhub.jobs.orders.stopping import OUTBOUND_CREATE
from channelhub.store.bulk import RowsRefused, insert_rows
from channelhub.store.json_text import JsonText, plain_document_text, plain_json_text
from channelhub.store.repos.rollups import sales_rollup_status, stock_rollup_add
from channelhub.store.repos.stock import movement_row
from channelhub.store.repos.txnotes import OUTBOX_TARGETS_KEY, note
from channelhub.store.statistics import refresh_growth
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderRow, OrderTransitionRow
from channelhub.store.tables.outbox import OutboxMessage, OutboxState
from channelhub.store.tables.stock import StockMovementRow

#: The tables a chunk grows that later chunks read back by order id or state.
_GROWING = tuple(
    cast(Table, m.__table__)
    for m in (OrderDecisionRow, OrderTransitionRow, StockMovementRow, OutboxMessage)
)


class OutboxCollision(ChannelhubError):
    """A warehouse-order key the fast path computed is already queued: plan one by one."""


class StatusMoved(ChannelhubError):
    """An order's status moved under a held lock (cannot happen): plan the chunk one by one."""


@dataclass
class Chunk:
    """What one chunk writes at its end, in insertion order."""

    decisions: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    movements: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    #: (from, to) -> the order ids moving so
    moves: dict[tuple[HubStatus, HubStatus], list[int]] = field(
        default_factory=lambda: defaultdict(list)
    )
    done: list[tuple[OrderKey, OrderPlan | None]] = field(default_factory=list)
    one_by_one: list[OrderKey] = field(default_factory=list)
    #: (from, to, reason, channel fulfilled, at) -> the transition row the lifecycle allowed
    #: (less its order): a chunk's orders mostly make the same few moves for the same reasons
    allowed: dict[tuple[HubStatus, HubStatus, str, bool, datetime], dict[str, Any]] = field(
        default_factory=dict
    )
    #: (expansion, a part's lines) by identity -> the part's expansion as recorded with its
    #: dispatch (:func:`~channelhub.jobs.orders.pipeline.expansion_detail`) as JSON text (or
    #: the list, where pydantic cannot write it), the instances kept: orders shipping the
    #: same lines share both (the catalog's, allocation's)
    expansions: dict[tuple[int, int], tuple[object, str | list[dict[str, object]]]] = field(
        default_factory=dict
    )


def decision_row(
    order_id: int,
    kind: str,
    reason: str,
    now: datetime,
    detail: dict[str, Any] | JsonText | None = None,
) -> dict[str, Any]:
    """An ``order_decisions`` row; ``detail`` a document or its finished text."""
    return {
        "order_id": order_id,
        "kind": kind,
        "reason": reason,
        "detail": detail or {},
        "actor": "hub",
        "at": now,
    }


def move(
    order_id: int,
    subject: str,
    channel_fulfilled: bool,
    current: HubStatus,
    plan: OrderPlan,
    chunk: Chunk,
    now: datetime,
) -> None:
    """Check the status move with the lifecycle and gather it (written by :func:`write`)."""
    target = plan.status
    if current is target:
        return
    path = [target]
    if target is HubStatus.ALLOCATED and current is not HubStatus.APPROVED:
        path = [HubStatus.APPROVED, HubStatus.ALLOCATED]
    step_from = current
    for step in path:
        # the lifecycle's answer depends on these alone (``subject`` only names the order in
        # its refusal, and a refusal is raised, never kept)
        asked = (step_from, step, plan.reason, channel_fulfilled, now)
        row = chunk.allowed.get(asked)
        if row is None:
            m = transition(
                step_from,
                step,
                reason=plan.reason,
                at=now,
                actor="hub",
                channel_fulfilled=channel_fulfilled,
                subject=subject,
            )
            row = chunk.allowed[asked] = {
                "from_status": m.from_status.value,
                "to_status": m.to_status.value,
                "reason": m.reason,
                "actor": m.actor,
                "at": m.at,
            }
        chunk.transitions.append({"order_id": order_id} | row)
        step_from = step
    chunk.moves[(current, target)].append(order_id)


#: A queued warehouse order's state (an enum's ``value`` is a property: read once here).
_PENDING = OutboxState.PENDING.value


def reserve(
    plan: OrderPlan,
    order: Order,
    order_id: int,
    revision: int,
    chunk: Chunk,
    balances: dict[tuple[str, str], Balance],
    warehouses: set[str],
    now: datetime,
) -> None:
    """The order's reservation (kept in ``balances``) and one outbound order per part, under
    warehouse-order ``revision``."""
    assert plan.reservation is not None and plan.allocation is not None
    assert order.ship_to is not None  # allocated implies both
    for movement in plan.reservation.movements:
        if movement.warehouse not in warehouses:
            raise InvalidInput.field("warehouse", movement.warehouse, "is not a known warehouse")
        chunk.movements.append(movement_row(movement, dedupe_key=None, now=now))
        key = (movement.warehouse, movement.sku)
        old = balances.get(key)
        on_hand, reserved = movement.deltas()
        if old is None:
            balances[key] = Balance(
                warehouse=movement.warehouse, sku=movement.sku, on_hand=on_hand, reserved=reserved
            )
        else:  # copied unvalidated (two sums of valid counts): a third of building one
            balances[key] = replaced(
                old, on_hand=old.on_hand + on_hand, reserved=old.reserved + reserved
            )
    for decision in plan.allocation.decisions:
        payload = outbound_payload(order, decision, revision)  # outbound_for's, dumped
        outbound_key = payload["idempotency_key"]
        chunk.outbox.append(
            {
                "idempotency_key": outbound_key,
                "target": f"warehouse:{decision.warehouse}",
                "kind": OUTBOUND_CREATE,
                # JSON's own values only (its docstring): written as text here, once
                "payload": plain_document_text(payload),
                "state": _PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        chunk.decisions.append(
            decision_row(
                order_id,
                "dispatch",
                f"outbound {outbound_key} queued for {decision.warehouse}",
                now,
                _dispatch_detail(outbound_key, _expansion(chunk, plan, decision)),
            )
        )


def _dispatch_detail(
    outbound_key: str, expansion: str | list[dict[str, object]]
) -> JsonText | dict[str, Any]:
    """The dispatch decision's detail, ``{"idempotency_key": .., "expansion": ..}``: as text
    where the expansion is (the key written as ``json.dumps`` writes a string), ~0.5 µs where
    writing the document took ~5; else the document."""
    if isinstance(expansion, list):
        return {"idempotency_key": outbound_key, EXPANSION: expansion}
    key = encode_basestring_ascii(outbound_key)
    return JsonText(f'{{"idempotency_key":{key},"{EXPANSION}":{expansion}}}')


def _expansion(
    chunk: Chunk, plan: OrderPlan, decision: AllocationDecision
) -> str | list[dict[str, object]]:
    """:func:`~channelhub.jobs.orders.pipeline.expansion_detail` of ``decision``'s lines,
    dumped and written to JSON text once per chunk for the same expansion and lines
    (instances shared by the orders shipping the same lines): text, integers and lists of
    text (:func:`~channelhub.store.json_text.plain_json_text`); the list where pydantic
    cannot write it (the rows then share it, which nothing changes)."""
    key = (id(plan.expanded), id(decision.lines))
    found = chunk.expansions.get(key)
    if found is not None:
        return found[1]
    dumped = expansion_detail(plan, {x.order_line_id for x in decision.lines})
    text = plain_json_text(dumped)
    written = dumped if text is None else text
    chunk.expansions[key] = ((plan.expanded, decision.lines), written)  # the instances kept
    return written


#: The chunk's status moves in one statement: every order of ``:moves`` (a JSON array of
#: [id, from, to], the dialect's rows ``m``) that still holds its ``from`` takes its ``to``.
#: Joined on the key, so PostgreSQL looks each order up by it whatever its statistics say of
#: the statuses (a status it believes rare would read that status's whole index instead).
_MOVES_SQL = """
UPDATE orders SET hub_status = m.to_status, updated_at = :now
FROM {moves}
WHERE orders.id = m.id AND orders.hub_status = m.from_status
"""


@cache
def _status_moves(dialect: str) -> Any:
    """The statement of the status moves, built once per dialect and kept (immutable)."""
    moves = (
        "(SELECT CAST(e ->> 0 AS integer) AS id, e ->> 1 AS from_status, e ->> 2 AS to_status"
        " FROM jsonb_array_elements(CAST(:moves AS jsonb)) AS e) AS m"
        if dialect == "postgresql"
        else "(SELECT json_extract(value, '$[0]') AS id,"
        " json_extract(value, '$[1]') AS from_status, json_extract(value, '$[2]') AS to_status"
        " FROM json_each(:moves)) AS m"
    )
    when = cast(Table, OrderRow.__table__).c.updated_at.type  # aware UTC in, as the ORM's
    return text(_MOVES_SQL.format(moves=moves)).bindparams(bindparam("now", type_=when))


def write(session: Session, chunk: Chunk, now: datetime) -> None:
    """One statement per table for the whole chunk; a warehouse order already queued under a
    computed key (never silently dropped) or a status moved meanwhile raises, and the chunk
    goes down the one-by-one path."""
    if chunk.moves:
        moves = [
            [order_id, current.value, target.value]
            for (current, target), ids in chunk.moves.items()
            for order_id in ids
        ]
        statement = _status_moves(session.get_bind().dialect.name)
        values = {"moves": json.dumps(moves), "now": now}
        changed = session.connection().execute(statement, values)  # text: nothing to flush
        if getattr(changed, "rowcount", 0) != len(moves):
            left = ", ".join(dict.fromkeys(repr(current.value) for current, _ in chunk.moves))
            moved = sorted(order_id for order_id, *_ in moves)
            raise StatusMoved(f"orders left {left} while locked: {moved}")
        for (current, target), ids in chunk.moves.items():
            sales_rollup_status(session, ids, current, target)
    if chunk.outbox:
        try:  # plainly (COPY on PostgreSQL): a key already queued refuses the whole insert
            insert_rows(session, cast(Table, OutboxMessage.__table__), chunk.outbox)
        except RowsRefused as refused:
            raise OutboxCollision(f"a warehouse order is already queued: {refused}") from None
        # what the commit defers (the distributed engine): the dispatch of these warehouses
        note(session, OUTBOX_TARGETS_KEY, {m["target"] for m in chunk.outbox})
    for model, rows in (
        (OrderDecisionRow, chunk.decisions),
        (OrderTransitionRow, chunk.transitions),
        (StockMovementRow, chunk.movements),
    ):
        insert_rows(session, cast(Table, model.__table__), rows)  # COPY on PostgreSQL
    # the running sums, and the push's dirty marks of their SKUs, in the same statement
    stock_rollup_add(session, chunk.movements, dirty_at=now)
    appended = (chunk.decisions, chunk.transitions, chunk.movements, chunk.outbox)
    written = {t.name: len(rows) for t, rows in zip(_GROWING, appended, strict=True)}
    refresh_growth(session, _GROWING, written=written)  # read back by order id: plans kept
    session.expire_all()
