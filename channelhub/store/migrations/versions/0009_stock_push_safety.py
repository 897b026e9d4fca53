"""stock_push_blocks: pushes the mass-drop guard stopped until the seller confirms them

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import channelhub.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stock_push_blocks",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column(
            "blocked_at", channelhub.store.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("drops", channelhub.store.types.JsonDocument(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "account", name=op.f("pk_stock_push_blocks")),
    )


def downgrade() -> None:
    op.drop_table("stock_push_blocks")
