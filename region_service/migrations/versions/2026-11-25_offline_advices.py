"""offline advices posted by this region (X4)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "offline_advices",
        sa.Column("advice_id", sa.String(length=64), nullable=False),
        sa.Column("posted_order", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("store_sequence", sa.BigInteger(), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("advised_card_number", sa.String(length=32), nullable=False),
        sa.Column("issuing_franchisee_id", sa.String(length=32), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("shortfall_fen", sa.BigInteger(), nullable=False),
        sa.Column("approved_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("posted_at", sa.TIMESTAMP(timezone=True), nullable=False),
        sa.Column("forwarded_by", sa.String(length=8), nullable=False),
        sa.CheckConstraint(
            "shortfall_fen >= 0 AND shortfall_fen <= amount_fen", name=op.f("ck_offline_advices_shortfall_within_amount")
        ),
        sa.PrimaryKeyConstraint("advice_id", name=op.f("pk_offline_advices")),
        sa.UniqueConstraint("posted_order", name=op.f("uq_offline_advices_posted_order")),
    )
    op.create_index("ix_offline_advices_card_day", "offline_advices", ["card_number", "business_date"], unique=False)
    op.create_index(op.f("ix_offline_advices_transaction_id"), "offline_advices", ["transaction_id"], unique=False)
    # The overdrawn report reads only the (rare) advices with a shortfall.
    op.create_index(
        "ix_offline_advices_overdrawn", "offline_advices", ["card_number"], unique=False,
        postgresql_where=sa.text("shortfall_fen > 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_offline_advices_overdrawn", table_name="offline_advices")
    op.drop_index(op.f("ix_offline_advices_transaction_id"), table_name="offline_advices")
    op.drop_index("ix_offline_advices_card_day", table_name="offline_advices")
    op.drop_table("offline_advices")
