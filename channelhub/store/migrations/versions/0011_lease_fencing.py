"""job_leases: fencing token and the holder's process (host, pid, start time)

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job_leases") as batch:
        batch.add_column(sa.Column("token", sa.BigInteger(), server_default="1", nullable=False))
        batch.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("pid", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("started", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_leases") as batch:
        batch.drop_column("started")
        batch.drop_column("pid")
        batch.drop_column("host")
        batch.drop_column("token")
