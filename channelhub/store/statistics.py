"""Planner statistics kept current on PostgreSQL while the hub's busiest tables grow.

Why: PostgreSQL plans every lookup on what the last ``ANALYZE`` saw. A first import grows
``orders`` from nothing to 100,000 rows in minutes, before autovacuum analyzes it (it waits
for its one-minute nap, and a server may run with it off), so the planner, still believing
the table empty, answers the pipeline's key lookups (IN lists on the unique key, decisions by
order id) with sequential scans: the cost per order grew with the table (measured: 643 ->
115 orders/s from 1,000 to 100,000 orders). :func:`refresh_statistics` applies autovacuum's
kind of rule at the end of a write (a table changed by more rows than the planner knows it
holds, and at least :data:`FLOOR`, since its last analyze) and analyzes it then and there:
one catalog read per chunk, and a handful of analyzes over a table's whole growth (one each
time it doubles: autovacuum's tenth would analyze 440,000 decisions some 60 times on the way,
for plans that do not change with a misestimate of two). A table another session is
analyzing is left to it (an advisory lock, tried, never waited on). SQLite needs none of
this: its planner takes the unique indexes without statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import text
from sqlalchemy.orm import Session

#: Rows changed since the last analyze before a table is analyzed again, at the least ...
FLOOR = 1_000
#: ... and as a share of the rows the planner believes the table holds.
SHARE = 1.0

# the counter read straight from the statistics functions for the named tables (as the
# search path finds them): pg_stat_user_tables computes every column of every table
_STALE = text(
    """
    SELECT c.relname FROM pg_class c
    WHERE c.oid IN (SELECT to_regclass(name) FROM unnest(CAST(:names AS text[])) AS name)
      AND pg_stat_get_mod_since_analyze(c.oid) > :floor + :share * greatest(c.reltuples, 0)
    ORDER BY c.relname
    """
)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('channelhub analyze ' || :name))")


def refresh_statistics(session: Session, tables: Sequence[str]) -> list[str]:
    """Analyze those of ``tables`` whose statistics are stale (PostgreSQL; elsewhere nothing);
    returns the tables analyzed. Runs in the caller's transaction (the analyze's lock, which
    no reader or writer waits on, is held until it ends)."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return []
    stale = session.scalars(_STALE, {"names": list(tables), "floor": FLOOR, "share": SHARE}).all()
    analyzed: list[str] = []
    for name in stale:
        if session.scalar(_TRY_LOCK, {"name": name}):
            session.execute(text(f'ANALYZE "{name}"'))  # a name from the catalog, quoted
            analyzed.append(name)
    return analyzed
