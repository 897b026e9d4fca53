"""warehouses.stock_known_at: when the hub last learned a warehouse's stock

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import channelhub.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stock_known_at",
                channelhub.store.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_column("stock_known_at")
