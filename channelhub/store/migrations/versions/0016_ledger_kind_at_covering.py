"""the ledger's (kind, at) index becomes covering: the stock report's window reads it alone

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_kind_at",
        "stock_movements",
        ["kind", "at", "warehouse", "sku", "quantity"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_kind_at", "stock_movements", ["kind", "at"], unique=False
    )
