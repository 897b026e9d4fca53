"""Orders: upsert guarded by the channel's ``updated_at``, and the hub-status history.

An import never moves ``hub_status``: that is the hub's own lifecycle, changed only through
:func:`transition_order`, which checks the move with :mod:`channelhub.core.lifecycle`,
applies it only if nobody changed the status meanwhile, and records it with its reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from channelhub.core.errors import ChannelhubError, NotFound
from channelhub.core.lifecycle import HubStatus, Transition, transition
from channelhub.core.order import Order, OrderKey, OrderLine
from channelhub.store.json_text import JsonText, model_document
from channelhub.store.repos._upsert import Upserted, UpsertOutcome, guarded_upsert, insert_for
from channelhub.store.repos.rollups import sales_rollup_kept, sales_rollup_status
from channelhub.store.tables.orders import OrderLineRow, OrderRow, OrderTransitionRow


class StatusChanged(ChannelhubError):
    """The order's status moved since it was read; re-read it and decide again."""


def channel_values(order: Order, *, as_text: bool = False) -> dict[str, Any]:
    """The order's columns an import writes (never ``hub_status``: the hub's own).

    ``as_text``: the document as its JSON text, written by pydantic in one step
    (:func:`~channelhub.store.json_text.model_document`), for
    :func:`~channelhub.store.returning.insert_returning` only (under half the cost of the
    document then its ``json.dumps``); the same document stored."""
    document: JsonText | dict[str, Any]
    if as_text:
        document = model_document(order, exclude=_NOT_CHANNELS)
    else:
        document = order.model_dump(mode="json")
        document.pop("hub_status")
    return {
        "parent_external_id": order.parent_external_id,
        "marketplace": order.marketplace,
        "channel_status": order.channel_status,
        "channel_state": order.channel_state.value,
        "fulfilled_by": order.fulfilled_by.value,
        "placed_at": order.placed_at,
        "remote_updated_at": order.updated_at,
        "ship_by": order.ship_by,
        "currency": order.currency,
        "total_amount": order.totals.total.amount,
        "ship_to_country": order.ship_to.country if order.ship_to else None,
        "buyer_name": buyer_name(order),
        "document": document,
    }


#: The field of an order that is the hub's, not the channel's: never in a stored document.
_NOT_CHANNELS = {"hub_status"}


def buyer_name(order: Order) -> str | None:
    """Who bought, as the console searches it: the buyer's name, else the ship-to name."""
    name = (order.buyer.name if order.buyer else None) or (
        order.ship_to.name if order.ship_to else None
    )
    return name[:255] if name else None


def upsert_order(
    session: Session, order: Order, *, now: datetime, raw_payload_id: int | None = None
) -> Upserted:
    """Store a channel order on its natural key; an older or equal ``updated_at`` changes nothing.

    Returns the row id and whether it was inserted, updated or stale. Lines are replaced
    by line id along with the order.
    """
    values = channel_values(order)
    if raw_payload_id is not None:
        values["raw_payload_id"] = raw_payload_id
    key = {"channel": order.channel, "account": order.account, "external_id": order.external_id}
    # locked first: the rollup takes out what it reads now, so a concurrent import or status
    # move of this order must wait (PostgreSQL; SQLite has one writer at a time anyway)
    stored = session.scalar(select(OrderRow.id).filter_by(**key).with_for_update())
    with sales_rollup_kept(session, [] if stored is None else [stored]) as kept:
        result = guarded_upsert(
            session,
            OrderRow,
            key=key,
            insert_values={
                **values,
                "hub_status": order.hub_status.value,
                "created_at": now,
                "updated_at": now,
            },
            update_values={**values, "updated_at": now},
            newer=OrderRow.remote_updated_at < order.updated_at,
        )
        if result.outcome is not UpsertOutcome.STALE:
            _sync_lines(session, result.id, order)
        kept.append(result.id)
    return result


def line_values(line: OrderLine) -> dict[str, Any]:
    """An order line's stored columns beside its key (order, line id), as both the per-order
    and the set-based upsert write them."""
    return {
        "listing_id": line.listing_id,
        "variation_id": line.variation_id,
        "channel_sku": line.channel_sku,
        "title": line.title,
        "quantity": line.quantity,
        "cancelled_quantity": line.cancelled_quantity,
        "shipped_quantity": line.shipped_quantity,
        "unit_price": line.unit_price.amount if line.unit_price else None,
        "currency": line.unit_price.currency if line.unit_price else None,
    }


