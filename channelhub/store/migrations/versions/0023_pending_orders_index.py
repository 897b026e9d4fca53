"""the pipeline's queue: partial indexes on the pending orders, oldest first

``pending_order_keys`` read every pending order and sorted them on every run (cost growing
with the backlog); this index holds only the pending ones, in the order the pipeline takes
them, with the key columns, so a run reads its ``limit`` rows and stops.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a copy, not an import: a migration keeps the text it was written with
PENDING_SQL = (
    "hub_status IN ('approved', 'awaiting_pairing', 'new') OR "
    "(channel_state = 'cancelled' AND hub_status IN ('allocated', 'on_hold'))"
)


def upgrade() -> None:
    op.create_index(
        "ix_orders_pending",
        "orders",
        ["placed_at", "id", "account", "channel", "external_id"],
        sqlite_where=sa.text(PENDING_SQL),
        postgresql_where=sa.text(PENDING_SQL),
    )
    op.create_index(  # the same, one account's (the import's sweep)
        "ix_orders_pending_account",
        "orders",
        ["account", "placed_at", "id", "channel", "external_id"],
        sqlite_where=sa.text(PENDING_SQL),
        postgresql_where=sa.text(PENDING_SQL),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_pending_account", table_name="orders")
    op.drop_index("ix_orders_pending", table_name="orders")
