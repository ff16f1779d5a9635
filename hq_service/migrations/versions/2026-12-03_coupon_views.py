"""coupon views (issue 13): one row per coupon for HQ's coupon report — issue, state and expiry from
the coupon events, redemption from the postings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DAYS = ("issued_business_date", "redeemed_business_date", "expired_business_date")


def upgrade() -> None:
    op.create_table(
        "coupon_views",
        sa.Column("coupon_code", sa.String(length=32), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("card_number", sa.String(length=32), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("issued_business_date", sa.Date(), nullable=True),
        sa.Column("expired_business_date", sa.Date(), nullable=True),
        sa.Column("redeemed_transaction_id", sa.String(length=36), nullable=True),
        sa.Column("redeemed_store_id", sa.String(length=32), nullable=False),
        sa.Column("redeemed_business_date", sa.Date(), nullable=True),
        sa.Column("redeemed_discount_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.TIMESTAMP(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("coupon_code", name=op.f("pk_coupon_views")),
    )
    for column in _DAYS:
        op.create_index(f"ix_coupon_views_{column}", "coupon_views", [column])


def downgrade() -> None:
    for column in _DAYS:
        op.drop_index(f"ix_coupon_views_{column}", table_name="coupon_views")
    op.drop_table("coupon_views")
