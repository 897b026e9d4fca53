"""account_tokens (each account's token expiry and refusals) and api_usage (calls, 429s and
errors per account, operation and hour), for the console's Home

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from channelhub.store.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_tokens",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("renews", sa.Boolean(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.Column("refused_at", UTCDateTime(), nullable=True),
        sa.Column("refused_status", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("account", "kind", name=op.f("pk_account_tokens")),
    )
    op.create_table(
        "api_usage",
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=120), nullable=False),
        sa.Column("hour", UTCDateTime(), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("account", "operation", "hour", name=op.f("pk_api_usage")),
    )


def downgrade() -> None:
    op.drop_table("api_usage")
    op.drop_table("account_tokens")
