"""Which job unit sends an outbox target's messages: ``(account, job)``.

Both engines wake that unit when a message commits: the distributed one defers it in the
committing transaction (:mod:`channelhub.jobs.distributed.events`), the embedded one runs
it through its waker (:mod:`channelhub.jobs.engine.unit_wake`).
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from channelhub.jobs.engine.kinds import JobKind
from channelhub.store.tables.accounts import Account
from channelhub.store.tables.stock import WarehouseRow


def units_for_targets(session: Session, targets: Collection[str]) -> set[tuple[str, JobKind]]:
    """The (account, job) that sends the messages of each outbox target (see
    :mod:`channelhub.jobs.engine.handlers` for which warehouse account serves a code)."""
    units: set[tuple[str, JobKind]] = set()
    codes = set()
    for target in targets:
        kind, _, rest = target.partition(":")
        if kind == "channel":
            units.add((rest.partition(":")[2], JobKind.PUSH_TRACKING))
        elif kind == "warehouse":
            codes.add(rest)
    if codes:
        named = dict(
            session.execute(
                select(WarehouseRow.code, WarehouseRow.account).where(
                    WarehouseRow.code.in_(codes), WarehouseRow.account.is_not(None)
                )
            ).all()
        )
        rest_codes = codes - set(named)
        if rest_codes:
            for name, settings in session.execute(select(Account.name, Account.settings)):
                served = str((settings or {}).get("warehouse") or name)
                if served in rest_codes:
                    named.setdefault(served, name)
        units.update((account, JobKind.DISPATCH_OUTBOX) for account in named.values() if account)
    return units
