"""Writing the money ledger: provider records and their lines, each stored once.

Dedupe is the database's: ``INSERT ... ON CONFLICT DO NOTHING`` on the ledger's unique keys, so
two imports of the same period (or two workers racing on it) store every line once. Rows go in
multi-row statements of a few hundred (one compiled statement executed over the rows), not
one statement per line (an importer writes thousands per page).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from channelhub.core.settlement import MoneyLine, ProviderRecord, to_micros
from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.money import MoneyLineRow, MoneyRecordRow

#: Rows per execute call (SQLAlchemy splits each into INSERTs within the bound-parameter
#: limit of the database); bounds the RETURNING rows held at once.
_CHUNK = 5_000


@dataclass(frozen=True)
class Recorded:
    """What one write added: records and lines new to the ledger (the rest were known)."""

    records: int
    lines: int


def _line_row(account: str, line: MoneyLine, now: datetime) -> dict[str, Any]:
    return {
        "account": account,
        "source": line.source.value,
        "provider_txn_id": line.provider_txn_id,
        "component": line.component,
        "type": line.type.value,
        "amount_micros": to_micros(line.amount),
        "currency": line.currency,
        "posted_at": line.posted_at,
        "status": line.status.value,
        "order_ref": line.order_ref,
        "order_channel": line.order_channel,
        "line_ref": line.line_ref,
        "package_ref": line.package_ref,
        "payout_ref": line.payout_ref,
        "sku": line.sku,
        "description": line.description[:255],
        "imported_at": now,
    }


def _insert_new(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows``, skipping the ones already stored; returns how many were new.

    One statement executed over the rows (SQLAlchemy's "insertmanyvalues" batches them into
    multi-row INSERTs compiled once, instead of compiling a statement per chunk)."""
    if not rows:
        return 0
    statement = (
        insert_for(session, table)
        .on_conflict_do_nothing()
        .returning(table.c.account)  # only the rows inserted: psycopg's rowcount is -1 here
    )
    added = 0
    for start in range(0, len(rows), _CHUNK):
        added += len(session.execute(statement, list(rows[start : start + _CHUNK])).all())
    return added


def record_money(
    session: Session, account: str, records: Iterable[ProviderRecord], now: datetime
) -> Recorded:
    """Store provider records and their lines for ``account``; known ones are left as they are.

    The caller commits (with the importer's cursor, so a crash re-reads the page and this
    write is a no-op for what already landed).
    """
    record_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for record in records:
        if record.provider_txn_id not in seen:  # a page may repeat a record: keep the first
            seen.add(record.provider_txn_id)
            record_rows.append(
                {
                    "account": account,
                    "provider_txn_id": record.provider_txn_id,
                    "kind": record.kind,
                    "payload": record.payload,
                    "imported_at": now,
                }
            )
        line_rows.extend(_line_row(account, line, now) for line in record.lines)
    records_added = _insert_new(session, MoneyRecordRow.__table__, record_rows)
    lines_added = _insert_new(session, MoneyLineRow.__table__, line_rows)
    return Recorded(records=records_added, lines=lines_added)
