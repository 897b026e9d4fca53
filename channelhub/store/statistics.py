"""Planner statistics kept current on PostgreSQL while the hub's busiest tables grow.

Why: PostgreSQL plans every lookup on what the last ``ANALYZE`` saw. A first import grows
``orders`` from nothing to 100,000 rows in minutes, before autovacuum analyzes it (it waits
for its one-minute nap, and a server may run with it off), so the planner, still believing
the table empty, answers the pipeline's key lookups (IN lists on the unique key, decisions by
order id) with sequential scans: the cost per order grew with the table (measured: 643 ->
115 orders/s from 1,000 to 100,000 orders). :func:`refresh_statistics` applies autovacuum's
kind of rule at the end of a write (a table changed by more rows than the planner knows it
holds, and at least :data:`FLOOR`, since its last analyze) and analyzes it then and there:
a catalog read when the rows written since the last one could have passed the rule (about
one chunk of orders in ten), and a handful of analyzes over a table's whole growth (one each
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

from collections.abc import Mapping, Sequence
from functools import cache

from sqlalchemy import Connection, ForeignKeyConstraint, Table, TextClause, UniqueConstraint, text
from sqlalchemy.orm import Session

#: Rows changed since the last analyze before a table is analyzed again, at the least ...
FLOOR = 1_000
#: ... and as a share of the rows the planner believes the table holds.
SHARE = 1.0

# per named table (as the search path finds it): its count the rule reads, and the count the
# rule analyzes past. The counter read straight from the statistics functions
# (pg_stat_user_tables computes every column of every table); an index lookup by oid (no
# sort, no hash of the names: a tenth of the planning time of an IN list)
_CHANGED = text(
    """
    SELECT c.relname, pg_stat_get_mod_since_analyze(c.oid),
           :floor + :share * greatest(c.reltuples, 0)
    FROM pg_class c
    WHERE c.oid = ANY(ARRAY(SELECT to_regclass(name) FROM unnest(CAST(:names AS text[])) AS name))
    """
)
# the same for growth: the live rows counted past what the planner believes
_GROWTH = text(
    """
    SELECT c.relname, pg_stat_get_live_tuples(c.oid) - greatest(c.reltuples, 0),
           :floor + :share * greatest(c.reltuples, 0)
    FROM pg_class c
    WHERE c.oid = ANY(ARRAY(SELECT to_regclass(name) FROM unnest(CAST(:names AS text[])) AS name))
    """
)
_TRY_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext('channelhub analyze ' || :name))")

#: ``Connection.info`` keys (the pooled DBAPI connection's, kept across transactions): per
#: table, the rows this connection may still write before the rule could pass (see
#: :func:`_due`), one map per rule.
_CHANGED_BUDGET = "channelhub.statistics.changed"
_GROWTH_BUDGET = "channelhub.statistics.growth"

Written = Mapping[str, int] | None


def refresh_statistics(
    session: Session, tables: Sequence[str], *, written: Written = None
) -> list[str]:
    """Analyze those of ``tables`` whose statistics are stale (PostgreSQL; elsewhere nothing);
    returns the tables analyzed. Runs in the caller's transaction (the analyze's lock, which
    no reader or writer waits on, is held until it ends).

    ``written``: the rows the caller just changed per table (as near as it knows), so that
    the catalog is read only when they could have passed the rule (:func:`_due`); None:
    read it now."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return []
    connection = session.connection()
    names = sorted(set(tables))
    if not _due(connection, _CHANGED_BUDGET, names, written):
        return []
    stale = _check(connection, _CHANGED, _CHANGED_BUDGET, names, written)
    return _analyze(connection, _CHANGED_BUDGET, stale, {})


def refresh_growth(
    session: Session, tables: Sequence[Table], *, written: Written = None
) -> list[str]:
    """Analyze the planned columns of those of ``tables`` (tables that only grow) that grew
    past the planner's view (PostgreSQL; elsewhere nothing); returns the tables analyzed,
    by name. In the caller's transaction, and ``written`` (rows appended, by table name),
    as :func:`refresh_statistics`."""
    if session.get_bind().dialect.name != "postgresql" or not tables:
        return []
    connection = session.connection()
    by_name = {t.name: t for t in tables}
    names = sorted(by_name)
    if not _due(connection, _GROWTH_BUDGET, names, written):
        return []
    grown = _check(connection, _GROWTH, _GROWTH_BUDGET, names, written)
    columns = {name: planned_columns(by_name[name]) for name in grown}
    return _analyze(connection, _GROWTH_BUDGET, grown, columns)


def _due(connection: Connection, key: str, names: Sequence[str], written: Written) -> bool:
    """Whether the rule could pass for one of ``names`` now that ``written`` rows were
    written: takes them off each table's budget (what the last catalog read left before
    the rule, :func:`_check`), and is due when one went below zero, or is not known.

    Why: the catalog read cost a round trip each chunk of an import (measured at 10,000
    orders on PostgreSQL: 6.5 µs an order, the two rules), while the counts it reads change
    by what is written: with a budget of at most :data:`FLOOR` rows, a chunk of 100 orders
    reads it about once in ten, and a table passes the rule at the same chunk as before
    (others' writes, which no budget sees, are noticed within FLOOR rows of ours)."""
    if written is None:
        return True
    budgets: dict[str, float] = connection.info.setdefault(key, {})
    due = False
    for name in names:
        left = budgets.get(name, -1.0) - written.get(name, 0)
        budgets[name] = left
        due = due or left < 0
    return due


def _check(
    connection: Connection, query: TextClause, key: str, names: Sequence[str], written: Written
) -> list[str]:
    """The tables of ``names`` past the rule (``query``'s count above its limit), in name
    order; sets each table's budget: the rows left to the rule, less the rows just written
    (not counted yet: the counters are the committed transactions'), at most FLOOR."""
    values = {"names": list(names), "floor": FLOOR, "share": SHARE}
    rows = connection.execute(query, values).all()
    budgets: dict[str, float] = connection.info.setdefault(key, {})
    pending = written or {}
    for name, count, limit in rows:
        budgets[name] = min(float(limit) - float(count) - pending.get(name, 0), FLOOR)
    return sorted(name for name, count, limit in rows if count > limit)


def _analyze(
    connection: Connection, key: str, names: Sequence[str], columns: dict[str, tuple[str, ...]]
) -> list[str]:
    """``ANALYZE`` each of ``names`` (only its ``columns`` where given) that no other session
    is analyzing; the budget of one analyzed starts again (its counts start again)."""
    analyzed: list[str] = []
    budgets: dict[str, float] = connection.info.setdefault(key, {})
    for name in names:
        if connection.scalar(_TRY_LOCK, {"name": name}):
            listed = ", ".join(f'"{c}"' for c in columns.get(name, ()))
            # names from the catalog and the table's metadata, quoted
            connection.execute(text(f'ANALYZE "{name}"' + (f" ({listed})" if listed else "")))
            analyzed.append(name)
            budgets[name] = FLOOR
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
