"""money ledger: money_lines (one row per component of a provider's finance record, unique per
account, provider id and component) and money_records (each record's raw payload, once)

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from channelhub.store.types import JsonDocument, UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "money_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("provider_txn_id", sa.String(length=255), nullable=False),
        sa.Column("component", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("order_ref", sa.String(length=255), nullable=True),
        sa.Column("order_channel", sa.String(length=40), nullable=True),
        sa.Column("line_ref", sa.String(length=255), nullable=True),
        sa.Column("package_ref", sa.String(length=255), nullable=True),
        sa.Column("payout_ref", sa.String(length=255), nullable=True),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=255), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_money_lines")),
        sa.UniqueConstraint(
            "account", "provider_txn_id", "component", name=op.f("uq_money_lines_key")
        ),
    )
    op.create_index("ix_money_lines_order", "money_lines", ["order_ref", "account"])
    op.create_index("ix_money_lines_payout", "money_lines", ["account", "payout_ref"])
    op.create_index("ix_money_lines_posted", "money_lines", ["posted_at"])
    op.create_table(
        "money_records",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("provider_txn_id", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("payload", JsonDocument(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account", "provider_txn_id", name=op.f("pk_money_records")),
    )


def downgrade() -> None:
    op.drop_table("money_records")
    op.drop_index("ix_money_lines_posted", table_name="money_lines")
    op.drop_index("ix_money_lines_payout", table_name="money_lines")
    op.drop_index("ix_money_lines_order", table_name="money_lines")
    op.drop_table("money_lines")
