"""coupons held on cards (issue 13, Q2–Q5)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from chaincard.db.base import UtcTimestamp

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coupons",
        sa.Column("coupon_code", sa.String(length=17), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("valid_from", UtcTimestamp(), nullable=False),
        sa.Column("valid_until", UtcTimestamp(), nullable=False),
        sa.Column("issued_at", UtcTimestamp(), nullable=False),
        sa.Column("issued_reason", sa.String(length=128), nullable=False),
        sa.Column("issue_key", sa.String(length=160), nullable=False),
        sa.Column("redeemed_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("redeemed_at", UtcTimestamp(), nullable=True),
        sa.Column("reminded_at", UtcTimestamp(), nullable=True),
        sa.Column("updated_at", UtcTimestamp(), nullable=False),
        sa.CheckConstraint("state IN ('AVAILABLE', 'REDEEMED', 'EXPIRED', 'VOIDED')", name=op.f("ck_coupons_state_known")),
        sa.CheckConstraint("valid_from < valid_until", name=op.f("ck_coupons_validity_not_empty")),
        sa.ForeignKeyConstraint(["card_number"], ["cards.card_number"], name=op.f("fk_coupons_card_number_cards")),
        sa.PrimaryKeyConstraint("coupon_code", name=op.f("pk_coupons")),
        sa.UniqueConstraint("issue_key", name=op.f("uq_coupons_issue_key")),
    )
    op.create_index(op.f("ix_coupons_card_number"), "coupons", ["card_number"], unique=False)
    op.create_index("ix_coupons_state_valid_until", "coupons", ["state", "valid_until"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_coupons_state_valid_until", table_name="coupons")
    op.drop_index(op.f("ix_coupons_card_number"), table_name="coupons")
    op.drop_table("coupons")
