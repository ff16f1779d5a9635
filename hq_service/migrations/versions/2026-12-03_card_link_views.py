"""linked cards in HQ's member view (C5, docs/adr/0037): each linked card's link and its monthly
usage, from CardLinkChanged events

Revision ID: 0018
Revises: 0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_link_views",
        sa.Column("linked_card_number", sa.String(length=32), nullable=False),
        sa.Column("main_card_number", sa.String(length=32), nullable=False),
        sa.Column("monthly_limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", UtcTimestamp(), nullable=True),
        sa.PrimaryKeyConstraint("linked_card_number", name=op.f("pk_card_link_views")),
    )
    op.create_index("ix_card_link_views_main_card_number", "card_link_views", ["main_card_number"])
    op.create_table(
        "card_link_usage_views",
        sa.Column("linked_card_number", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("spent_fen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("linked_card_number", "month", name=op.f("pk_card_link_usage_views")),
    )


def downgrade() -> None:
    op.drop_table("card_link_usage_views")
    op.drop_index("ix_card_link_views_main_card_number", table_name="card_link_views")
    op.drop_table("card_link_views")
