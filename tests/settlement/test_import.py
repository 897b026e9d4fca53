"""pull_finance against each provider's simulator: the seeded money lands once, payouts add up.

Per provider: every request the connector built validates against the vendored spec; a
full import puts every seeded event in the ledger and each seeded payout's released lines
sum to it (except the injected mismatch); importing the same period again adds nothing; an
import killed after its first page resumes without counting anything twice; a record the
mapping cannot read is set aside with its raw body while the others go through.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from channelhub.simulators.shopify.finance import payout_number
from channelhub.store.crypto import Vault
from channelhub.store.repos.cursors import reset_cursor
from channelhub.store.tables.jobs import DeadLetter, RunOutcome
from channelhub.store.tables.money import MoneyRecordRow
from channelhub.store.tables.sync import RawPayload
from tests.settlement.harness import DiesAfter, Killed, Rig, assert_matches_plan, ledger
from tests.settlement.rigs import (
    add_bad_record,
    amazon_rig,
    ebay_rig,
    shipbob_rig,
    shopify_rig,
)

pytestmark = pytest.mark.anyio

RIGS: dict[str, Callable[[], Rig]] = {
    "amazon": amazon_rig,
    "ebay": ebay_rig,
    "shopify": shopify_rig,
    "shipbob": shipbob_rig,
}
#: the ledger's payout ref of a seeded payout id, per provider
PAYOUT_REF: dict[str, Callable[[str], str]] = {
    "amazon": lambda p: p,
    "ebay": lambda p: p,
    "shopify": payout_number,
    "shipbob": lambda p: p,
}


@pytest.fixture(params=sorted(RIGS))
def rig(request: pytest.FixtureRequest) -> Rig:
    return RIGS[request.param]()


async def test_import_twice_and_payouts_add_up(
    rig: Rig, session_factory: sessionmaker[Session], vault: Vault
) -> None:
    rig.add_account(session_factory, vault)
    results = await rig.pull(session_factory, rig.factory(vault))
    assert all(r.outcome is RunOutcome.OK for r in results), [r.error for r in results]
    with session_factory() as session:
        rows = ledger(session, rig.account)
    assert_matches_plan(rows, rig.plan, PAYOUT_REF[rig.platform])
    assert sum(r.counts.new for r in results) == len(rows)
    assert rig.validate() > 0

    # the same period again (as `finance pull --since` does): every line known, none added
    with session_factory.begin() as session:
        reset_cursor(
            session,
            rig.account,
            "pull_finance",
            now=rig.now(),
            since=rig.now() - timedelta(days=60),
        )
    again = await rig.pull(session_factory, rig.factory(vault))
    assert sum(r.counts.new for r in again) == 0
    assert sum(r.counts.unchanged for r in again) >= len(rows)  # payouts re-read theirs
    with session_factory() as session:
        assert len(ledger(session, rig.account)) == len(rows)


async def test_killed_mid_import_resumes_without_double_counting(
    rig: Rig, sqlite_factory: sessionmaker[Session], vault: Vault
) -> None:
    session_factory = sqlite_factory
    rig.add_account(session_factory, vault)
    factory = rig.factory(vault)

    def dying(row: Any) -> Any:
        return DiesAfter(factory(row), pages=1)

    with pytest.raises(Killed):
        await rig.pull(session_factory, dying)
    with session_factory() as session:
        partial = len(ledger(session, rig.account))
    assert partial > 0
    await rig.pull(session_factory, factory)
    with session_factory() as session:
        rows = ledger(session, rig.account)
    assert len(rows) > partial
    assert_matches_plan(rows, rig.plan, PAYOUT_REF[rig.platform])


async def test_a_bad_record_is_set_aside_with_its_raw_body(
    rig: Rig, sqlite_factory: sessionmaker[Session], vault: Vault
) -> None:
    session_factory = sqlite_factory
    rig.add_account(session_factory, vault)
    bad_id = add_bad_record(rig)
    results = await rig.pull(session_factory, rig.factory(vault))
    assert sum(r.counts.failed for r in results) == 1
    with session_factory() as session:
        letter = session.scalars(select(DeadLetter)).one()
        assert letter.external_id == bad_id and letter.job_kind == "pull_finance"
        raw = session.get(RawPayload, letter.raw_payload_id)
        assert raw is not None and bad_id.encode() in bytes(raw.body)
        known = set(session.scalars(select(MoneyRecordRow.provider_txn_id)))
        rows = ledger(session, rig.account)
    assert bad_id not in known
    assert_matches_plan(rows, rig.plan, PAYOUT_REF[rig.platform])
