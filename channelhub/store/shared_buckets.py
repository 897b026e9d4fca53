"""Rate-limit buckets shared by every process of one PostgreSQL database.

With procrastinate workers, one account's import and stock push may run in two processes at
once; each process's own buckets would each believe they hold the account's whole budget
(Shopify's cost bucket is per shop, Amazon's rates per selling account). Here a bucket is a
row of ``rate_buckets``, and a reservation is one statement that refills it, takes the tokens
and returns the balance, under the row's lock::

    tokens = least(burst, tokens + rate × (now − at)) − n,  at = now

A negative balance is a reservation waiting: the caller sleeps ``−tokens / rate`` (the same
GCRA bucket as :class:`channelhub.connectors.http.ratelimit.TokenBucket`, so at most
``burst + rate × w`` tokens are granted in any window ``w``, across processes). ``now`` is
the database's clock (one clock for every host) unless a clock is injected (the tests).

The connectors receive this as their ``BucketBackend`` (the store is never imported by
them); SQLite and the embedded engine keep the in-process buckets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy import Engine, TextClause, text

from channelhub.core.ratelimit import Correction, ReservingBucket, Sleep


class Plan(Protocol):
    """A usage plan (``RateLimit``): tokens per second and bucket size."""

    @property
    def rate(self) -> float: ...

    @property
    def burst(self) -> float: ...


#: The statement's ``now``: the injected clock's value, else the database's clock.
_NOW = (
    "WITH t AS (SELECT coalesce(CAST(:now AS double precision), "
    "extract(epoch FROM clock_timestamp())::double precision) AS now)"
)
#: The balance refilled up to ``t.now`` (never backwards: another host's clock may be behind).
_REFILLED = "least(b.burst, b.tokens + b.rate * greatest(0, t.now - b.at))"

#: Seed the row on first use (full, like a new process's bucket), else refill and take; a
#: changed configured plan resets rate and burst to it.
_RESERVE = text(f"""
{_NOW}
INSERT INTO rate_buckets AS b (account, bucket, tokens, rate, burst, plan_rate, plan_burst, at)
SELECT :account, :bucket, :burst - :n, :rate, :burst, :rate, :burst, t.now FROM t
ON CONFLICT (account, bucket) DO UPDATE SET
    tokens = CASE WHEN b.plan_rate = excluded.plan_rate AND b.plan_burst = excluded.plan_burst
                  THEN least(b.burst, b.tokens + b.rate * greatest(0, excluded.at - b.at))
                  ELSE least(excluded.burst, b.tokens + b.rate * greatest(0, excluded.at - b.at))
             END - :n,
    rate = CASE WHEN b.plan_rate = excluded.plan_rate THEN b.rate ELSE excluded.rate END,
    burst = CASE WHEN b.plan_burst = excluded.plan_burst THEN b.burst ELSE excluded.burst END,
    plan_rate = excluded.plan_rate,
    plan_burst = excluded.plan_burst,
    at = greatest(b.at, excluded.at)
RETURNING b.tokens, b.rate, b.burst, b.at - (SELECT now FROM t)
""")

_REFUND = text(f"""
{_NOW}
UPDATE rate_buckets AS b SET tokens = least(b.burst, {_REFILLED} + :n),
       at = greatest(b.at, t.now)
  FROM t WHERE b.account = :account AND b.bucket = :bucket
RETURNING b.tokens, b.rate, b.burst
""")

#: ``:refund`` NULL: ``:available`` replaces the balance; else the balance takes the refund
#: back and ``:available`` only lowers it (``ReservingBucket.update``)
_APPLY = text(f"""
{_NOW}
UPDATE rate_buckets AS b SET
    tokens = least(
        CASE WHEN CAST(:refund AS double precision) IS NULL
             THEN coalesce(CAST(:available AS double precision), {_REFILLED})
             ELSE least({_REFILLED} + CAST(:refund AS double precision),
                        coalesce(CAST(:available AS double precision), 'Infinity'))
        END,
        coalesce(CAST(:burst AS double precision), b.burst)),
    rate = coalesce(CAST(:rate AS double precision), b.rate),
    burst = coalesce(CAST(:burst AS double precision), b.burst),
    at = greatest(b.at, t.now)
  FROM t WHERE b.account = :account AND b.bucket = :bucket
