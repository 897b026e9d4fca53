"""insert_returning: the same rows stored and returned on SQLite (multi-row ``VALUES``, in
pages) and PostgreSQL (one binary array per column, unnested): new rows inserted, a stored
key left alone or updated only where older, NULL keeping the stored value, the values stored
exactly as SQLAlchemy's own statement stores them, and secrets redacted in scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, Text, func, select
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session

from channelhub.core.redaction import REDACTED, SecretRedactor, redacting
from channelhub.store import returning
from channelhub.store.repos._upsert import insert_for
from channelhub.store.returning import OnConflict, insert_returning
from channelhub.store.tables.outbox import OutboxMessage

AT = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
OUTBOX = cast(Table, OutboxMessage.__table__)
KEY = OnConflict(("idempotency_key",))
NEWER_WINS = OnConflict(
    ("idempotency_key",),
    update=("payload", "attempts", "next_attempt_at"),
    update_unless_null=("last_error",),
    only_if_newer="attempts",
)


def _row(key: str, attempts: int = 0, **changes: Any) -> dict[str, Any]:
    return {
        "idempotency_key": key, "target": "warehouse:E", "kind": "create",
        "payload": {"text": 'ü "quoted"\\ €', "nested": [1, None]}, "state": "pending",
        "attempts": attempts, "next_attempt_at": AT, "last_error": None, "created_at": AT,
        "updated_at": AT,
    } | changes  # fmt: skip


def _stored(session: Session) -> dict[str, tuple[Any, ...]]:
    query = select(
        OutboxMessage.idempotency_key, OutboxMessage.payload, OutboxMessage.attempts,
        OutboxMessage.next_attempt_at, OutboxMessage.last_error,
    )  # fmt: skip
    return {key: tuple(rest) for key, *rest in session.execute(query)}


def test_new_rows_are_stored_and_returned_a_stored_key_left_alone(session: Session) -> None:
    later = (AT + timedelta(hours=1)).astimezone(timezone(timedelta(hours=8)))
    first = insert_returning(
        session, OUTBOX, [_row("a"), _row("b", next_attempt_at=later)], conflict=KEY,
        returning=("id", "idempotency_key"),
    )  # fmt: skip
    assert [key for _, key in first] == ["a", "b"]
    ids = {key: row_id for row_id, key in first}
    again = insert_returning(
        session, OUTBOX, [_row("a", attempts=5), _row("c")], conflict=KEY,
        returning=("id", "idempotency_key"),
    )  # fmt: skip
    assert [key for _, key in again] == ["c"]  # "a" is stored: nothing done, nothing returned
    stored = _stored(session)
    assert stored["a"] == ({"text": 'ü "quoted"\\ €', "nested": [1, None]}, 0, AT, None)
    assert stored["b"][2] == AT + timedelta(hours=1)  # aware UTC back
    assert ids["a"] != ids["b"]
    assert insert_returning(session, OUTBOX, [], conflict=KEY, returning=("id",)) == []


def test_a_stored_row_is_updated_only_where_older_and_null_keeps_the_stored_value(
    session: Session,
) -> None:
    insert_returning(
        session, OUTBOX, [_row("a", attempts=2, last_error="timeout"), _row("b", attempts=2)],
        conflict=KEY, returning=("id",),
    )  # fmt: skip
    changed = insert_returning(
        session,
        OUTBOX,
        [
            _row("a", attempts=3, payload={"v": 2}),  # newer: updated, its NULL error kept
            _row("b", attempts=2, payload={"v": 9}),  # not newer: untouched, not returned
            _row("c", attempts=1, last_error="new"),  # not stored: inserted
        ],
        conflict=NEWER_WINS,
        returning=("idempotency_key", "attempts"),
    )
    assert sorted(changed) == [("a", 3), ("c", 1)]
    stored = _stored(session)
    assert stored["a"][:3] == ({"v": 2}, 3, AT) and stored["a"][3] == "timeout"
    assert stored["b"][:2] == ({"text": 'ü "quoted"\\ €', "nested": [1, None]}, 2)
    assert stored["c"][3] == "new"


def test_values_are_redacted_in_scope_as_every_statement_is(session: Session) -> None:
    """The arrays bypass the engine's cursor hook on PostgreSQL: cleaned anyway."""
    secret = "Qz8/+w=Secret-Value_0123"
    redactor = SecretRedactor("acct")
    redactor.add(secret)
    with redacting(redactor):
        insert_returning(
            session, OUTBOX, [_row("a", last_error=f"echo {secret}", payload={"body": secret})],
            conflict=KEY, returning=("id",),
        )  # fmt: skip
    assert _stored(session)["a"][0] == {"body": REDACTED}
    assert _stored(session)["a"][3] == f"echo {REDACTED}"


