"""insert_rows: the rows read back through the ORM exactly as ``session.execute(insert(..))``
would have stored them (aware datetimes, JSON documents, text), on SQLite (executemany) and
PostgreSQL (COPY: binary where psycopg knows every column's type, else text); a column with
a Python default the rows leave out is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, cast

import pytest
from sqlalchemy import Table, Text, insert, select
from sqlalchemy import cast as cast_
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from channelhub.core.redaction import REDACTED, SecretRedactor, redacting
from channelhub.store.bulk import RowsRefused, insert_rows
from channelhub.store.json_text import JsonText, plain_document_text
from channelhub.store.repos.orders_bulk import upsert_orders
from channelhub.store.tables.orderflow import OrderDecisionRow
from channelhub.store.tables.orders import OrderLineRow
from channelhub.store.tables.outbox import OutboxMessage
from channelhub.store.tables.ratelimit import RateBucket
from tests.store.one_line_orders import one_line_order

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
DECISIONS = cast(Table, OrderDecisionRow.__table__)
LINES = cast(Table, OrderLineRow.__table__)


def _order_id(session: Session) -> int:
    order = one_line_order("shopify", "s", "1", at=AT)
    return upsert_orders(session, [order], now=AT)[0].id


def _rows(order_id: int) -> list[dict[str, Any]]:
    later = AT.astimezone(timezone(timedelta(hours=8)))  # another zone: stored as UTC
    return [
        {"order_id": order_id, "kind": "review", "reason": "ok, \"quoted\"\ttab\nline",
         "detail": {"n": 1, "text": "ü €", "nested": [1, None]}, "actor": "hub", "at": AT},
        {"order_id": order_id, "kind": "dispatch", "reason": "\\N is not null", "detail": {},
         "actor": "hub", "at": later + timedelta(seconds=1)},
    ]  # fmt: skip


def _stored(session: Session) -> list[tuple[Any, ...]]:
    query = select(
        OrderDecisionRow.kind, OrderDecisionRow.reason, OrderDecisionRow.detail,
        OrderDecisionRow.actor, OrderDecisionRow.at,
    ).order_by(OrderDecisionRow.id)  # fmt: skip
    return [tuple(r) for r in session.execute(query)]


def test_rows_read_back_as_sqlalchemys_own_insert_stores_them(session: Session) -> None:
    order_id = _order_id(session)
    session.execute(insert(DECISIONS), _rows(order_id))
    expected = _stored(session)
    session.execute(DECISIONS.delete())
    insert_rows(session, DECISIONS, _rows(order_id))
    assert _stored(session) == expected
    assert expected[1][4] == AT + timedelta(seconds=1)  # aware UTC back
    assert expected[0][2] == {"n": 1, "text": "ü €", "nested": [1, None]}
    insert_rows(session, DECISIONS, [])  # nothing to do: no statement
    assert len(_stored(session)) == 2


def test_empty_and_falsy_documents_read_back_as_sqlalchemys_own_insert_stores_them(
    session: Session,
) -> None:
    """The empty document is serialised once per call: only ``{}`` is, not ``[]`` or ``0``."""
    order_id = _order_id(session)
    details: list[Any] = [{}, [], 0, "", {"a": {}}, {}]
    rows = [{**_rows(order_id)[0], "detail": detail} for detail in details]
    text = select(cast_(DECISIONS.c.detail, Text)).order_by(DECISIONS.c.id)  # as stored
    session.execute(insert(DECISIONS), rows)
    expected, stored_text = _stored(session), session.scalars(text).all()
    session.execute(DECISIONS.delete())
    insert_rows(session, DECISIONS, rows)
    assert (_stored(session), session.scalars(text).all()) == (expected, stored_text)
    assert [row[2] for row in expected] == details


def test_a_python_default_left_out_is_refused(session: Session) -> None:
    order_id = _order_id(session)
    rows = [{k: v for k, v in row.items() if k != "detail"} for row in _rows(order_id)]
    with pytest.raises(ValueError, match=r"order_decisions\.detail has a Python default"):
        insert_rows(session, DECISIONS, rows)


def test_rows_a_unique_key_refuses_raise_rows_refused(session: Session) -> None:
    outbox = cast(Table, OutboxMessage.__table__)
    row = {
        "idempotency_key": "k1", "target": "warehouse:E", "kind": "create", "payload": {},
        "state": "pending", "attempts": 0, "next_attempt_at": AT, "created_at": AT,
        "updated_at": AT,
    }  # fmt: skip
    insert_rows(session, outbox, [row])
    with pytest.raises(RowsRefused, match=r"(?i)unique"):
        insert_rows(session, outbox, [{**row, "idempotency_key": "k2"}, row])


def test_exact_values_store_as_sqlalchemys_own_insert_stores_them(session: Session) -> None:
    """PostgreSQL's binary ``COPY``: a numeric is rounded to its column's scale, and the
    empty document stored as the document, as the text input does."""
    order_id = _order_id(session)
    session.execute(LINES.delete())
    rows = [
        {"order_id": order_id, "line_id": line_id, "listing_id": None, "variation_id": None,
         "channel_sku": "MUG", "title": "ü \\N \t", "quantity": 2, "cancelled_quantity": 0,
         "shipped_quantity": 0, "unit_price": price, "currency": "EUR"}
        for line_id, price in (("1", Decimal("1.23456789")), ("2", Decimal("-0.0000005")),
                               ("3", Decimal("12345678901234.5")), ("4", None))
    ]  # fmt: skip
    columns = [LINES.c[name] for name in rows[0]]
    read = select(*columns).order_by(LINES.c.line_id)
    session.execute(insert(LINES), rows)
    expected = [tuple(r) for r in session.execute(read)]
    session.execute(LINES.delete())
    insert_rows(session, LINES, rows)
    assert [tuple(r) for r in session.execute(read)] == expected
    postgres = session.get_bind().dialect.name == "postgresql"  # SQLite keeps the text
    assert expected[0][9] == (Decimal("1.234568") if postgres else Decimal("1.23456789"))


def test_a_value_too_long_for_its_column_is_refused_as_by_sqlalchemys_own_insert(
    session: Session,
) -> None:
    """The server checks a binary ``COPY``'s values against their columns' lengths too."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite keeps no lengths")
    row = {**_rows(_order_id(session))[0], "actor": "x" * 300}
    with pytest.raises(DBAPIError, match="too long") as refused, session.begin_nested():
        session.execute(insert(DECISIONS), [row])
    with pytest.raises(type(refused.value.orig), match="too long"):  # the driver's, as before
        insert_rows(session, DECISIONS, [row])


