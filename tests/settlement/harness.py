"""One rig per provider: its simulator, an account on it, and the checks every import shares.

A rig knows its simulator's seeded finance plan (:mod:`channelhub.simulators.finance_plan`),
so a test can say what the ledger must hold after an import: every plan event's net, and
each payout's released lines summing to the payout except the one injected mismatch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.core.settlement import MoneyType, from_micros
from channelhub.jobs import JobKind
from channelhub.jobs.accounts.connectors import ConnectorFactory
from channelhub.jobs.engine.runner import JobOptions, JobResult, run_job
from channelhub.simulators.finance_plan import FinancePlan
from channelhub.store.crypto import Vault
from channelhub.store.repos.accounts import add_account
from channelhub.store.tables.money import MoneyLineRow


class Killed(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing on the way catches it."""


class DiesAfter:
    """Wraps a connector: the import dies once ``pages`` pages were handed out."""

    def __init__(self, inner: Any, pages: int) -> None:
        self._inner, self._pages = inner, pages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def pull_money(self, cursor: str | None = None, *, since: Any = None) -> Any:
        handed = 0
        async for page in self._inner.pull_money(cursor, since=since):
            if handed == self._pages:
                raise Killed("killed mid-import")
            handed += 1
            yield page


@dataclass
class Rig:
    """A provider's simulator with one account on it."""

    account: str
    platform: str
    plan: FinancePlan
    sim: Any
    factory_options: dict[str, Any]
    account_options: dict[str, Any]
    validate: Callable[[], int]  # every journaled request against the spec: how many
    now: Callable[[], Any]
    extra: dict[str, Any] = field(default_factory=dict)

    def add_account(self, session_factory: sessionmaker[Session], vault: Vault) -> None:
        with session_factory.begin() as session:
            add_account(
                session,
                vault,
                platform=self.platform,
                name=self.account,
                credentials={
                    k: SecretStr(v) for k, v in self.account_options["credentials"].items()
                },
                now=self.now(),
                base_url=self.account_options["base_url"],
                settings=self.account_options["settings"],
            )

    def factory(self, vault: Vault) -> ConnectorFactory:
        return ConnectorFactory(vault, **self.factory_options)

    async def pull(
        self, session_factory: sessionmaker[Session], connector_factory: Any
    ) -> list[JobResult]:
        """pull_finance until it has nothing more (as ``finance pull`` runs it)."""
        results = []
        while True:
            result = await run_job(
                session_factory,
                self.account,
                JobKind.PULL_FINANCE,
                connector_factory=connector_factory,
                now=self.now,
                options=JobOptions(max_pages=1000, initial_lookback=timedelta(days=60)),
            )
            results.append(result)
            if not result.more or result.error:
                return results


def ledger(session: Session, account: str) -> list[MoneyLineRow]:
    return list(session.scalars(select(MoneyLineRow).where(MoneyLineRow.account == account)))


def payout_sums(rows: list[MoneyLineRow]) -> dict[str, tuple[Decimal, Decimal]]:
    """Per payout ref: (the released lines' sum, minus the payout line)."""
    lines: dict[str, Decimal] = defaultdict(Decimal)
    paid: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.payout_ref is None:
            continue
        amount = from_micros(row.amount_micros)
        if row.type == MoneyType.PAYOUT.value:
            paid[row.payout_ref] -= amount
        elif row.status == "released":
            lines[row.payout_ref] += amount
    return {ref: (lines[ref], paid[ref]) for ref in set(lines) | set(paid)}


def assert_matches_plan(
    rows: list[MoneyLineRow], plan: FinancePlan, ref: Callable[[str], str]
) -> None:
    """Each seeded payout's released lines sum to it, except the injected mismatch (1.00)."""
    sums = payout_sums(rows)
    assert len(plan.payouts) >= 2
    for payout in plan.payouts:
        lines, paid = sums[ref(payout.payout_id)]
        assert lines == payout.lines_total, payout.payout_id
        assert paid == payout.amount, payout.payout_id
        if payout.payout_id == plan.payout_error:
            assert abs(paid - lines) == Decimal("1.00")
        else:
            assert paid == lines, payout.payout_id
    total = sum((from_micros(r.amount_micros) for r in rows if r.type != "payout"), Decimal(0))
    assert total == sum((e.net for e in plan.events), Decimal(0))
