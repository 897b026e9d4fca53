"""A document stored as pydantic's JSON text (the set-based intake's orders) is the document
the plain path stores: the same JSON value read back on both databases (new and updated
orders), the same Order rebuilt from the stored text, and secrets redacted exactly as before."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from channelhub.core.order import Order
from channelhub.core.redaction import REDACTED, SecretRedactor, redacting
from channelhub.store.json_text import JsonText, accepting_text, model_document
from channelhub.store.repos.orders import json_document_order, upsert_order
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.tables.orders import OrderRow
from tests.core.orderflow_data import order

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "Qz8/+w=Secret-Value_0123"
_KEYS = itertools.count()

#: text as channels send it: quotes, backslashes, control characters, any script (no NUL:
#: PostgreSQL stores none in a document, whichever way it is sent)
texts = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30)
amounts = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False).map(str)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)),
                               timezone(timedelta(hours=-8))]),
)  # fmt: skip


def _money(currency: str) -> st.SearchStrategy[dict[str, str]]:
    return amounts.map(lambda a: {"amount": a, "currency": currency})


@st.composite
def orders(draw: st.DrawFn) -> Order:
    """Varied orders: every optional part present or not, odd text, offsets, amounts."""
    currency = draw(st.sampled_from(["USD", "EUR", "JPY"]))
    lines = [
        {
            "line_id": f"L{i}",
            "channel_sku": draw(texts) or "SKU",
            "title": draw(texts),
            "quantity": draw(st.integers(1, 50)),
            "unit_price": draw(st.none() | _money(currency)),
        }
        for i in range(draw(st.integers(1, 4)))
    ]
    placed = draw(moments)
    address = st.fixed_dictionaries({"name": texts, "line1": texts, "country": st.just("DE")})
    changes: dict[str, Any] = {
        "channel_status": draw(texts) or "paid",
        "placed_at": placed,
        "updated_at": placed + draw(st.timedeltas(timedelta(0), timedelta(days=30))),
        "channel_state": draw(st.sampled_from(["unknown", "unshipped", "cancelled"])),
        "hub_status": draw(st.sampled_from(["new", "approved", "allocated"])),
        "buyer": draw(st.none() | st.fixed_dictionaries({"name": texts, "email": texts})),
        "ship_to": draw(st.none() | address),
        "totals": {
            "total": draw(_money(currency)),
            "shipping": draw(st.none() | _money(currency)),
        },
        "lines": lines,
        "remarks": draw(st.none() | texts),
        "tags": draw(st.lists(texts.filter(bool).map(lambda t: t[:10]), max_size=3)),
        "ship_by": draw(st.none() | moments),
    }
    return order(**changes)


def _stored(session: Session, orders_: list[Order]) -> list[tuple[dict[str, Any], Order]]:
    """Each order's stored document, read back, and the order rebuilt from its text (the
    two but their account: the one part the two paths differ in)."""
    out = []
    for o in orders_:
        text_ = cast(OrderRow.document, Text).label("text")
        document, text, status = session.execute(
            select(OrderRow.document, text_, OrderRow.hub_status).where(
                OrderRow.channel == o.channel, OrderRow.account == o.account,
                OrderRow.external_id == o.external_id,
            )
        ).one()  # fmt: skip
        document = {**document, "account": None}
        rebuilt = json_document_order(text, status).model_copy(update={"account": None})
        out.append((document, rebuilt))
    return out


def _after(old: Order, new: Order) -> datetime:
    """A time after both versions: the new one is newer than the stored one."""
    return max(old.updated_at, new.updated_at) + timedelta(days=1)


def _as(o: Order, account: str, **changes: Any) -> Order:
    return o.model_copy(update={"account": account, **changes})


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(orders(), min_size=1, max_size=4),
    newer=st.lists(orders(), min_size=4, max_size=4),
)
def test_the_text_path_stores_what_the_plain_path_stores(
    session: Session, batch: list[Order], newer: list[Order]
) -> None:
    """New orders inserted, then each updated by a newer version: set-based (text) against
    one by one (documents), under separate accounts; the documents read back are equal."""
    run = next(_KEYS)
    batch = [o.model_copy(update={"external_id": f"{run}-{i}"}) for i, o in enumerate(batch)]
    later = [
        n.model_copy(update={"external_id": o.external_id, "updated_at": _after(o, n)})
        for o, n in zip(batch, newer, strict=False)
    ]
    for versions in (batch, later):
        upsert_orders(session, [_as(o, "text") for o in versions], now=NOW)
        for o in versions:
            upsert_order(session, _as(o, "plain"), now=NOW)
        session.flush()
        text = _stored(session, [_as(o, "text") for o in versions])
        plain = _stored(session, [_as(o, "plain") for o in versions])
        assert text == plain


def test_a_secret_in_the_document_is_redacted_exactly_as_before(session: Session) -> None:
    """Whole, and cut at a string's end (a document is redacted string by string on
    PostgreSQL): the text path falls back to the document where a secret could be touched."""
    redactor = SecretRedactor("acct")
    redactor.add(SECRET)
    echoed = [
        order(external_id="whole", remarks=f"echo {SECRET}", buyer={"name": SECRET}),
        order(external_id="cut", remarks=f"echo {SECRET[:10]}", tags=[SECRET[-8:]]),
        order(external_id="clean", remarks="nothing secret"),
    ]
    with redacting(redactor):
        upsert_orders(session, [_as(o, "text") for o in echoed], now=NOW)
        for o in echoed:
            upsert_order(session, _as(o, "plain"), now=NOW)
    session.flush()
    text = [d for d, _ in _stored(session, [_as(o, "text") for o in echoed])]
    plain = [d for d, _ in _stored(session, [_as(o, "plain") for o in echoed])]
    assert text == plain
    assert text[0]["remarks"] == f"echo {REDACTED}" and text[0]["buyer"]["name"] == REDACTED
    assert SECRET not in repr(text)
    if session.get_bind().dialect.name == "postgresql":  # string by string: cut ends too
        assert SECRET[:10] not in repr(text) and SECRET[-8:] not in repr(text)


def test_a_text_no_secret_can_touch_goes_as_it_is_in_scope(session: Session) -> None:
    """With a redactor active, a clean document's text is still sent as it is."""
    redactor = SecretRedactor("acct")
    redactor.add(SECRET)
    column = OrderRow.__table__.c.document
    dialect = session.get_bind().dialect
    plain = column.type.dialect_impl(dialect).bind_processor(dialect)
    clean = model_document(order(remarks="nothing secret"), exclude={"hub_status"})
    assert isinstance(clean, JsonText)
    with redacting(redactor):
        process = accepting_text(column, plain, dialect)
    assert process is not None
    sent = process(clean)
    assert (sent if isinstance(sent, str) else sent.obj) == clean.text


