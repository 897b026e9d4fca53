"""Set one record aside, never its page: the store side of per-record isolation.

Every pull (orders, listings, a warehouse's shipments, a carrier's scans) stores what it
read record by record through :meth:`SetAside.store`: each record's writes run in a
SAVEPOINT, so a record the database refuses (a number too large for its column: a
``DataError``, which on PostgreSQL aborts the whole transaction unless it is rolled back to
a savepoint) is rolled back alone and filed as a dead letter pointing at its archived raw
body, while the rest of the page is committed with its cursor. Records the mapping already
refused (:mod:`channelhub.connectors.records`) are filed the same way by
:meth:`SetAside.failures`. A dead letter with a raw body is replayed by
:func:`channelhub.jobs.engine.replay.replay_dead_letter` (its body mapped and stored again).

Nothing is swallowed: every record set aside is a dead letter (one per raw body: seen again,
its ``attempts`` grows) and is counted in the run's ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from channelhub.connectors.records import describe_error, shorten
from channelhub.connectors.results import RawRecord, RecordFailure
from channelhub.store.repos.jobs import record_dead_letter
from channelhub.store.repos.payloads import store_raw_payload

R = TypeVar("R")

#: The archive's ``external_id`` column: a longer id is cut (the body keeps it whole).
MAX_EXTERNAL_ID = 200


def archive(session: Session, *, platform: str, account: str, raw: RawRecord) -> int:
    """Store one raw body (deduplicated on its bytes) and return its id."""
    external_id = raw.external_id[:MAX_EXTERNAL_ID] if raw.external_id else raw.external_id
    return store_raw_payload(
        session,
        platform=platform,
        account=account,
        kind=raw.kind,
        body=raw.body,
        received_at=raw.received_at,
        external_id=external_id,
    ).id


def record_reason(error: Exception) -> str:
    """Why one record failed, bounded: a database error by its own message, without the SQL
    and parameters SQLAlchemy adds (they can hold a whole value; the raw body keeps it)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        text = " ".join(str(error.orig).split())
        return shorten(f"the database refused it ({type(error.orig).__name__}: {text})")
    return describe_error(error)


#: The key of a dead letter's ``payload`` holding what the mapping was told (a replay passes
#: it again: Temu's currency, the listings marketplace).
MAPPING_CONTEXT = "mapping"


def replay_payload(context: Mapping[str, Any]) -> dict[str, Any]:
    return {MAPPING_CONTEXT: dict(context)} if context else {}


def set_aside_note(count: int) -> str:
    """The run's note when records were set aside (the run itself went on)."""
    return (
        f"{count} record(s) set aside as dead letters with their raw bodies; the rest were "
        "stored. See `channelhub jobs deadletters`; once the cause is fixed, "
        "`channelhub jobs replay ID`."
    )


@dataclass(frozen=True)
class SetAside:
    """Where one run files the records it sets aside (one per page transaction)."""

    platform: str
    account: str
    job_kind: str
    now: datetime
    run_id: int | None = None

    def record(
        self,
        session: Session,
        *,
        subject: str,
        reason: str,
        external_id: str | None = None,
        raw_payload_id: int | None = None,
        payload: Mapping[str, Any] | None = None,
    ) -> int:
        """File one record as a dead letter; the same raw body again reopens the same one."""
        key = None
        if raw_payload_id is not None:
            key = f"record:{self.account}:{subject}:{raw_payload_id}"
        return record_dead_letter(
            session,
            account=self.account,
            platform=self.platform,
            job_kind=self.job_kind,
            subject=subject,
            reason=shorten(reason),
            now=self.now,
            external_id=external_id[:MAX_EXTERNAL_ID] if external_id else external_id,
            raw_payload_id=raw_payload_id,
            payload=payload,
            run_id=self.run_id,
            dedupe_key=key,
        )

    def failures(self, session: Session, failures: Iterable[RecordFailure]) -> int:
        """Archive each record the mapping refused and file it; returns how many."""
        filed = 0
        for failure in failures:
            raw = failure.raw
            payload_id = archive(session, platform=self.platform, account=self.account, raw=raw)
            self.record(
                session,
                subject=raw.kind,
                reason=failure.reason,
                external_id=raw.external_id,
                raw_payload_id=payload_id,
                payload=replay_payload(failure.context),
            )
            filed += 1
        return filed

    def store(
        self,
        session: Session,
        write: Callable[[], R],
        *,
        subject: str,
        external_id: str | None,
        raw_payload_id: int | None,
        context: Mapping[str, Any] | None = None,
    ) -> R | None:
        """Run one record's ``write`` in a savepoint; on any error roll back just that record,
        file it as a dead letter and return None."""
        try:
            with session.begin_nested():
                return write()
        except DBAPIError as error:
            if error.connection_invalidated:
                raise  # the connection is gone: not this record's fault, the run stops
            reason = record_reason(error)
        # The one store-side record boundary: whatever one record's write raises (a value the
        # database refuses, an invariant the store checks) must not roll back its page; the
        # savepoint undid its writes and the dead letter below keeps it, so nothing is lost.
        except Exception as error:  # noqa: BLE001 - the record boundary, see above
            reason = describe_error(error)
        self.record(
            session,
            subject=subject,
            reason=reason,
            external_id=external_id,
            raw_payload_id=raw_payload_id,
            payload=replay_payload(context or {}),
        )
        return None
