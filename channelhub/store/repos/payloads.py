"""The raw payload archive: every body as received, stored once however often it comes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.store.repos._upsert import insert_for
from channelhub.store.tables.sync import RawPayload


class StoredPayload(NamedTuple):
    """The archived payload's id and whether this call stored it (False: a replay)."""

    id: int
    is_new: bool


def store_raw_payload(
    session: Session,
    *,
    platform: str,
    account: str,
    kind: str,
    body: bytes,
    received_at: datetime,
    external_id: str | None = None,
) -> StoredPayload:
    """Archive ``body`` unless the same bytes were already stored for (platform, account, kind).

    Atomic (``ON CONFLICT DO NOTHING`` on the sha256 key): a duplicate webhook or a replayed
    page changes nothing and returns the first copy's id.
    """
    digest = hashlib.sha256(body).hexdigest()
    statement = (
        insert_for(session, RawPayload)
        .values(
            platform=platform,
            account=account,
            kind=kind,
            external_id=external_id,
            received_at=received_at,
            sha256=digest,
            body=body,
        )
        .on_conflict_do_nothing(index_elements=["platform", "account", "kind", "sha256"])
        .returning(RawPayload.id)
    )
    new_id = session.execute(statement).scalar_one_or_none()
    if new_id is not None:
        return StoredPayload(new_id, True)
    existing = session.scalars(
        select(RawPayload.id).where(
            RawPayload.platform == platform,
            RawPayload.account == account,
            RawPayload.kind == kind,
            RawPayload.sha256 == digest,
        )
    ).one()
    return StoredPayload(existing, False)


def get_raw_payload(session: Session, payload_id: int) -> RawPayload | None:
    """One archived payload by id (for replay and audit)."""
    return session.get(RawPayload, payload_id)


def find_raw_payloads(
    session: Session, *, platform: str, account: str, kind: str, external_id: str
) -> list[RawPayload]:
    """Every archived version of one record, oldest first."""
    return list(
        session.scalars(
            select(RawPayload)
            .where(
                RawPayload.platform == platform,
                RawPayload.account == account,
                RawPayload.kind == kind,
                RawPayload.external_id == external_id,
            )
            .order_by(RawPayload.received_at, RawPayload.id)
        )
    )


def store_raw_payloads(session: Session, records: Sequence[dict[str, Any]]) -> list[int]:
    """Archive many bodies in one statement (``records``: ``platform, account, kind, body,
    received_at, external_id``), each deduplicated as :func:`store_raw_payload` does; the ids
    in the order given. Used by the webhook writer's group commit."""
    if not records:
        return []
    rows = [{**r, "sha256": hashlib.sha256(r["body"]).hexdigest()} for r in records]
    statement = (
        insert_for(session, RawPayload)
        .on_conflict_do_nothing(index_elements=["platform", "account", "kind", "sha256"])
        .returning(
            RawPayload.id, RawPayload.platform, RawPayload.account, RawPayload.kind,
            RawPayload.sha256,
        )
    )  # fmt: skip
    ids = {(p, a, k, s): i for i, p, a, k, s in session.execute(statement, rows)}
    missing = {(r["platform"], r["account"], r["kind"], r["sha256"]) for r in rows} - ids.keys()
    if missing:
        found = session.execute(
            select(
                RawPayload.id, RawPayload.platform, RawPayload.account, RawPayload.kind,
                RawPayload.sha256,
            ).where(RawPayload.sha256.in_([key[3] for key in missing]))
        )  # fmt: skip
        ids.update({(p, a, k, s): i for i, p, a, k, s in found})
    return [ids[(r["platform"], r["account"], r["kind"], r["sha256"])] for r in rows]
