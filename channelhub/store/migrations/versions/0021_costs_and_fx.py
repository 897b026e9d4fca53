"""costs and exchange rates: product cost (and landed cost) per SKU, fx_rates per day

Profit reads them: a SKU's cost in millionths of its currency, the rate of each currency to
the reporting currency per day (the latest on or before a ledger line's posting day applies),
and orders found by their external id alone (what a ledger line names).

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from channelhub.store.types import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("skus") as batch:
        batch.add_column(sa.Column("cost_micros", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("landed_cost_micros", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("cost_currency", sa.String(length=3), nullable=True))
    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("rate_nanos", sa.BigInteger(), nullable=False),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "quote", "day", name=op.f("pk_fx_rates")),
    )
    # a ledger line names its order by the channel's id (and account or channel): found by it
    op.create_index("ix_orders_external_id", "orders", ["external_id"])


def downgrade() -> None:
    op.drop_index("ix_orders_external_id", table_name="orders")
    op.drop_table("fx_rates")
    with op.batch_alter_table("skus") as batch:
        batch.drop_column("cost_currency")
        batch.drop_column("landed_cost_micros")
        batch.drop_column("cost_micros")
