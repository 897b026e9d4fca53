"""warehouse cartons: SKUs stocked in cartons of N units per warehouse, and whether that
warehouse ships whole cartons only (a warehouse's fees per order go to the money ledger)

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


def downgrade() -> None:
    op.drop_table("warehouse_cartons")
