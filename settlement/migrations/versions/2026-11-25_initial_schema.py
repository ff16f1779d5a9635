"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:59:42.420031
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "clearing_records",
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("transaction_type", sa.String(length=32), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("home_region", sa.String(length=8), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("acquiring_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("acquiring_store_id", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("principal_delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_delta_fen", sa.BigInteger(), nullable=False),
        sa.Column("points_delta", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name=op.f("pk_clearing_records")),
    )
    op.create_index("ix_clearing_records_business_date", "clearing_records", ["business_date"], unique=False)
    op.create_table(
        "processed_events",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("applied_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id", name=op.f("pk_processed_events")),
    )


def downgrade() -> None:

    op.drop_table("processed_events")
    op.drop_index("ix_clearing_records_business_date", table_name="clearing_records")
    op.drop_table("clearing_records")
