"""``pull_finance``: each provider's money imported into the ledger, page by page.

Per page, in ONE transaction (:func:`~channelhub.jobs.orders.pulls.import_pages`): the page's
provider records and their lines (:func:`~channelhub.store.repos.money.record_money`, which
stores each once: a re-read page or a re-imported period adds nothing), every record the
mapping refused archived with its raw body and filed as a dead letter (the rest go through),
and the cursor that resumes after the page. A crash mid-import redoes at most the page in
flight, which the ledger's unique keys make a no-op, so nothing is counted twice.

The window is the connector's (:mod:`channelhub.connectors.finance`): posted time, held back
a few minutes before now, each run re-reading an overlap before the last one's end. The run
holds the account's ``pull_finance`` lease and its calls go through the connector's
per-operation rate limits (the finance APIs' published usage plans).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from channelhub.connectors.finance import FinanceReader
from channelhub.connectors.results import PageOf
from channelhub.core.settlement import ProviderRecord
from channelhub.jobs.engine.isolation import SetAside
from channelhub.jobs.engine.runner import JobContext
from channelhub.jobs.orders.pulls import import_pages
from channelhub.store.repos.cursors import since_of
from channelhub.store.repos.jobs import RunCounts
from channelhub.store.repos.money import record_money

log = logging.getLogger(__name__)


def store_money_page(
    session: Session,
    page: PageOf[ProviderRecord],
    *,
    platform: str,
    account: str,
    job_kind: str,
    now: datetime,
    run_id: int | None = None,
) -> RunCounts:
    """Store one page's money (lines new to the ledger -> new, known -> unchanged) and set
    aside what the mapping refused (-> failed). A line read twice in the page counts once."""
    recorded = record_money(session, account, page.items, now)
    lines = len({(line.provider_txn_id, line.component) for r in page.items for line in r.lines})
    failed = SetAside(platform, account, job_kind, now, run_id).failures(session, page.failures)
    return RunCounts(new=recorded.lines, unchanged=lines - recorded.lines, failed=failed)


def reads_money(connector: object) -> bool:
    """Whether an account's connector can import money (others are skipped quietly)."""
    return isinstance(connector, FinanceReader)


async def pull_finance(context: JobContext) -> bool:
    """Import the account's money posted since the stored cursor (first run: ``since`` from a
    ``finance pull --since`` or the connector's lookback). A platform with no finance import
    (Temu, a carrier) is skipped: scheduling it is not the seller's mistake."""
    connector = context.connector()
    if not reads_money(connector):
        log.info("pull_finance: %s has no finance import; skipped", context.account.name)
        context.note = f"{context.account.platform} has no finance import in channelhub"
        return False
    stored = context.cursor()
    cursor = stored.get("cursor") if stored else None
    since = None if cursor else since_of(stored)
    pages = connector.pull_money(cursor if isinstance(cursor, str) else None, since=since)
    return await import_pages(context, pages, store_money_page)
