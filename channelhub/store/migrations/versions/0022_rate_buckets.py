"""rate_buckets: rate-limit buckets shared by the procrastinate workers of one database

One row per (account, bucket). On PostgreSQL the table is UNLOGGED: it is rewritten on every
platform call, and after a crash it may start empty (each bucket then starts full, as a
process's own bucket does).

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_buckets",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("bucket", sa.String(length=120), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=False),
        sa.Column("burst", sa.Float(), nullable=False),
        sa.Column("plan_rate", sa.Float(), nullable=False),
        sa.Column("plan_burst", sa.Float(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account", "bucket", name=op.f("pk_rate_buckets")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_buckets SET UNLOGGED")


def downgrade() -> None:
    op.drop_table("rate_buckets")
