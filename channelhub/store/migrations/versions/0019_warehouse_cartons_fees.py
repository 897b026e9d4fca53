"""warehouse terms: SKUs stocked in cartons per warehouse, and warehouse fees per outbound

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import channelhub.store.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouse_cartons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("units_per_carton", sa.Integer(), nullable=False),
        sa.Column("ships", sa.String(length=10), nullable=False),
        sa.Column("created_at", channelhub.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", channelhub.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_cartons")),
        sa.UniqueConstraint("warehouse", "sku", name=op.f("uq_warehouse_cartons_warehouse_sku")),
    )
    op.create_table(
        "warehouse_fees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbound_key", sa.String(length=200), nullable=False),
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("warehouse_order_id", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column(
            "total", channelhub.store.types.ExactDecimal(precision=20, scale=6), nullable=True
        ),
        sa.Column("raw", channelhub.store.types.JsonDocument(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("read_at", channelhub.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse_fees")),
        sa.UniqueConstraint("outbound_key", name=op.f("uq_warehouse_fees_outbound_key")),
    )
    op.create_index(
        op.f("ix_warehouse_fees_warehouse"), "warehouse_fees", ["warehouse"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_warehouse_fees_warehouse"), table_name="warehouse_fees")
    op.drop_table("warehouse_fees")
    op.drop_table("warehouse_cartons")
