"""count products (K2, K4): pack price shares and packages, time-card periods and their uses

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("count_use_packs", sa.Column("price_fen", sa.BigInteger(), server_default=sa.text("0"), nullable=False))
    op.add_column("count_use_packs", sa.Column("package_code", sa.String(length=32), server_default=sa.text("''"), nullable=False))
    op.create_table(
        "count_time_periods",
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("franchisee_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("package_code", sa.String(length=32), server_default=sa.text("''"), nullable=False),
        sa.Column("price_fen", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", UtcTimestamp(), nullable=False),
        sa.Column("ends_at", UtcTimestamp(), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_count_time_periods_ends_after_start")),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_count_time_periods_card_number_cards")),
        sa.PrimaryKeyConstraint("period_id", name=op.f("pk_count_time_periods")),
    )
    op.create_index("ix_count_time_periods_card_item", "count_time_periods", ["card_number", "item_code", "ends_at"], unique=False)
    op.create_index(op.f("ix_count_time_periods_transaction_id"), "count_time_periods", ["transaction_id"], unique=False)
    op.create_table(
        "count_time_uses",
        sa.Column("use_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("period_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcTimestamp(), nullable=False),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_count_time_uses_card_number_cards")),
        sa.PrimaryKeyConstraint("use_id", name=op.f("pk_count_time_uses")),
    )
    op.create_index("ix_count_time_uses_card_day", "count_time_uses", ["card_number", "item_code", "business_date"], unique=False)
    op.create_index(op.f("ix_count_time_uses_transaction_id"), "count_time_uses", ["transaction_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_count_time_uses_transaction_id"), table_name="count_time_uses")
    op.drop_index("ix_count_time_uses_card_day", table_name="count_time_uses")
    op.drop_table("count_time_uses")
    op.drop_index(op.f("ix_count_time_periods_transaction_id"), table_name="count_time_periods")
    op.drop_index("ix_count_time_periods_card_item", table_name="count_time_periods")
    op.drop_table("count_time_periods")
    op.drop_column("count_use_packs", "package_code")
    op.drop_column("count_use_packs", "price_fen")
