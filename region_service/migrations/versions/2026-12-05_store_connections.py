"""store agents' last contact and offline queue (issue 19, docs/adr/0059)

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One row per store, overwritten by each PullConfigSnapshot of its agent (StoreConnectionService).
    op.create_table(
        "store_connections",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("last_contact_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("status_reported", sa.Boolean(), nullable=False),
        sa.Column("offline_queue_depth", sa.BigInteger(), nullable=False),
        sa.Column("oldest_queued_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.Column("agent_version", sa.String(length=64), nullable=False),
        sa.Column("agent_started_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_connections")),
    )


def downgrade() -> None:
    op.drop_table("store_connections")