def _plain(session: Session, rows: list[dict[str, Any]], conflict: OnConflict) -> list[Any]:
    """SQLAlchemy's own ``INSERT .. ON CONFLICT .. RETURNING`` of ``rows``: the reference."""
    statement = insert_for(session, OUTBOX)
    if conflict.update:
        new = statement.excluded
        values: dict[str, Any] = {c: new[c] for c in conflict.update}
        values |= {c: func.coalesce(new[c], OUTBOX.c[c]) for c in conflict.update_unless_null}
        newer = conflict.only_if_newer
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict.key),
            set_=values,
            where=None if newer is None else OUTBOX.c[newer] < new[newer],
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict.key))
    statement = statement.returning(OUTBOX.c.idempotency_key, OUTBOX.c.next_attempt_at)
    return sorted(tuple(r) for r in session.execute(statement, rows))


def _as_text(session: Session) -> dict[str, tuple[Any, ...]]:
    """Every stored column but the id, as the database's own text."""
    names = [c for c in OUTBOX.c if c.name != "id"]
    query = select(*(cast_(c, Text) for c in names))
    return {row[0]: tuple(row[1:]) for row in session.execute(query)}


def test_what_is_stored_and_returned_is_what_sqlalchemys_own_statement_gives(
    session: Session,
) -> None:
    """Both ways on the same rows (one prefix each), then the stored text compared."""
    zone = timezone(timedelta(hours=-5))
    first = [
        _row("a", last_error="x", next_attempt_at=AT.astimezone(zone), payload={}),
        _row("b", attempts=2, payload={"ü": ["€", 1.5, None, True]}),
    ]
    second = [
        _row("a", attempts=1, last_error=None, payload={"v": "new"}),  # newer: updated
        _row("b", attempts=2, payload={"v": "stale"}),  # not newer: left alone
        _row("c", attempts=0, next_attempt_at=AT + timedelta(days=400)),
    ]
    results = {}
    for prefix in ("fast", "plain"):
        out = []
        for rows, conflict in ((first, KEY), (second, NEWER_WINS)):
            keyed = [r | {"idempotency_key": f"{prefix}-{r['idempotency_key']}"} for r in rows]
            if prefix == "fast":
                got = insert_returning(
                    session, OUTBOX, keyed, conflict=conflict,
                    returning=("idempotency_key", "next_attempt_at"),
                )  # fmt: skip
                out.append(sorted(got))
            else:
                out.append(_plain(session, keyed, conflict))
        results[prefix] = [[(k.split("-", 1)[1], at) for k, at in part] for part in out]
    assert results["fast"] == results["plain"]
    stored = _as_text(session)
    assert len(stored) == 6
    for key in ("a", "b", "c"):
        assert stored[f"fast-{key}"] == stored[f"plain-{key}"]


def test_rows_beyond_a_statements_page_are_all_stored_and_returned(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(returning, "_SQLITE_PAGE", 2)  # SQLite: three statements
    got = insert_returning(
        session, OUTBOX, [_row(k) for k in "abcde"], conflict=KEY,
        returning=("idempotency_key",),
    )  # fmt: skip
    assert sorted(got) == [(k,) for k in "abcde"]
    assert sorted(_stored(session)) == list("abcde")


def test_a_python_default_left_out_is_refused(session: Session) -> None:
    """SQLAlchemy's own insert would fill it in Python; these statements cannot."""
    row = _row("a")
    del row["attempts"]
    with pytest.raises(ValueError, match="attempts"):
        insert_returning(session, OUTBOX, [row], conflict=KEY, returning=("id",))
