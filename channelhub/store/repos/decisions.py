"""The decisions taken for each order (pairing, review, allocation, ...), with reasons.

``orders show`` prints them beside the status transitions, so every hold, split, merge and
allocation explains itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.store.tables.orderflow import OrderDecisionRow


class Decision(NamedTuple):
    """One recorded decision."""

    kind: str
    reason: str
    detail: dict[str, Any]
    actor: str
    at: datetime


def record_decision(
    session: Session,
    order_id: int,
    *,
    kind: str,
    reason: str,
    at: datetime,
    actor: str = "hub",
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one decision to the order's record."""
    session.add(
        OrderDecisionRow(
            order_id=order_id,
            kind=kind,
            reason=reason,
            detail=dict(detail or {}),
            actor=actor,
            at=at,
        )
    )
    session.flush()


def order_decisions(session: Session, order_id: int) -> list[Decision]:
    """Every decision about an order, oldest first."""
    rows = session.scalars(
        select(OrderDecisionRow)
        .where(OrderDecisionRow.order_id == order_id)
        .order_by(OrderDecisionRow.at, OrderDecisionRow.id)
    )
    return [Decision(r.kind, r.reason, dict(r.detail or {}), r.actor, r.at) for r in rows]