def test_a_documents_text_is_scanned_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clean document's text is stored as it is, scanned once: on PostgreSQL by
    ``may_change_json`` (string by string), then sent marked as checked, which no scan of
    the statement's strings reads again; on SQLite (where the hook redacts it as a text) by
    the hook's scan of the statement's strings alone."""
    redactor = SecretRedactor("acct")
    redactor.add(SECRET)
    scanned: list[str] = []
    scan = SecretRedactor.may_change_any

    def counting(self: SecretRedactor, texts: list[str]) -> bool:
        scanned.extend(texts)
        return scan(self, texts)

    checked: list[str] = []
    check = SecretRedactor.may_change_json

    def counting_documents(self: SecretRedactor, text: str) -> bool:
        checked.append(text)
        return check(self, text)

    monkeypatch.setattr(SecretRedactor, "may_change_any", counting)
    monkeypatch.setattr(SecretRedactor, "may_change_json", counting_documents)
    clean = order(external_id="checked-once", remarks="nothing secret, quite a long remark")
    with redacting(redactor):
        upsert_orders(session, [clean], now=NOW)
    session.flush()
    ((document, _),) = _stored(session, [clean])
    assert document["remarks"] == "nothing secret, quite a long remark"
    by_strings = [text for text in scanned if "quite a long remark" in text]
    by_document = [text for text in checked if "quite a long remark" in text]
    if session.get_bind().dialect.name == "postgresql":
        assert (len(by_strings), len(by_document)) == (0, 1)
    else:
        assert (len(by_strings), len(by_document)) == (1, 0)


def test_an_order_pydantic_cannot_write_as_text_is_stored_as_its_document() -> None:
    """A lone surrogate (set without validation) has no UTF-8 text: the document, as before."""
    odd = order().model_copy(update={"remarks": "a\ud800b"})
    document = model_document(odd, exclude={"hub_status"})
    expected = odd.model_dump(mode="json")
    del expected["hub_status"]
    assert document == expected


@pytest.mark.parametrize("amount", ["0.10", "1E+3", "123456.000001"])
def test_decimals_and_times_are_written_as_the_json_document_writes_them(amount: str) -> None:
    placed = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    o = order(totals={"total": {"amount": amount, "currency": "USD"}}, placed_at=placed)
    text = model_document(o, exclude={"hub_status"})
    assert isinstance(text, JsonText)
    expected = o.model_dump(mode="json")
    del expected["hub_status"]
    assert json.loads(text.text) == expected
