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

:func:`refresh_growth` does the same for tables written mostly by appending and read back
through their indexes (the pipeline's decisions, transitions, ledger and outbox), for a
fraction of the cost: it analyzes only the columns those plans are chosen by
(:func:`planned_columns`), since sorting every text and JSON column of a 30,000-row sample
was most of an analyze (measured at 10,000 orders: 150 ms -> 24 ms for the decisions, 120 ->
11 ms for the outbox). An analyze of some columns does not reset PostgreSQL's changed-rows
counter (autovacuum, where it runs, still analyzes the whole table on its own schedule), so
its rule reads growth instead: the live rows counted past what the planner believes, by
:data:`FLOOR` and :data:`SHARE` as above (for appended rows, the same rows; rows updated in
place, as the outbox's states, are left to autovacuum: they do not grow a table).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from sqlalchemy import ForeignKeyConstraint, Table, UniqueConstraint, text
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
# the same for growth; an index lookup by oid (no sort, no hash of the names: a tenth of
# the planning time of the query above)
_GROWN = text(
    """
    SELECT c.relname FROM pg_class c
    WHERE c.oid = ANY(ARRAY(SELECT to_regclass(name) FROM unnest(CAST(:names AS text[])) AS name))
      AND pg_stat_get_live_tuples(c.oid) - greatest(c.reltuples, 0)
          > :floor + :share * greatest(c.reltuples, 0)
    """
)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('channelhub analyze ' || :name))")


def refresh_statistics(session: Session, tables: Sequence[str]) -> list[str]:
    """Analyze those of ``tables`` whose statistics are stale (PostgreSQL; elsewhere nothing);
    returns the tables analyzed. Runs in the caller's transaction (the analyze's lock, which
    no reader or writer waits on, is held until it ends)."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return []
    values = {"names": list(tables), "floor": FLOOR, "share": SHARE}
    stale = session.connection().scalars(_STALE, values).all()
    return _analyze(session, stale, {})


def refresh_growth(session: Session, tables: Sequence[Table]) -> list[str]:
    """Analyze the planned columns of those of ``tables`` (tables that only grow) that grew
    past the planner's view (PostgreSQL; elsewhere nothing); returns the tables analyzed,
    by name. In the caller's transaction, as :func:`refresh_statistics`."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return []
    by_name = {t.name: t for t in tables}
    values = {"names": sorted(by_name), "floor": FLOOR, "share": SHARE}
    grown = sorted(session.connection().scalars(_GROWN, values).all())
    return _analyze(session, grown, {name: planned_columns(by_name[name]) for name in grown})


def _analyze(
    session: Session, names: Sequence[str], columns: dict[str, tuple[str, ...]]
) -> list[str]:
    """``ANALYZE`` each of ``names`` (only its ``columns`` where given) that no other session
    is analyzing."""
    analyzed: list[str] = []
    if not names:
        return analyzed
    connection = session.connection()
    for name in names:
        if connection.scalar(_TRY_LOCK, {"name": name}):
            listed = ", ".join(f'"{c}"' for c in columns.get(name, ()))
            # names from the catalog and the table's metadata, quoted
            connection.execute(text(f'ANALYZE "{name}"' + (f" ({listed})" if listed else "")))
            analyzed.append(name)
    return analyzed


@cache
def planned_columns(table: Table) -> tuple[str, ...]:
    """The columns the planner chooses ``table``'s plans by: those of its indexes and foreign
    keys, less a column alone in a unique index or the primary key (the planner takes such a
    key as distinct from the index itself, without statistics). Empty: all columns."""
    keys = {c.name for c in table.primary_key.columns} if len(table.primary_key) == 1 else set()
    planned: set[str] = set()
    for index in table.indexes:
        names = {c.name for c in index.columns}
        if index.unique and len(names) == 1:
            keys |= names
        planned |= names
    for constraint in table.constraints:
        if isinstance(constraint, ForeignKeyConstraint):
            planned |= {c.name for c in constraint.columns}
        elif isinstance(constraint, UniqueConstraint):  # a unique index, as above
            names = {c.name for c in constraint.columns}
            if len(names) == 1:
                keys |= names
            planned |= names
    return tuple(c.name for c in table.columns if c.name in planned - keys)
