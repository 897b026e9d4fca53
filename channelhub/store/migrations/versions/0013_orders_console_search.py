"""orders.buyer_name and the indexes the console's orders list reads (newest first, by
status, by SKU); buyer_name filled from each stored order's document

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _name(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    for part in ("buyer", "ship_to"):
        value = document.get(part)
        if isinstance(value, dict) and value.get("name"):
            return str(value["name"])[:255]
    return None


def upgrade() -> None:
    op.add_column("orders", sa.Column("buyer_name", sa.String(length=255), nullable=True))
    op.create_index(
        "ix_orders_placed_at",
        "orders",
        ["placed_at", "id", "external_id", "buyer_name"],
        unique=False,
    )
    op.create_index(
        "ix_orders_status_placed_at", "orders", ["hub_status", "placed_at", "id"], unique=False
    )
    op.create_index("ix_order_lines_channel_sku", "order_lines", ["channel_sku"], unique=False)
    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer()),
        sa.column("document", sa.JSON()),
        sa.column("buyer_name", sa.String()),
    )
    bind = op.get_bind()
    last = 0
    while True:  # in batches: a hub may hold millions of orders
        rows = bind.execute(
            sa.select(orders.c.id, orders.c.document)
            .where(orders.c.id > last)
            .order_by(orders.c.id)
            .limit(5000)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        named = [{"row_id": r.id, "name": _name(r.document)} for r in rows]
        named = [n for n in named if n["name"]]
        if named:
            bind.execute(
                orders.update()
                .where(orders.c.id == sa.bindparam("row_id"))
                .values(buyer_name=sa.bindparam("name")),
                named,
            )


def downgrade() -> None:
    op.drop_index("ix_order_lines_channel_sku", table_name="order_lines")
    op.drop_index("ix_orders_status_placed_at", table_name="orders")
    op.drop_index("ix_orders_placed_at", table_name="orders")
    op.drop_column("orders", "buyer_name")
