"""The outbox payload of one warehouse order, built as the plain JSON document it is stored as.

:func:`~channelhub.jobs.orders.pipeline.outbound_for` validates an
:class:`~channelhub.core.fulfilment.OutboundOrder` whose parts are already validated values
(the order's address, payment and text, the allocation's lines), then ``model_dump`` walks it
back into a dict: most of the chunk pipeline's cost of queuing a warehouse order. Here the
document is written directly from those parts, after the only checks the model would add that
they do not already pass (the key's length, the revision). Anything else takes the model's
path, which answers (or refuses) as before.
"""

from __future__ import annotations

from typing import Any

from channelhub.core.allocation import AllocationDecision
from channelhub.core.fulfilment import OutboundOrder
from channelhub.core.order import Order
from channelhub.core.parties import Address
from channelhub.jobs.orders.pipeline import outbound_for

#: The longest idempotency key :class:`OutboundOrder` takes (read from its field).
KEY_LIMIT: int = next(
    limit
    for limit in (
        getattr(m, "max_length", None)
        for m in OutboundOrder.model_fields["idempotency_key"].metadata
    )
    if limit is not None
)


#: An address's fields, in the order ``model_dump`` writes them.
_ADDRESS_FIELDS: tuple[str, ...] = tuple(Address.model_fields)
_TEXT_OR_UNSET = frozenset({str, type(None)})


def address_document(address: Address) -> dict[str, Any]:
    """``address.model_dump(mode="json")``, key for key, read off its fields when every one
    is text or unset (an :class:`~channelhub.core.parties.Address`'s are ``str | None``,
    with no serializer: dumped as they are): a third of the dump's cost, paid for every
    warehouse order queued. Anything else (a subclass, a text subclass) is dumped."""
    if type(address) is Address:
        values = address.__dict__
        if _TEXT_OR_UNSET.issuperset(map(type, values.values())):  # the types, checked in C
            return {name: values[name] for name in _ADDRESS_FIELDS}
    return address.model_dump(mode="json")


def outbound_payload(order: Order, decision: AllocationDecision, revision: int) -> dict[str, Any]:
    """``outbound_for(order, decision, revision).model_dump(mode="json")``, key for key.

    Why each part needs no second validation: the order key's parts are the order's own
    validated fields (as :class:`~channelhub.core.order.OrderKey`'s); ``part``, ``warehouse``
    and each line's ``sku``, ``quantity`` and ``order_line_id`` are an
    :class:`~channelhub.core.allocation.AllocationDecision`'s and its
    :class:`~channelhub.core.catalog.ExpandedLine`'s, validated with the same types and
    limits :class:`~channelhub.core.fulfilment.OutboundLine` sets; the address, the cash on
    delivery and the order's text fields are the order's own values of the same types (every
    model here is strict, with the same text limit). The payload's keys are
    :class:`OutboundOrder`'s fields in their order (tests/jobs/test_outbound_payload.py).
    Its values are JSON's own (text, integers, ``None``; the money's a ``mode="json"`` dump:
    its amount as text), so the pipeline writes it as text with
    :func:`~channelhub.store.json_text.plain_document_text`.
    """
    ship_to = order.ship_to
    assert ship_to is not None  # an order is only allocated with an address
    order_key = f"{order.channel}:{order.account}:{order.external_id}"  # str(order.key)
    key = OutboundOrder.make_key(order_key, decision.part, revision)
    if len(key) > KEY_LIMIT or type(revision) is not int or revision < 1:
        return outbound_for(order, decision, revision).model_dump(mode="json")
    payment = order.payment
    cod = payment.cod_amount if payment.cash_on_delivery else None
    return {
        "idempotency_key": key,
        "order_key": order_key,
        "part": decision.part,
        "revision": revision,
        "warehouse": decision.warehouse,
        "ship_to": address_document(ship_to),
        "lines": [
            {"sku": x.sku, "quantity": x.quantity, "order_line_id": x.order_line_id}
            for x in decision.lines
        ],
        "shipping_service": order.shipping_service,
        "carrier": None,  # outbound_for sets none
        "cash_on_delivery": None if cod is None else cod.model_dump(mode="json"),
        "remarks": order.remarks,
        "reference": order.external_id,
    }
