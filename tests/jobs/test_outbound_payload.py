"""outbound_payload writes the document ``outbound_for(...).model_dump(mode="json")`` gives,
key for key and in the same order, for varied orders and allocation parts (addresses with
any parts missing, cash on delivery or not, long keys, several lines, any revision), and
refuses, with the model's own error, what the model refuses."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from channelhub.core.allocation import AllocationDecision
from channelhub.core.catalog import ExpandedLine
from channelhub.core.fulfilment import OutboundOrder
from channelhub.core.order import Order
from channelhub.jobs.orders.outbound_payload import KEY_LIMIT, outbound_payload
from channelhub.jobs.orders.pipeline import outbound_for
from tests.core.orderflow_data import order

_TEXT = st.text(st.characters(codec="utf-8"), max_size=12)
_CODE = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,20}", fullmatch=True)
_AMOUNTS = st.decimals(min_value=0, max_value=10**6, places=2)

addresses = st.fixed_dictionaries(
    {"country": st.sampled_from(("US", "SA", "DE", "JP"))},
    optional={
        part: st.none() | _TEXT
        for part in (
            "name", "company", "line1", "line2", "line3", "city", "region", "postal_code",
            "phone", "email",
        )
    },
)  # fmt: skip
payments = st.one_of(
    st.just({}),
    st.builds(
        lambda amount, method: {
            "method": method,
            "paid": False,
            "cod_amount": {"amount": str(amount), "currency": "USD"},
        },
        _AMOUNTS,
        st.sampled_from(("cash_on_delivery", "prepaid", "other")),  # a COD amount, not COD
    ),
)
orders = st.builds(
    lambda channel, account, external_id, ship_to, payment, service, remarks: order(
        channel=channel,
        account=account,
        external_id=external_id,
        ship_to=ship_to,
        payment=payment,
        shipping_service=service,
        remarks=remarks,
    ),
    st.sampled_from(("shopify", "amazon", "temu")),
    st.sampled_from(("shop1", "a:b", "ü" * 120)),  # the long one takes keys past their limit
    _CODE | st.text(st.sampled_from("x9-:#"), min_size=1, max_size=255),
    addresses,
    payments,
    st.none() | _TEXT,
    st.none() | _TEXT,
)
lines = st.builds(
    lambda line_id, sku, quantity, via, ordered: ExpandedLine(
        order_line_id=line_id,
        sku=sku,
        quantity=quantity,
        bound_sku=sku,
        via=via,
        ordered_quantity=ordered,
    ),
    _TEXT,
    _CODE.filter(str.strip),
    st.integers(1, 10**6),
    st.lists(_CODE, max_size=2).map(tuple),
    st.none() | st.integers(1, 9),
)
decisions = st.builds(
    lambda part, warehouse, parts: AllocationDecision(part=part, warehouse=warehouse, lines=parts),
    st.integers(1, 12),
    st.sampled_from(("US-EAST", "CN-SZ", "Lagerhaus München")),
    st.lists(lines, min_size=1, max_size=4).map(tuple),
)
revisions = st.integers(1, 10**9) | st.sampled_from((0, -1, True))


def _by_model(order_: Order, decision: AllocationDecision, revision: int) -> dict[str, Any]:
    return outbound_for(order_, decision, revision).model_dump(mode="json")


def _answer(
    build: Callable[[Order, AllocationDecision, int], dict[str, Any]],
    order_: Order,
    decision: AllocationDecision,
    revision: int,
) -> tuple[str, Any]:
    """The document as text (key order included), or the refusal's errors."""
    try:
        return "document", json.dumps(build(order_, decision, revision))
    except ValidationError as error:
        return "refused", error.errors(include_url=False)


@settings(max_examples=300)
@given(order_=orders, decision=decisions, revision=revisions)
def test_the_payload_is_the_models_dump(
    order_: Order, decision: AllocationDecision, revision: int
) -> None:
    expected = _answer(_by_model, order_, decision, revision)
    assert _answer(outbound_payload, order_, decision, revision) == expected


def test_long_keys_and_bad_revisions_are_refused_as_the_model_refuses_them() -> None:
    decision = AllocationDecision(
        part=1,
        warehouse="US-EAST",
        lines=(ExpandedLine(order_line_id="L1", sku="MUG", quantity=1, bound_sku="MUG"),),
    )
    long = order(account="a" * KEY_LIMIT)
    for order_, revision in ((long, 1), (order(), 0), (order(), True)):
        expected = _answer(_by_model, order_, decision, revision)
        assert expected[0] == "refused"
        assert _answer(outbound_payload, order_, decision, revision) == expected


def test_the_payload_names_the_models_fields_in_order() -> None:
    decision = AllocationDecision(
        part=2,
        warehouse="US-EAST",
        lines=(ExpandedLine(order_line_id="L1", sku="MUG", quantity=3, bound_sku="SET"),),
    )
    payload = outbound_payload(order(), decision, 4)
    assert list(payload) == list(OutboundOrder.model_fields)
    assert payload["idempotency_key"] == "shopify:shop1:1001#p2r4"
