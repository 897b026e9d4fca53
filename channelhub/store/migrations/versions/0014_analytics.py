"""analytics: stock in transit (in flight) and the indexes the reports group on

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import channelhub.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_in_transit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column(
            "shipped_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expected_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "received_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_in_transit_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["warehouse"],
            ["warehouses.code"],
            name=op.f("fk_stock_in_transit_warehouse_warehouses"),
            onupdate="CASCADE",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_in_transit")),
        sa.UniqueConstraint("reference", name=op.f("uq_stock_in_transit_reference")),
    )
    op.create_index(
        "ix_stock_in_transit_open",
        "stock_in_transit",
        ["received_at", "sku", "warehouse"],
        unique=False,
    )
    # the ledger's balance index becomes covering (reports read it alone, not the rows)
    op.drop_index("ix_stock_movements_balance", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_balance",
        "stock_movements",
        ["warehouse", "sku", "kind", "at", "quantity"],
        unique=False,
    )
    # orders by placed_at: ix_orders_placed_at (0013, covering) serves the reports' ranges
    op.create_index(
        "ix_stock_movements_kind_at", "stock_movements", ["kind", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")
    op.drop_index("ix_stock_movements_balance", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_balance", "stock_movements", ["warehouse", "sku"], unique=False
    )
    op.drop_index("ix_stock_in_transit_open", table_name="stock_in_transit")
    op.drop_table("stock_in_transit")