def test_a_table_of_types_psycopg_cannot_name_stores_as_sqlalchemys_own_insert(
    session: Session,
) -> None:
    """A float column: PostgreSQL's ``COPY`` of such a table goes as text."""
    buckets = cast(Table, RateBucket.__table__)
    rows = [
        {"account": "a", "bucket": "b", "tokens": -1.5, "rate": 0.1, "burst": 1e300,
         "plan_rate": 2.0, "plan_burst": 3.0, "at": 1_700_000_000.123456},
    ]  # fmt: skip
    read = select(buckets).order_by(buckets.c.bucket)
    session.execute(insert(buckets), rows)
    expected = [tuple(r) for r in session.execute(read)]
    session.execute(buckets.delete())
    insert_rows(session, buckets, rows)
    assert [tuple(r) for r in session.execute(read)] == expected


def test_rows_are_redacted_in_scope_as_every_statement_is(session: Session) -> None:
    """COPY passes no cursor hook: a secret a platform echoed into a row is cleaned anyway."""
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    order_id = _order_id(session)
    rows = [{**_rows(order_id)[0], "reason": f"echo {secret}", "detail": {"body": secret}}]
    with redacting(redactor):
        insert_rows(session, DECISIONS, rows)
    assert _stored(session)[0][1:3] == (f"echo {REDACTED}", {"body": REDACTED})


def test_documents_under_a_redactor_store_as_sqlalchemys_own_insert_stores_them(
    session: Session,
) -> None:
    """A document is written to its text once for COPY and checked there; what is stored is
    what SQLAlchemy's own insert stores under the same redactor: clean documents as they are
    (any script), a secret whole or cut at a string's end masked as the cursor hook masks it."""
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    order_id = _order_id(session)
    details: list[Any] = [
        {"text": "ü € 東京", "nested": [1, None, {"k": "v"}]},
        {"body": f"echo {secret}"},
        {"cut": f"truncated {secret[:9]}", "keep": "plain"},
        {},
    ]
    rows = [{**_rows(order_id)[0], "detail": detail} for detail in details]
    with redacting(redactor):
        session.execute(insert(DECISIONS), rows)
        expected = _stored(session)
        session.execute(DECISIONS.delete())
        insert_rows(session, DECISIONS, rows)
    assert _stored(session) == expected
    assert expected[0][2] == details[0] and secret not in repr(expected)


@pytest.mark.parametrize("scoped", [False, True], ids=["no redactor", "redactor"])
def test_documents_given_as_text_store_as_the_documents_do(session: Session, scoped: bool) -> None:
    """A document's finished text (:func:`plain_document_text`, the pipeline's outbox payloads
    and decision details) stores the value its document stores, through ``COPY`` on
    PostgreSQL too; under a redactor a text it could change is masked as the document is
    (whole, or cut at a string's end on PostgreSQL), a clean one stored as it is."""
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    order_id = _order_id(session)
    details: list[Any] = [
        {"text": 'ü € 東京 "q" \\ \t', "nested": [1, None, True, {"k": "v"}], "big": 10**20},
        {"body": f"echo {secret}"},
        {"cut": f"truncated {secret[:9]}", "keep": "plain"},
        {"lines": [{"sku": "A", "quantity": 2}], "none": None},
    ]
    texts = [plain_document_text(d) for d in details]
    assert all(isinstance(t, JsonText) for t in texts)
    rows = [{**_rows(order_id)[0], "detail": detail} for detail in details]
    as_text = [{**row, "detail": text} for row, text in zip(rows, texts, strict=True)]
    with redacting(redactor if scoped else SecretRedactor("none")):
        insert_rows(session, DECISIONS, rows)
        expected = _stored(session)
        session.execute(DECISIONS.delete())
        insert_rows(session, DECISIONS, as_text)
    assert _stored(session) == expected
    assert expected[0][2] == details[0]
    assert (secret not in repr(expected)) is scoped


def test_a_document_pydantic_cannot_write_stays_a_document() -> None:
    """A lone surrogate (text set without validation) is no UTF-8: the document is kept,
    stored as before; any other is written as the JSON value ``json`` writes."""
    odd = {"text": "a\udc80b"}
    assert plain_document_text(odd) is odd
    document = {"k": ["ü", 1, None, False, {"e": ""}], "q": '"\\/\n\x01'}
    text = plain_document_text(document)
    assert isinstance(text, JsonText) and json.loads(text.text) == document
