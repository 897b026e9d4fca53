"""Replay a dead letter once its cause is fixed (a mapping corrected, credentials renewed).

- a refused record (``raw_payload_id`` set): its archived body goes through the platform's
  mapping (the catalogue in :mod:`channelhub.mappings.catalog`) and the guarded upsert again;
- a failed run: the job runs again from its stored cursor;
- a failed backfill (an order id without a body): the order is fetched again;
- a warehouse / carrier callback that could not be applied (``warehouse_callback``): its
  archived body is parsed and applied again (:mod:`channelhub.jobs.fulfilment.callbacks`);
- a level of a pushed stock snapshot that could not be read (``stock_snapshot``): its
  archived level is read again and applied as a one-level partial snapshot of the same
  warehouse, id and time (a warehouse cannot be asked to push again; a later snapshot that
  lists the SKU resolves the letter instead);
- a carrier scan set aside by a tracking poll (``tracking``): its body goes through the
  carrier's tracking mapping again and is stored;
- an order the pipeline refused (``pipeline``): it goes through the pipeline again with the
  hub's rulebook (``options.home``);
- a stock row a warehouse's stock pull could not read (``stock``): the pull runs again (a
  count is a snapshot: the archived row's is out of date, the warehouse's current one is
  what counts). The pull resolves the account's stock letters and reopens any row it still
  cannot read (:mod:`channelhub.jobs.stock.pull`), so the letter is resolved exactly when its
  row now reads.

A replay that works marks the letter resolved; one that fails keeps it open with the new
reason and raises, so the operator sees why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.errors import ChannelhubError, InvalidInput
from channelhub.core.models import Listing, Order
from channelhub.core.rulebook import load_rulebook
from channelhub.jobs.accounts.connectors import ConnectorFactoryFn
from channelhub.jobs.engine.isolation import MAPPING_CONTEXT, record_reason
from channelhub.jobs.engine.kinds import JobKind
from channelhub.jobs.engine.runner import JobOptions, JobResult, run_job
from channelhub.jobs.fulfilment.callbacks import (
    CALLBACK_SUBJECT,
    SNAPSHOT_SUBJECT,
    Report,
    Sender,
    apply_report,
    in_hub_codes,
    parse_report,
    parse_snapshot_level,
)
from channelhub.jobs.fulfilment.outbound import parse_order_key
from channelhub.jobs.fulfilment.tracking import TRACKING_SUBJECT, replay_tracking
from channelhub.jobs.orders.backfill import backfill_order
from channelhub.jobs.orders.intake import Intake, intake_order
from channelhub.jobs.orders.pipeline import process_order
from channelhub.jobs.orders.pipeline_intake import PIPELINE_SUBJECT, pipeline_settings
from channelhub.jobs.stock.compute import load_rules
from channelhub.jobs.stock.pull import STOCK_SUBJECT
from channelhub.mappings.catalog import normalizer
from channelhub.store.repos._upsert import Upserted
from channelhub.store.repos.jobs import get_dead_letter, resolve_dead_letter, retry_failed
from channelhub.store.repos.listings import upsert_listing
from channelhub.store.repos.payloads import get_raw_payload
from channelhub.store.tables.jobs import DeadLetter, DeadLetterState, RunOutcome


class ReplayFailed(ChannelhubError):
    """The replay failed again; the dead letter stays open with this reason."""


def _remap(session: Session, letter: DeadLetter, *, now: datetime) -> list[Upserted | Intake]:
    raw = get_raw_payload(session, letter.raw_payload_id or 0)
    if raw is None:
        raise InvalidInput.field("dead letter raw payload", letter.raw_payload_id, "is gone")
    try:
        document: Any = json.loads(raw.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput.field(
            f"raw payload {raw.id}", raw.body[:40], f"is not JSON ({exc})"
        ) from None
    told = letter.payload.get(MAPPING_CONTEXT) if isinstance(letter.payload, dict) else None
    records = normalizer(letter.platform, letter.subject)(
        document, account=letter.account, **(told if isinstance(told, dict) else {})
    )
    results: list[Upserted | Intake] = []
    for record in records:
        if isinstance(record, Order):
            results.append(intake_order(session, record, now=now, raw_payload_id=raw.id))
        elif isinstance(record, Listing):
            results.append(upsert_listing(session, record, now=now))
    return results


def _reapply(session: Session, letter: DeadLetter, *, now: datetime, options: JobOptions) -> str:
    """Apply a dead-lettered callback or pipeline order again (the caller's transaction)."""
    if letter.subject == PIPELINE_SUBJECT:
        key = parse_order_key(str(letter.payload.get("order_key")))
        rulebook = (
            load_rules(options.rules_file, home=options.home)
            if options.home is not None
            else load_rulebook({})
        )
        plan = process_order(session, key, settings=pipeline_settings(rulebook), now=now)
        return plan.status.value if plan is not None else "nothing to do"
    raw = get_raw_payload(session, letter.raw_payload_id or 0)
    if raw is None:
        raise InvalidInput.field("dead letter raw payload", letter.raw_payload_id, "is gone")
    sender: Sender | None = None
    report: Report
    if letter.subject == SNAPSHOT_SUBJECT:  # one level: it reads now, or the letter stays
        told = letter.payload.get(MAPPING_CONTEXT)
        report = parse_snapshot_level(
            letter.platform, raw.body, told if isinstance(told, dict) else {}
        )
    else:  # a whole callback: a snapshot's level still unreadable is filed on its own
        event_id = str(letter.payload.get("event_id") or letter.external_id or letter.id)
        sender = Sender(letter.platform, letter.account, event_id)
        report = parse_report(
            letter.platform,
            raw.body,
            topic=str(letter.payload.get("topic", "")),
            warehouse=str(letter.payload.get("warehouse", "")),
            received_at=raw.received_at,
        )
    report = in_hub_codes(session, letter.account, report)
    result = apply_report(session, report, now=now, sender=sender)
    return str(result.get("applied"))


async def replay_dead_letter(
    session_factory: sessionmaker[Session],
    letter_id: int,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions | None = None,
) -> str:
    """Replay one open dead letter; returns one sentence saying what it did."""
    with session_factory() as session:
        letter = get_dead_letter(session, letter_id)
    if letter.state != DeadLetterState.OPEN.value:
        raise InvalidInput.field(f"dead letter {letter_id} state", letter.state, "is not open")
    if letter.subject == "run":
        result = await _run_again(
            session_factory, letter, JobKind(letter.job_kind), "the run failed again",
            connector_factory=connector_factory, now=now, options=options,
        )  # fmt: skip
        _resolve(session_factory, letter_id, now())
        return f"ran {letter.job_kind} of {letter.account!r} again: {result.outcome}"
    if letter.subject == STOCK_SUBJECT:
        return await _pull_stock_again(
            session_factory, letter, connector_factory=connector_factory, now=now, options=options
        )
    if letter.subject in (CALLBACK_SUBJECT, SNAPSHOT_SUBJECT, PIPELINE_SUBJECT):
        try:
            with session_factory.begin() as session:
                done = _reapply(session, letter, now=now(), options=options or JobOptions())
                resolve_dead_letter(session, letter_id, now=now())
        except ChannelhubError as exc:
            _keep_open(session_factory, letter_id, str(exc), now())
            raise
        return f"applied {letter.subject} {letter.external_id or '(no id)'} again: {done}"
    if letter.subject == TRACKING_SUBJECT:
        try:
            with session_factory.begin() as session:
                raw = get_raw_payload(session, letter.raw_payload_id or 0)
                if raw is None:
                    raise InvalidInput.field(
                        "dead letter raw payload", letter.raw_payload_id, "is gone"
                    )
                new = replay_tracking(session, letter.platform, raw.body, now=now())
                resolve_dead_letter(session, letter_id, now=now())
        except ChannelhubError as exc:
            _keep_open(session_factory, letter_id, str(exc), now())
            raise
        except Exception as exc:
            reason = record_reason(exc)
            _keep_open(session_factory, letter_id, reason, now())
            raise ReplayFailed(f"dead letter {letter_id}: the scan failed again: {reason}") from exc
        return f"mapped scan of {letter.external_id or '(no number)'} again: {new} new event(s)"
    if letter.raw_payload_id is None and letter.external_id and letter.subject == "order":
        try:
            upserted = await backfill_order(
                session_factory,
                letter.account,
                letter.external_id,
                connector_factory=connector_factory,
                now=now,
            )
        except ChannelhubError as exc:
            _keep_open(session_factory, letter_id, str(exc), now())
            raise
        _resolve(session_factory, letter_id, now())
        return f"fetched order {letter.external_id} again: {upserted.outcome}"
    try:
        with session_factory.begin() as session:
            results = _remap(session, letter, now=now())
            resolve_dead_letter(session, letter_id, now=now())
    except ChannelhubError as exc:
        _keep_open(session_factory, letter_id, str(exc), now())
        raise
    # A set-aside record replayed before its cause is fixed raises what it raised at import
    # (a ValueError, a database DataError, ...): the letter stays open with that reason and
    # the operator gets one sentence, not a traceback.
    except Exception as exc:
        reason = record_reason(exc)
        _keep_open(session_factory, letter_id, reason, now())
        raise ReplayFailed(f"dead letter {letter_id}: the record failed again: {reason}") from exc
    outcomes = ", ".join(r.outcome.value for r in results) or "nothing to store"
    return f"mapped {letter.subject} {letter.external_id or '(no id)'} again: {outcomes}"


async def _pull_stock_again(
    session_factory: sessionmaker[Session],
    letter: DeadLetter,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions | None,
) -> str:
    """Run the account's stock pull again; the letter is resolved when its row now reads."""
    await _run_again(
        session_factory, letter, JobKind.PULL_STOCK, "the stock pull failed",
        connector_factory=connector_factory, now=now, options=options,
    )  # fmt: skip
    with session_factory() as session:
        again = get_dead_letter(session, letter.id)
    if again.state == DeadLetterState.OPEN.value:
        raise ReplayFailed(
            f"dead letter {letter.id}: the stock pull could not read {letter.external_id} "
            f"again: {again.reason}"
        )
    return f"pulled the stock of {letter.account!r} again: {letter.external_id} now reads"


async def _run_again(
    session_factory: sessionmaker[Session],
    letter: DeadLetter,
    kind: JobKind,
    failed: str,
    *,
    connector_factory: ConnectorFactoryFn,
    now: Callable[[], datetime],
    options: JobOptions | None,
) -> JobResult:
    """Run ``kind`` of the letter's account now; the letter stays open, with the run's error,
    when it fails (:class:`ReplayFailed` says ``failed``) or when it is running already."""
    result: JobResult = await run_job(
        session_factory,
        letter.account,
        kind,
        connector_factory=connector_factory,
        now=now,
        options=options,
    )
    if result.skipped:
        raise ReplayFailed(f"{kind.value} of {letter.account!r} is running right now")
    if result.outcome is RunOutcome.FAILED:
        _keep_open(session_factory, letter.id, result.error or "failed", now())
        raise ReplayFailed(f"dead letter {letter.id}: {failed}: {result.error}")
    return result


def _resolve(session_factory: sessionmaker[Session], letter_id: int, at: datetime) -> None:
    with session_factory.begin() as session:
        resolve_dead_letter(session, letter_id, now=at)


def _keep_open(
    session_factory: sessionmaker[Session], letter_id: int, reason: str, at: datetime
) -> None:
    with session_factory.begin() as session:
        retry_failed(session, letter_id, reason=reason, now=at)
