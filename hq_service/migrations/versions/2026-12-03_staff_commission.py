"""staff commission (C7, S2, docs/adr/0043): who opened each card and on which business day, the
commission entries and the days computed

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("card_views", sa.Column("opened_operator_id", sa.String(64), nullable=False, server_default=""))
    op.add_column("card_views", sa.Column("opened_business_date", sa.Date(), nullable=True))
    op.create_index("ix_card_views_opened_business_date", "card_views", ["opened_business_date"])
    op.create_table(
        "commission_entries",
        sa.Column("source_id", sa.String(64), primary_key=True),
        sa.Column("plan_code", sa.String(32), primary_key=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(32), nullable=False),
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("event", sa.Integer(), nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("basis_fen", sa.BigInteger(), nullable=False),
        sa.Column("commission_fen", sa.BigInteger(), nullable=False),
        sa.Column("original_source_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_commission_entries_day_store_staff", "commission_entries", ["business_date", "store_id", "staff_id"])
    op.create_table(
        "commission_runs",
        sa.Column("business_date", sa.Date(), primary_key=True),
        sa.Column("ran_at", UtcTimestamp(), nullable=False),
        sa.Column("entries_written", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("commission_runs")
    op.drop_index("ix_commission_entries_day_store_staff", table_name="commission_entries")
    op.drop_table("commission_entries")
    op.drop_index("ix_card_views_opened_business_date", table_name="card_views")
    op.drop_column("card_views", "opened_business_date")
    op.drop_column("card_views", "opened_operator_id")
