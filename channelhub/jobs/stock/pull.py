"""Reading a WMS's stock levels into the ledger (``stock pull`` and the ``pull_stock`` job).

A pull sets each warehouse the account serves to the WMS's on-hand count, one ADJUST movement
of the difference per SKU (reason "pulled from <account>"), so a second pull with nothing
changed records nothing. A SKU the ledger holds but the WMS no longer lists is set to 0 (a pull
reads every SKU). Units of outbound orders the WMS holds unconfirmed (in flight) may already
have left its shelf before the hub hears of the shipment: a WMS count lower than the ledger by
at most those units is left alone (the shipment's confirmation consumes them), exactly as
reconciliation explains it, so a pull never counts a shipment twice.

A WMS that lists only what changed (``STOCK_CHANGES``: FBA inventory by ``startDateTime``)
is read that way when the scheduled job has a cursor from its last read: only the SKUs listed
are adjusted (the others did not change), and the last page's cursor is stored for the next
run. Without a cursor (the first run, ``stock pull`` by hand) every SKU is read as above.

A row the WMS sent that its mapping could not read (a page's ``failures``) is archived with its
raw body and filed as a dead letter in the same transaction; the other rows are applied. The
warehouse it belongs to (the failure's ``warehouse`` context; every served warehouse when it
names none) is then read as partial: its listed SKUs are set, but a SKU it did not list is left
as it is rather than set to 0 (it may be the row set aside). The next full read reads the row
again: it resolves the account's open stock letters first, and a row still unreadable reopens
its own (the same body is the same letter), so an open letter is a row the last read could not
read. A read of the changes resolves the letters of the rows it lists (``HUB-WAREHOUSE:SKU``)
the same way; a WMS that set a row aside lists it again on the next read of the changes (its
last cursor does not move past it, see the FBA connector). Replaying a letter runs the pull
again (:mod:`channelhub.jobs.engine.replay`).

Which warehouse a level belongs to: the registered warehouse whose ``external_id`` (else code)
the level names; when the account serves a single warehouse, every level is that warehouse's
(a connector labels levels with its own ``warehouse`` setting, which need not be the code).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.connectors.results import RecordFailure
from channelhub.connectors.roles import Capability, Warehouse, require
from channelhub.core.errors import ConfigError
from channelhub.jobs.engine.isolation import SetAside, set_aside_note
from channelhub.jobs.engine.runner import JobContext
from channelhub.store.repos.cursors import set_cursor
from channelhub.store.repos.jobs import RunCounts, resolve_subject
from channelhub.store.repos.reconcile import iter_in_flight, iter_ledger_on_hand
from channelhub.store.repos.stock import mark_stock_known, set_on_hand
from channelhub.store.repos.warehouses import level_resolver, warehouses_of_account
from channelhub.store.tables.stock import WarehouseRow

SessionFactory = Callable[[], Session]
#: the subject of a stock row's dead letter (the raw record's kind)
STOCK_SUBJECT = "stock"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PullSummary:
    """What one pull did, per warehouse code: SKUs adjusted and the net units."""

    account: str
    levels: int
    adjusted: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    in_flight_kept: int = 0
    unmatched: tuple[str, ...] = ()  # WMS warehouse ids no registered warehouse matches
    cursor: str | None = None  # where a changed-since read starts next (STOCK_CHANGES)
    changes_only: bool = False  # this read listed only what changed since the last
    set_aside: int = 0  # rows the mapping could not read, filed as dead letters
    #: warehouses with rows set aside: SKUs they did not list were left as they were
    partial: tuple[str, ...] = ()

    @property
    def changed(self) -> int:
        return sum(self.adjusted.values())

    def render(self) -> str:
        """One line per warehouse, then what was left alone."""
        lines = [f"pulled {self.levels} stock level(s) from {self.account}"]
        for code in sorted(self.adjusted):
            n, units = self.adjusted[code], self.units.get(code, 0)
            lines.append(
                f"  {code}: {n} SKU(s) adjusted ({units:+d} units)" if n else f"  {code}: unchanged"
            )
        if self.in_flight_kept:
            lines.append(
                f"  {self.in_flight_kept} count(s) left as they are: the gap is units in flight "
                "(shipped at the warehouse, not yet confirmed)"
            )
        if self.unmatched:
            lines.append(
                f"  ignored levels of WMS warehouse(s) {', '.join(self.unmatched)}: no registered "
                "warehouse has that external id (`channelhub warehouses add ... --external-id`)"
            )
        if self.set_aside:
            lines.append(
                f"  {self.set_aside} row(s) could not be read and were set aside as dead letters "
                f"(`channelhub jobs deadletters`); SKUs not listed in {', '.join(self.partial)} "
                "were left as they were"
            )
        return "\n".join(lines)


def served_warehouses(
    session: Session, account: str, settings: Mapping[str, Any] | None = None
) -> list[WarehouseRow]:
    """The warehouses ``account`` serves (as for dispatch: those naming it, else the one its
    ``warehouse`` setting or its name is the code of), or one line saying how to add one."""
    rows = warehouses_of_account(session, account)
    if not rows:
        fallback = str((settings or {}).get("warehouse") or account)
        rows = list(session.scalars(select(WarehouseRow).where(WarehouseRow.code == fallback)))
    if not rows:
        raise ConfigError(
            f"no warehouse is served by account {account!r}: register one with "
            f"`channelhub warehouses add CODE --country CC --account {account}`"
        )
    return rows


async def pull_stock(
    session_factory: SessionFactory,
    connector: Warehouse,
    *,
    account: str,
    now: datetime,
    settings: Mapping[str, Any] | None = None,
    cursor: str | None = None,
    job_kind: str = "pull_stock",
    run_id: int | None = None,
) -> PullSummary:
    """Read every level from the WMS (or, with ``cursor`` and ``STOCK_CHANGES``, those
    changed since), then adjust the ledger and file the rows set aside in one transaction
    (dead letters under ``job_kind`` and ``run_id``)."""
    require(connector, Capability.STOCK_LEVELS)
    changes_only = cursor is not None and Capability.STOCK_CHANGES in connector.capabilities
    with session_factory() as session:
        resolve = level_resolver(served_warehouses(session, account, settings))
    counts: dict[tuple[str, str], int] = {}
    unmatched: set[str] = set()
    levels = 0
    next_cursor: str | None = None
    failures: list[RecordFailure] = []
    read: set[str] = set()  # HUB-WAREHOUSE:SKU of every row read, as a letter names its row
    async for page in connector.get_stock_levels(None, cursor if changes_only else None):
        next_cursor = page.cursor if page.done else next_cursor
        failures.extend(page.failures)
        for level in page.items:
            levels += 1
            read.add(f"{level.warehouse}:{level.sku}")
            code = resolve(level.warehouse)
            if code is None:
                unmatched.add(level.warehouse)
                continue
            counts[(code, level.sku)] = counts.get((code, level.sku), 0) + level.on_hand
    with session_factory() as session, session.begin():
        # the served warehouses again, inside the writing transaction
        codes = [row.code for row in served_warehouses(session, account, settings)]
        ledger = {
            (c.warehouse, c.sku): c.quantity for c in iter_ledger_on_hand(session, warehouses=codes)
        }
        flight = {
            (c.warehouse, c.sku): c.quantity for c in iter_in_flight(session, warehouses=codes)
        }
        adjusted = dict.fromkeys(codes, 0)
        units = dict.fromkeys(codes, 0)
        kept = 0
        partial = partial_warehouses(failures, resolve, codes)
        # the rows read again supersede their earlier letters: every row on a full read, the
        # rows listed (read or set aside again) on a read of the changes
        seen = read | {f.raw.external_id or "" for f in failures} if changes_only else None
        resolve_subject(session, account=account, subject=STOCK_SUBJECT, now=now, external_ids=seen)
        aside = SetAside(connector.platform, account, job_kind, now, run_id)
        set_aside = aside.failures(session, failures)
        unlisted = {k for k, v in ledger.items() if v and k[0] not in partial}
        listed = set(counts) if changes_only else set(counts) | unlisted
        for key in sorted(listed):
            code, sku = key
            if code not in adjusted:
                continue
            target = counts.get(key, 0)
            gap, in_flight = ledger.get(key, 0) - target, flight.get(key, 0)
            if 0 < gap <= in_flight:
                kept += 1
                continue
            if gap > 0:  # beyond what is in flight: their confirmation still consumes them
                target += in_flight
            difference = set_on_hand(
                session, code, sku, target, reason=f"pulled from {account}", now=now
            )
            adjusted[code] += difference != 0
            units[code] += difference
        for code in codes:
            mark_stock_known(session, code, now)
    return PullSummary(
        account=account,
        levels=levels,
        adjusted=adjusted,
        units=units,
        in_flight_kept=kept,
        unmatched=tuple(sorted(unmatched)),
        cursor=next_cursor,
        changes_only=changes_only,
        set_aside=set_aside,
        partial=tuple(sorted(partial)),
    )


def partial_warehouses(
    failures: list[RecordFailure], resolve: Callable[[str], str | None], codes: list[str]
) -> set[str]:
    """The served warehouses a row set aside may belong to: the one its ``warehouse``
    context names, every one when it names none (or none registered)."""
    partial: set[str] = set()
    for failure in failures:
        named = failure.context.get("warehouse")
        code = resolve(named) if isinstance(named, str) else None
        partial.update([code] if code is not None else codes)
    return partial


async def pull_stock_job(context: JobContext) -> bool:
    """The scheduled ``pull_stock`` of one WMS account.

    Counts: SKUs adjusted -> updated, served warehouses left as they were -> unchanged, rows
    set aside as dead letters -> failed (and the run's note says so). A WMS
    whose connector cannot read stock levels is skipped quietly (its stock arrives otherwise,
    e.g. by snapshot callbacks): scheduling it is not the seller's mistake.
    """
    connector = context.connector()
    if not isinstance(connector, Warehouse):
        raise ConfigError(f"account {context.account.name!r} is not a warehouse")
    if Capability.STOCK_LEVELS not in connector.capabilities:
        log.info("pull_stock: %s cannot read stock levels; skipped", context.account.name)
        return False
    stored = context.cursor() or {}
    summary = await pull_stock(
        context.session_factory,
        connector,
        account=context.account.name,
        now=context.now(),
        settings=context.account.settings,
        cursor=stored.get("cursor") if isinstance(stored.get("cursor"), str) else None,
        job_kind=context.kind.value,
        run_id=context.run_id,
    )
    unchanged = sum(1 for n in summary.adjusted.values() if n == 0)
    if summary.set_aside:
        context.note = set_aside_note(summary.set_aside)

    def write(session: Session) -> RunCounts:
        if summary.cursor is not None:  # a STOCK_CHANGES warehouse: the next read starts here
            set_cursor(
                session,
                context.account.name,
                context.kind.value,
                {"cursor": summary.cursor, "done": True},
                now=context.now(),
            )
        return RunCounts(updated=summary.changed, unchanged=unchanged, failed=summary.set_aside)

    context.commit_page(write)
    return False
