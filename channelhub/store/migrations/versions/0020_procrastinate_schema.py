"""procrastinate's schema (jobs, events, periodic defers, workers) for [engine] kind = "procrastinate"

PostgreSQL only: the distributed engine's queue lives in the hub's own database, so a job can
be deferred in the transaction of the business write that causes it. The SQL is the schema
file of the installed procrastinate package (pinned ``>=3.10,<4`` in pyproject.toml), read at
migration time; a later procrastinate release that changes it comes with a channelhub
migration applying its own migration files. On SQLite (embedded engine only) this is a no-op.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence
from importlib import resources

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("procrastinate_periodic_defers", "procrastinate_events", "procrastinate_jobs",
           "procrastinate_workers")  # fmt: skip
_TYPES = ("procrastinate_job_event_type", "procrastinate_job_status",
          "procrastinate_job_to_defer_v1")  # fmt: skip


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = (resources.files("procrastinate.sql") / "schema.sql").read_text(encoding="utf-8")
    # the driver's own connection: the file is many statements with casts (``::``) and ``%``
    # that SQLAlchemy's text() and the driver's parameter syntax would both misread
    bind.connection.driver_connection.execute(schema)  # type: ignore[union-attr]


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
    functions = bind.exec_driver_sql(
        "SELECT p.oid::regprocedure::text FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE p.proname LIKE 'procrastinate%%' AND n.nspname = current_schema()"
    ).scalars()
    for signature in list(functions):
        op.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for type_name in _TYPES:
        op.execute(f"DROP TYPE IF EXISTS {type_name} CASCADE")
