"""orders: drop ``ix_orders_hub_status``, whose one column leads ``ix_orders_status_placed_at``

A lookup by status alone reads the wider index's leading column just as well, and every order
inserted or moved from status to status wrote both: a status move is not a heap-only update
(the status is indexed), so each index is one more entry written per move.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_orders_hub_status", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_hub_status", "orders", ["hub_status"], unique=False)
