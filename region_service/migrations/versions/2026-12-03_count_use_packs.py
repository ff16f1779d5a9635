"""count-card packs (K1): the uses of an item bought together, with their expiry

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "count_use_packs",
        sa.Column("pack_id", sa.String(length=36), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("franchisee_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("uses_bought", sa.BigInteger(), nullable=False),
        sa.Column("uses_left", sa.BigInteger(), nullable=False),
        sa.Column("bought_at", UtcTimestamp(), nullable=False),
        sa.Column("expires_at", UtcTimestamp(), nullable=True),
        sa.CheckConstraint("uses_bought > 0", name=op.f("ck_count_use_packs_bought_positive")),
        sa.CheckConstraint("uses_left >= 0 AND uses_left <= uses_bought", name=op.f("ck_count_use_packs_left_within_bought")),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_count_use_packs_card_number_cards")),
        sa.PrimaryKeyConstraint("pack_id", name=op.f("pk_count_use_packs")),
    )
    op.create_index("ix_count_use_packs_card_open", "count_use_packs", ["card_number", "item_code", "expires_at"], unique=False,
                    postgresql_where=sa.text("uses_left > 0"))
    op.create_index(op.f("ix_count_use_packs_transaction_id"), "count_use_packs", ["transaction_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_count_use_packs_transaction_id"), table_name="count_use_packs")
    op.drop_index("ix_count_use_packs_card_open", table_name="count_use_packs")
    op.drop_table("count_use_packs")
