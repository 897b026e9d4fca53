"""report rollups: daily sales, daily stock and the stock position, filled from the data

The reports read these instead of every order line and ledger movement (see
channelhub.store.tables.rollups); the hub keeps them in step from now on, and the upgrade
fills them from the orders and the ledger already stored.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STOCK_SUMS = ("on_hand", "reserved", "shipped", "received")


def _stock_sums() -> list[sa.Column]:  # type: ignore[type-arg]
    return [sa.Column(c, sa.BigInteger(), nullable=False) for c in _STOCK_SUMS] + [
        sa.Column("moves", sa.Integer(), nullable=False)
    ]


def upgrade() -> None:
    op.create_table(
        "sales_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("listing_id", sa.String(length=255), nullable=False),
        sa.Column("variation_id", sa.String(length=255), nullable=False),
        sa.Column("channel_sku", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_listings")),
        sa.UniqueConstraint(
            "channel", "account", "listing_id", "variation_id", "channel_sku",
            name=op.f("uq_sales_listings_key"),
        ),  # fmt: skip
    )
    op.create_table(
        "sales_daily",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("listing", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.Column("revenue_micros", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("order_heads", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing"], ["sales_listings.id"], name=op.f("fk_sales_daily_listing_sales_listings")
        ),
        sa.PrimaryKeyConstraint(
            "day", "listing", "country", "currency", name=op.f("pk_sales_daily")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stock_daily",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        *_stock_sums(),
        sa.PrimaryKeyConstraint("day", "warehouse", "sku", name=op.f("pk_stock_daily")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_stock_daily_receipts",
        "stock_daily",
        ["warehouse", "sku", "day", "received"],
        unique=False,
        sqlite_where=sa.text("received <> 0"),
        postgresql_where=sa.text("received <> 0"),
    )
    op.create_table(
        "stock_position",
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=False),
        *_stock_sums(),
        sa.PrimaryKeyConstraint("warehouse", "sku", name=op.f("pk_stock_position")),
        sqlite_with_rowid=False,
    )
    # the ledger's (kind, at) index now serves the warehouse trend only, which counts the
    # orders (references) shipped: covering it, the report reads no ledger row
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_kind_at",
        "stock_movements",
        ["kind", "at", "warehouse", "reference", "quantity"],
        unique=False,
    )
    from channelhub.store.repos.rollups import rebuild_rollups

    rebuild_rollups(Session(bind=op.get_bind()))


def downgrade() -> None:
    op.drop_index("ix_stock_movements_kind_at", table_name="stock_movements")
    op.create_index(
        "ix_stock_movements_kind_at",
        "stock_movements",
        ["kind", "at", "warehouse", "sku", "quantity"],
        unique=False,
    )
    op.drop_table("stock_position")
    op.drop_table("stock_daily")
    op.drop_table("sales_daily")
    op.drop_table("sales_listings")
