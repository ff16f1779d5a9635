"""RFM scores (A1, docs/adr/0058): each run, and every member's scores in it (history)

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rfm_runs",
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("members_scored", sa.BigInteger(), nullable=False),
        sa.Column("ran_at", UtcTimestamp(), nullable=False),
        sa.PrimaryKeyConstraint("as_of_date", name=op.f("pk_rfm_runs")),
    )
    op.create_table(
        "rfm_scores",
        sa.Column("as_of_date", sa.Date(), nullable=False),
        sa.Column("member_id", sa.String(length=36), nullable=False),
        sa.Column("recency", sa.SmallInteger(), nullable=False),
        sa.Column("frequency", sa.SmallInteger(), nullable=False),
        sa.Column("monetary", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.SmallInteger(), nullable=False),
        sa.Column("days_since_last_visit", sa.Integer(), nullable=False),
        sa.Column("visit_count", sa.BigInteger(), nullable=False),
        sa.Column("spend_fen", sa.BigInteger(), nullable=False),
        sa.Column("franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("franchisee_recency", sa.SmallInteger(), nullable=False),
        sa.Column("franchisee_frequency", sa.SmallInteger(), nullable=False),
        sa.Column("franchisee_monetary", sa.SmallInteger(), nullable=False),
        sa.Column("franchisee_segment", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("as_of_date", "member_id", name=op.f("pk_rfm_scores")),
    )
    op.create_index("ix_rfm_scores_member_id", "rfm_scores", ["member_id", "as_of_date"])
    op.create_index("ix_rfm_scores_day_segment", "rfm_scores", ["as_of_date", "segment"])


def downgrade() -> None:
    op.drop_index("ix_rfm_scores_day_segment", table_name="rfm_scores")
    op.drop_index("ix_rfm_scores_member_id", table_name="rfm_scores")
    op.drop_table("rfm_scores")
    op.drop_table("rfm_runs")
