"""bindings by the SKU they ship: what a stock change of a SKU reaches

The stock waker and a push of changes look up the active bindings to the changed SKUs
(``bindings_shipping``); without an index the database read every binding of the library for
each wake.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_pairings_active_sku", "pairings", ["active", "sku"])


def downgrade() -> None:
    op.drop_index("ix_pairings_active_sku", table_name="pairings")
