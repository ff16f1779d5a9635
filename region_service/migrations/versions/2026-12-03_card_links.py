"""Linked cards (C5): a main card's stored value shared with linked cards, per-card monthly limits (docs/adr/0032)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "card_links",
        sa.Column("linked_card_number", sa.String(length=32), nullable=False),
        sa.Column("main_card_number", sa.String(length=32), nullable=False),
        sa.Column("monthly_limit_fen", sa.BigInteger(), nullable=False),
        sa.Column("linked_at", UtcTimestamp(), nullable=False),
        sa.CheckConstraint("monthly_limit_fen > 0", name=op.f("ck_card_links_limit_positive")),
        sa.CheckConstraint("linked_card_number <> main_card_number", name=op.f("ck_card_links_not_self")),
        sa.ForeignKeyConstraint(["linked_card_number"], ["cards.card_number"],
                                name=op.f("fk_card_links_linked_card_number_cards")),
        sa.ForeignKeyConstraint(["main_card_number"], ["cards.card_number"], name=op.f("fk_card_links_main_card_number_cards")),
        sa.PrimaryKeyConstraint("linked_card_number", name=op.f("pk_card_links")),
    )
    op.create_index(op.f("ix_card_links_main_card_number"), "card_links", ["main_card_number"])
    op.create_table(
        "card_link_usage",
        sa.Column("linked_card_number", sa.String(length=32), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("spent_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("spent_fen >= 0", name=op.f("ck_card_link_usage_spent_not_negative")),
        sa.ForeignKeyConstraint(["linked_card_number"], ["cards.card_number"],
                                name=op.f("fk_card_link_usage_linked_card_number_cards")),
        sa.PrimaryKeyConstraint("linked_card_number", "month", name=op.f("pk_card_link_usage")),
    )


def downgrade() -> None:
    op.drop_table("card_link_usage")
    op.drop_index(op.f("ix_card_links_main_card_number"), table_name="card_links")
    op.drop_table("card_links")