def _sync_lines(session: Session, order_id: int, order: Order) -> None:
    """Upsert lines by (order, line id) so their row ids stay stable; drop vanished ones."""
    for line in order.lines:
        values = line_values(line)
        statement = insert_for(session, OrderLineRow.__table__).values(
            order_id=order_id, line_id=line.line_id, **values
        )
        session.execute(
            statement.on_conflict_do_update(index_elements=["order_id", "line_id"], set_=values)
        )
    session.execute(
        delete(OrderLineRow).where(
            OrderLineRow.order_id == order_id,
            OrderLineRow.line_id.not_in([line.line_id for line in order.lines]),
        )
    )
    session.expire_all()


def get_order_row(session: Session, key: OrderKey) -> OrderRow:
    """The stored order for ``key`` or :class:`NotFound`."""
    row = session.scalars(
        select(OrderRow).where(
            OrderRow.channel == key.channel,
            OrderRow.account == key.account,
            OrderRow.external_id == key.external_id,
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"order {key} is not in the hub")
    return row


def to_order(row: OrderRow) -> Order:
    """The canonical Order back from its row, with the hub's current status."""
    return document_order(row.document, row.hub_status)


def document_order(document: dict[str, Any], hub_status: str) -> Order:
    """The canonical Order from a stored document and status (no row needed)."""
    # our own JSON: amounts as text
    return Order.model_validate({**document, "hub_status": hub_status}, strict=False)


def json_document_order(document: str, hub_status: str) -> Order:
    """:func:`document_order` from the document's JSON text (``cast(document, Text)``): parsed
    and validated in one pass by pydantic, not decoded to dicts by the driver first.

    The status is written into the text as the object's last member (a stored document has
    none: :func:`channel_values` leaves it out), so the order is built once instead of built
    and then copied with its status; the same order (fields, set fields), a sixth cheaper.
    A text it cannot be written into that plainly is parsed, then copied, as before."""
    body = document.rstrip()
    if (
        hub_status in _STATUS_VALUES
        and body.endswith("}")
        and '"hub_status"' not in body
        and not body[:-1].rstrip().endswith("{")  # an empty object: no member to follow
    ):
        return Order.model_validate_json(
            f'{body[:-1]}, "hub_status": "{hub_status}"}}', strict=False
        )
    order = Order.model_validate_json(document, strict=False)
    return order.model_copy(update={"hub_status": HubStatus(hub_status)})


#: The statuses written plainly into a document's text (each a lower-case word: no escaping).
_STATUS_VALUES = frozenset(status.value for status in HubStatus)


def get_order(session: Session, key: OrderKey) -> Order:
    """The canonical order for ``key`` or :class:`NotFound`."""
    return to_order(get_order_row(session, key))


def transition_order(
    session: Session,
    order_id: int,
    target: HubStatus,
    *,
    reason: str,
    at: datetime,
    actor: str = "hub",
) -> Transition:
    """Move an order's hub status if the lifecycle allows it, and record why.

    Raises IllegalTransition for a move the lifecycle forbids and :class:`StatusChanged`
    when another writer changed the status since it was read.
    """
    row = session.get(OrderRow, order_id)
    if row is None:
        raise NotFound(f"order {order_id} is not in the hub")
    subject = f"order {row.channel}:{row.account}:{row.external_id}"
    move = transition(
        HubStatus(row.hub_status),
        target,
        reason=reason,
        at=at,
        actor=actor,
        channel_fulfilled=row.fulfilled_by == "channel",
        subject=subject,
    )
    record_transition(session, order_id, move)
    return move


def record_transition(session: Session, order_id: int, move: Transition) -> None:
    """Apply an already checked transition, only if the status is still ``from_status``."""
    changed = session.execute(
        update(OrderRow)
        .where(OrderRow.id == order_id, OrderRow.hub_status == move.from_status.value)
        .values(hub_status=move.to_status.value, updated_at=move.at)
        .execution_options(synchronize_session=False)
    )
    if not getattr(changed, "rowcount", 0):
        raise StatusChanged(
            f"order {order_id} is no longer {move.from_status.value!r}: re-read it and decide again"
        )
    sales_rollup_status(session, [order_id], move.from_status, move.to_status)
    session.add(
        OrderTransitionRow(
            order_id=order_id,
            from_status=move.from_status.value,
            to_status=move.to_status.value,
            reason=move.reason,
            actor=move.actor,
            at=move.at,
        )
    )
    session.flush()
    session.expire_all()


def order_history(session: Session, order_id: int) -> list[Transition]:
    """Every recorded transition of an order, oldest first."""
    rows = session.scalars(
        select(OrderTransitionRow)
        .where(OrderTransitionRow.order_id == order_id)
        .order_by(OrderTransitionRow.at, OrderTransitionRow.id)
    )
    return [
        Transition(
            from_status=HubStatus(row.from_status),
            to_status=HubStatus(row.to_status),
            reason=row.reason,
            at=row.at,
            actor=row.actor,
        )
        for row in rows
    ]