RETURNING b.tokens, b.rate, b.burst
""")

_PEEK = text(f"""
{_NOW}
SELECT {_REFILLED}, b.rate, b.burst FROM rate_buckets AS b, t
 WHERE b.account = :account AND b.bucket = :bucket
""")


class SharedBucket(ReservingBucket):
    """One (account, bucket) row, answering the connectors' ``Bucket`` protocol (the shape
    every bucket shares: :class:`~channelhub.core.ratelimit.ReservingBucket`). ``rate`` and
    ``burst`` are the row's as of this process's last statement."""

    def __init__(
        self,
        buckets: SharedBuckets,
        account: str,
        name: str,
        plan: Plan,
        sleep: Sleep,
    ) -> None:
        self._buckets = buckets
        self._key = {"account": account, "bucket": name}
        self._plan = (float(plan.rate), float(plan.burst))
        self._rate, self._burst = self._plan
        self._sleep = sleep

    @property
    def tokens(self) -> float:
        """Tokens available now (negative while reservations wait); the full bucket when no
        process has used it yet."""
        row = self._buckets.run(_PEEK, self._key)
        if row is None:
            return self._plan[1]
        self._rate, self._burst = float(row[1]), float(row[2])
        return float(row[0])

    def _take(self, n: float) -> float:
        rate, burst = self._plan
        row = self._buckets.run(_RESERVE, {**self._key, "n": n, "rate": rate, "burst": burst})
        assert row is not None  # an upsert always returns its row
        tokens, self._rate, self._burst, ahead = (float(v) for v in row)
        # ``ahead``: another process's statement stamped the row later than our ``now``
        return max(0.0, ahead + max(0.0, -tokens) / self._rate)

    def refund(self, n: float) -> None:
        self._remember(self._buckets.run(_REFUND, {**self._key, "n": n}))

    def _correct(self, fix: Correction) -> None:
        # one statement: every process then paces by what the platform reported
        params = {**self._key, "rate": fix.rate, "burst": fix.burst, "available": fix.available}
        params["refund"] = fix.refund
        self._remember(self._buckets.run(_APPLY, params))

    def _remember(self, row: Any) -> None:
        if row is not None:
            self._rate, self._burst = float(row[1]), float(row[2])


class SharedBuckets:
    """The ``BucketBackend`` of a PostgreSQL database: ``bucket(account, name, plan, sleep)``.

    Each statement runs in autocommit on a pooled connection: one round trip per platform
    call (see ``python -m bench.run shared_buckets``). ``clock``: epoch seconds to use instead
    of the database's clock (tests)."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] | None = None) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("shared rate-limit buckets need PostgreSQL")
        self._engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._clock = clock

    def bucket(self, account: str, operation: str, limit: Plan, sleep: Sleep) -> SharedBucket:
        return SharedBucket(self, account, operation, limit, sleep)

    def run(self, statement: TextClause, params: dict[str, Any]) -> Any:
        """One statement, its first row (None when it returned none)."""
        now = self._clock() if self._clock is not None else None
        with self._engine.connect() as connection:
            return connection.execute(statement, {**params, "now": now}).first()


def shared_buckets_for(engine: Engine, engine_kind: str) -> SharedBuckets | None:
    """The shared buckets when several processes spend the same budgets (procrastinate on
    PostgreSQL); None: each process keeps its own (embedded engine, SQLite: the caller's
    ``ProcessBuckets``)."""
    if engine_kind != "procrastinate" or engine.dialect.name != "postgresql":
        return None
    return SharedBuckets(engine)


__all__ = ["SharedBucket", "SharedBuckets", "shared_buckets_for"]
