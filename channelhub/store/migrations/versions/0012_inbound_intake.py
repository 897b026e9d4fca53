"""webhook intake as a job (webhook_deliveries.platform, .processed_at) and refused_deliveries:
bounded evidence of refused inbound requests

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import channelhub.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column(
                "processed_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_index("ix_webhook_deliveries_pending", ["processed_at"], unique=False)
    # every delivery before this revision was applied by its route
    op.execute("UPDATE webhook_deliveries SET processed_at = received_at")
    op.create_table(
        "refused_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("platform", sa.String(length=40), nullable=False),
        sa.Column("route", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column(
            "received_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("head", sa.LargeBinary(), nullable=False),
        sa.Column("headers", channelhub.store.types.JsonDocument(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refused_deliveries")),
    )
    with op.batch_alter_table("refused_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_refused_deliveries_account", ["account", "id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_refused_deliveries_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("refused_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refused_deliveries_received_at"))
        batch_op.drop_index("ix_refused_deliveries_account")
    op.drop_table("refused_deliveries")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_pending")
        batch_op.drop_column("processed_at")
        batch_op.drop_column("platform")
